/**
 * The one render function: a full page (layout + page, which includes its fragments) or, for an
 * htmx request, only the fragment the page would have included. Templates auto-escape: `<%= %>`
 * is escaped, and raw output (`<%~ %>`) is used only for our own rendered templates.
 */
import type Koa from 'koa';
import type { Context } from 'koa';
import { Eta } from 'eta';

export interface View {
  /** templates/pages/<page>.html */
  page: string;
  /** templates/fragments/<fragment>.html: what an htmx request gets instead of the page. */
  fragment?: string;
  data?: Record<string, unknown>;
  status?: number;
}

interface Engine {
  eta: Eta;
  globals: Record<string, unknown>;
}

const engines = new WeakMap<Koa, Engine>();

export function useTemplates(app: Koa, dir: string, globals: Record<string, unknown>): void {
  engines.set(app, { eta: new Eta({ views: dir, defaultExtension: '.html', autoEscape: true, cache: true }), globals });
}

/** Sizes as people read them on a disk's label (decimal units). */
export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n >= 100 ? 0 : 1)} ${units[i]}`;
}

/** A browser asking htmx for part of a page; a boosted navigation still wants the whole page. */
export const wantsFragment = (ctx: Context) => ctx.get('HX-Request') === 'true' && ctx.get('HX-Boosted') !== 'true';

export function render(ctx: Context, view: View): void {
  const engine = engines.get(ctx.app);
  if (!engine) throw new Error('render: useTemplates was not called for this app');
  const it = { ...engine.globals, user: ctx.state.user ?? null, csrf: ctx.state.csrf ?? '', path: ctx.path, ...view.data };
  const fragment = view.fragment && wantsFragment(ctx);
  ctx.status = view.status ?? 200;
  ctx.type = 'text/html; charset=utf-8';
  // The same URL answers a page or a fragment: caches must keep them apart. Pages carry the CSRF token.
  ctx.vary('HX-Request');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = engine.eta.render(fragment ? `fragments/${view.fragment}` : `pages/${view.page}`, it);
}

/** A fragment as a string, for pushing over SSE (the same data a render would get). */
export function renderFragment(ctx: Context, fragment: string, data: Record<string, unknown>): string {
  const engine = engines.get(ctx.app);
  if (!engine) throw new Error('renderFragment: useTemplates was not called for this app');
  return engine.eta.render(`fragments/${fragment}`, { ...engine.globals, user: ctx.state.user ?? null, csrf: ctx.state.csrf ?? '', path: ctx.path, ...data });
}

/**
 * After a successful POST: a plain form gets 303 to the next page; htmx gets HX-Redirect, which
 * it turns into a full navigation (a 303 would be followed inside the XHR and swapped as a fragment).
 */
export function seeOther(ctx: Context, url: string): void {
  if (ctx.get('HX-Request') === 'true') {
    ctx.status = 200;
    ctx.set('HX-Redirect', url);
    ctx.body = '';
    return;
  }
  ctx.status = 303;
  ctx.redirect(url);
}
