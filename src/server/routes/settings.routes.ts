/**
 * Settings: the scanning defaults, event clustering, network thresholds, retention and the
 * folders the web UI may scan; and the API tokens. Each form works plain (303 back) and with htmx
 * (its fragment). The same settings as JSON at /api/v1/settings (GET, and PATCH for a partial update).
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { ALGORITHMS } from '../../domain/algorithms.js';
import { usageError } from '../../domain/errors.js';
import { SETTING_KEYS, type Settings } from '../../domain/settings.js';
import type { AuthService } from '../../services/auth.service.js';
import type { SettingsService } from '../../services/settings.service.js';
import { render, seeOther, wantsFragment } from '../render.js';
import { body, text } from '../params.js';


/** The form's fields as the user typed them (for re-showing after a refusal). */
const formOf = (s: Settings) => ({ ...s, scanRoots: s.scanRoots.join('\n') });

export function settingsRoutes(auth: AuthService, settings: SettingsService): Router {
  const router = new Router();
  // A new token is shown once: after a plain form's 303 the next GET /settings shows it, then it is gone.
  // Kept in memory by session (its CSRF token), like the login rate limit.
  const shownOnce = new Map<string, { name: string; token: string }>();

  const view = async (ctx: Context, fragment: 'settings-form' | 'tokens', extra: Record<string, unknown> = {}) => ({
    page: 'settings',
    fragment,
    data: {
      title: 'Settings',
      settings: formOf(await settings.get()),
      saved: false,
      scanRootsFixed: settings.scanRootsFixed,
      algorithms: ALGORITHMS,
      tokens: await auth.listApiTokens(ctx.state.user.userId),
      newToken: null,
      name: '',
      ...extra,
    },
  });

  router.get('/settings', async (ctx) => {
    const newToken = shownOnce.get(ctx.state.csrf) ?? null;
    shownOnce.delete(ctx.state.csrf);
    render(ctx, await view(ctx, 'settings-form', { newToken, saved: ctx.query.saved === '1' }));
  });

  router.post('/settings', async (ctx) => {
    const input = Object.fromEntries(SETTING_KEYS.filter((k) => body(ctx)[k] !== undefined).map((k) => [k, text(body(ctx)[k])]));
    ctx.state.form = await view(ctx, 'settings-form', { settings: { ...formOf(await settings.get()), ...input } });
    if (settings.scanRootsFixed) delete input.scanRoots;
    await settings.update(input, ctx.state.user.username);
    if (wantsFragment(ctx)) return render(ctx, await view(ctx, 'settings-form', { saved: true }));
    seeOther(ctx, '/settings?saved=1');
  });

  router.post('/settings/tokens', async (ctx) => {
    ctx.state.form = await view(ctx, 'tokens', { name: text(body(ctx).name) });
    const created = await auth.createApiToken(ctx.state.user.userId, body(ctx).name);
    if (wantsFragment(ctx)) return render(ctx, { ...(await view(ctx, 'tokens', { newToken: created })), status: 201 });
    if (shownOnce.size > 1000) shownOnce.clear();
    shownOnce.set(ctx.state.csrf, { name: created.name, token: created.token });
    seeOther(ctx, '/settings');
  });

  router.post('/settings/tokens/:id/revoke', async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw usageError(`no API token "${ctx.params.id}"`);
    await auth.revokeApiToken(ctx.state.user.userId, id);
    if (wantsFragment(ctx)) return render(ctx, await view(ctx, 'tokens'));
    seeOther(ctx, '/settings');
  });

  router.get('/api/v1/settings', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { settings: await settings.get(), scanRootsFixed: settings.scanRootsFixed };
  });

  router.patch('/api/v1/settings', async (ctx) => {
    const input = body(ctx);
    const unknown = Object.keys(input).filter((k) => !(SETTING_KEYS as string[]).includes(k));
    if (unknown.length) throw usageError(`unknown setting ${unknown.join(', ')}; known: ${SETTING_KEYS.join(', ')}`);
    ctx.body = { settings: await settings.update(input, ctx.state.user.username), scanRootsFixed: settings.scanRootsFixed };
  });

  return router;
}
