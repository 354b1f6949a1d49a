/**
 * Who is asking, and may they: the session cookie or a bearer token, the first-run gate, CSRF on
 * every state change, and the login wall. Only /healthz, /static/*, /login and /setup (while no
 * user exists) are open; both are mounted before these.
 */
import type { Context, Next } from 'koa';
import { randomSecret, safeEqual, type AuthService } from '../services/auth.service.js';
import { HttpError, isApi } from './errors.js';
import { isUnsafe } from './http.js';

export const SESSION_COOKIE = 'bitarr_session';
/** Before login there is no session to hold the CSRF token: a cookie holds it (double submit). */
export const PRE_SESSION_COOKIE = 'bitarr_csrf';

const cookieOptions = (ctx: Context, expires?: Date) => ({
  httpOnly: true,
  sameSite: 'strict' as const,
  // Secure only over https: the appliance is often reached as http://nas:8286 on a LAN.
  secure: ctx.secure,
  path: '/',
  overwrite: true,
  ...(expires ? { expires } : {}),
});

export function setSessionCookie(ctx: Context, id: string, expiresAtMs: number): void {
  ctx.cookies.set(SESSION_COOKIE, id, cookieOptions(ctx, new Date(expiresAtMs)));
}

export function clearSessionCookie(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, '', { ...cookieOptions(ctx), expires: new Date(0) });
}

/** Sets ctx.state.user (and ctx.state.bearer for token requests) and ctx.state.csrf. */
export function authenticate(auth: AuthService) {
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('Authorization');
    if (isApi(ctx) && header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const who = m ? await auth.bearer(m[1]!) : null;
      if (!who) throw new HttpError(401, 'a valid API token is needed (Authorization: Bearer <token>)', { 'WWW-Authenticate': 'Bearer' });
      ctx.state.user = who;
      ctx.state.bearer = true;
      return next();
    }
    const session = await auth.session(ctx.cookies.get(SESSION_COOKIE));
    if (session) {
      ctx.state.user = { userId: session.userId, username: session.username };
      ctx.state.csrf = session.csrfToken;
    } else {
      let token = ctx.cookies.get(PRE_SESSION_COOKIE);
      if (!token || token.length > 100) {
        token = randomSecret();
        ctx.cookies.set(PRE_SESSION_COOKIE, token, cookieOptions(ctx));
      }
      ctx.state.csrf = token;
    }
    return next();
  };
}

/** First run: nothing but /setup until the admin exists. */
export function setupGate(auth: AuthService) {
  return async (ctx: Context, next: Next) => {
    if (ctx.path === '/setup' || !(await auth.needsSetup())) return next();
    if (isApi(ctx)) throw new HttpError(401, 'Bitarr is not set up yet: open /setup in a browser');
    ctx.redirect('/setup');
  };
}

/** A state change needs the token of this session (form field `_csrf` or header X-CSRF-Token); bearer requests carry no cookie to abuse. */
export async function csrf(ctx: Context, next: Next) {
  if (!isUnsafe(ctx.method) || ctx.state.bearer) return next();
  const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
  const sent = typeof body._csrf === 'string' ? body._csrf : ctx.get('X-CSRF-Token');
  if (!sent || !ctx.state.csrf || !safeEqual(sent, ctx.state.csrf)) throw new HttpError(403, 'this form has expired or did not come from Bitarr: reload the page and try again');
  return next();
}

const OPEN = new Set(['/login', '/setup']);

/** Pages send strangers to /login; the API answers 401. */
export async function requireUser(ctx: Context, next: Next) {
  if (ctx.state.user || OPEN.has(ctx.path)) return next();
  if (isApi(ctx)) throw new HttpError(401, 'log in or send an API token (Authorization: Bearer <token>)', { 'WWW-Authenticate': 'Bearer' });
  ctx.redirect('/login');
}
