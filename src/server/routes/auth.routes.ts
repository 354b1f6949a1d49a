/** First-run setup, login, logout, and the settings page where API tokens are made and revoked. */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { notFoundError, usageError } from '../../domain/errors.js';
import { MIN_PASSWORD_LENGTH, type AuthService } from '../../services/auth.service.js';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../auth.middleware.js';
import { render, seeOther, wantsFragment } from '../render.js';

const body = (ctx: Context) => ((ctx.request as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v : '');

export function authRoutes(auth: AuthService): Router {
  const router = new Router();
  // A new token is shown once: after a plain form's 303 the next GET /settings shows it, then it is gone.
  // Kept in memory by session (its CSRF token), like the login rate limit.
  const shownOnce = new Map<string, { name: string; token: string }>();

  router.get('/setup', async (ctx) => {
    if (!(await auth.needsSetup())) throw notFoundError('setup is done: log in instead');
    render(ctx, { page: 'setup', fragment: 'setup-form', data: { username: '', minPassword: MIN_PASSWORD_LENGTH } });
  });

  router.post('/setup', async (ctx) => {
    ctx.state.form = { page: 'setup', fragment: 'setup-form', data: { username: text(body(ctx).username), minPassword: MIN_PASSWORD_LENGTH } };
    const session = await auth.setup(body(ctx));
    setSessionCookie(ctx, session.id, session.expiresAtMs);
    seeOther(ctx, '/');
  });

  router.get('/login', async (ctx) => {
    if (ctx.state.user) return ctx.redirect('/');
    render(ctx, { page: 'login', fragment: 'login-form', data: { username: '' } });
  });

  router.post('/login', async (ctx) => {
    const input = body(ctx);
    const result = await auth.login(input, ctx.ip);
    if (result.kind === 'ok') {
      setSessionCookie(ctx, result.session.id, result.session.expiresAtMs);
      return seeOther(ctx, '/');
    }
    const view = { page: 'login', fragment: 'login-form', data: { username: text(input.username) } };
    if (result.kind === 'limited') {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return render(ctx, { ...view, status: 429, data: { ...view.data, error: `too many failed logins: try again in ${minutes} minute${minutes === 1 ? '' : 's'}` } });
    }
    render(ctx, { ...view, status: 401, data: { ...view.data, error: 'wrong username or password' } });
  });

  router.post('/logout', async (ctx) => {
    await auth.logout(ctx.cookies.get(SESSION_COOKIE));
    clearSessionCookie(ctx);
    seeOther(ctx, '/login');
  });

  const tokensView = async (ctx: Context, extra: Record<string, unknown> = {}) => ({
    page: 'settings',
    fragment: 'tokens',
    data: { tokens: await auth.listApiTokens(ctx.state.user.userId), newToken: null, name: '', ...extra },
  });

  router.get('/settings', async (ctx) => {
    const newToken = shownOnce.get(ctx.state.csrf) ?? null;
    shownOnce.delete(ctx.state.csrf);
    render(ctx, await tokensView(ctx, { newToken }));
  });

  router.post('/settings/tokens', async (ctx) => {
    ctx.state.form = await tokensView(ctx, { name: text(body(ctx).name) });
    const created = await auth.createApiToken(ctx.state.user.userId, body(ctx).name);
    if (wantsFragment(ctx)) return render(ctx, { ...(await tokensView(ctx, { newToken: created })), status: 201 });
    if (shownOnce.size > 1000) shownOnce.clear();
    shownOnce.set(ctx.state.csrf, { name: created.name, token: created.token });
    seeOther(ctx, '/settings');
  });

  router.post('/settings/tokens/:id/revoke', async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw usageError(`no API token "${ctx.params.id}"`);
    await auth.revokeApiToken(ctx.state.user.userId, id);
    if (wantsFragment(ctx)) return render(ctx, await tokensView(ctx));
    seeOther(ctx, '/settings');
  });

  return router;
}
