/** First-run setup, login and logout. */
import { Router } from '@koa/router';
import { notFoundError } from '../../domain/errors.js';
import { MIN_PASSWORD_LENGTH, type AuthService } from '../../services/auth.service.js';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../auth.middleware.js';
import { render, seeOther } from '../render.js';
import { body, text } from '../params.js';


export function authRoutes(auth: AuthService): Router {
  const router = new Router();

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

  return router;
}
