/**
 * The one place where anything thrown while answering a request becomes a status and a body:
 * JSON for /api/*, an HTML page for browsers, or the form re-rendered with its message when the
 * route said which form it was handling (bad input, 400, or a refusal of the current state, 409).
 * Internal details are logged, never shown.
 */
import type { Context, Next } from 'koa';
import { BitarrError } from '../domain/errors.js';
import { EventTransitionError } from '../domain/events/index.js';
import { render, type View } from './render.js';

/** Refusals that belong to HTTP itself (who you are, whether you may), not to the domain. */
export class HttpError extends Error {
  constructor(
    readonly status: 401 | 403 | 404 | 413 | 415 | 429,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export type Log = (entry: Record<string, unknown>) => void;

interface Decided {
  status: number;
  message: string;
  headers: Record<string, string>;
}

function decide(err: unknown): Decided {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
  if (err instanceof BitarrError) return { status: err.status, message: err.exposed ? err.message : 'internal error', headers: {} };
  // koa and its helpers throw http-errors (a body that is not JSON, a URL that cannot be decoded).
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return { status: e.status, message: e.expose ? String(e.message) : 'bad request', headers: {} };
  return { status: 500, message: 'internal error', headers: {} };
}

export const isApi = (ctx: Context) => ctx.path === '/api' || ctx.path.startsWith('/api/');

export function errorHandler(log: Log) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new HttpError(404, `nothing at ${ctx.path}`);
    } catch (err) {
      const d = decide(err);
      if (d.status >= 500) log({ level: 'error', msg: 'request failed', method: ctx.method, path: ctx.path, error: (err as Error)?.stack ?? String(err) });
      ctx.set(d.headers);
      const form = ctx.state.form as View | undefined;
      if (isApi(ctx)) {
        ctx.status = d.status;
        ctx.body = { error: d.message, status: d.status };
      } else if (form && (d.status === 400 || d.status === 409)) {
        // A refused resolve names the files that have not verified good: the form lists them.
        const unverified = err instanceof EventTransitionError ? [...err.unverified] : [];
        render(ctx, { ...form, status: d.status, data: { ...form.data, error: d.message, unverified } });
      } else {
        render(ctx, { page: 'error', status: d.status, data: { status: d.status, message: d.message } });
      }
    }
  };
}
