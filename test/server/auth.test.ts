/** First run, login, sessions, CSRF and the login rate limit, over real HTTP against a real server. */
import test from 'ava';
import { admin, appliance, authDump, count, PASSWORD } from './helpers.js';
import { openDb } from '../helpers/bitarr.js';

test('/healthz answers without auth', async (t) => {
  const app = await appliance(t);
  const r = await app.client().get('/healthz');
  t.is(r.status, 200);
  t.deepEqual(r.json(), { status: 'ok', version: '0.1.0' });
});

test('/healthz answers 503 when the database cannot be queried', async (t) => {
  const app = await appliance(t);
  await app.breakDatabase();
  const r = await app.client().get('/healthz');
  t.is(r.status, 503);
  t.like(r.json(), { status: 'unavailable', version: '0.1.0' });
});

test('first run: every page redirects to /setup, the API answers 401', async (t) => {
  const app = await appliance(t);
  const c = app.client();
  for (const path of ['/', '/login', '/settings', '/fragments/devices', '/nowhere']) {
    const r = await c.get(path);
    t.is(r.status, 302, path);
    t.is(r.headers.get('location'), '/setup', path);
  }
  const api = await c.get('/api/v1/hosts');
  t.is(api.status, 401);
  t.regex(api.json().error, /not set up/);
  t.is((await c.get('/setup')).status, 200);
});

test('setup creates the admin with a scrypt hash, logs in, and is refused afterwards', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  t.true(c.cookies.has('bitarr_session'));
  const page = await c.get('/');
  t.is(page.status, 200);
  t.regex(page.text, /Machines and their storage/);
  const db = openDb(app.dir);
  const users = await db('users').select('*');
  await db.destroy();
  t.is(users.length, 1);
  t.regex(users[0].password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.false(users[0].password_hash.includes(PASSWORD));

  const other = app.client();
  t.is((await other.get('/setup')).status, 404);
  await other.get('/login'); // a CSRF token for the anonymous client
  const again = await other.post('/setup', { form: { username: 'mallory', password: 'another long password' }, csrf: true });
  t.is(again.status, 404);
  t.is(await count(app.dir, 'users'), 1);
});

test('the session cookie is HttpOnly, SameSite=Strict, not Secure over http, and stored only hashed', async (t) => {
  const app = await appliance(t);
  const c = app.client();
  await c.get('/setup');
  const r = await c.post('/setup', { form: { username: 'admin', password: PASSWORD }, csrf: true });
  const cookie = r.setCookies.find((s) => s.startsWith('bitarr_session='))!;
  t.regex(cookie, /httponly/i);
  t.regex(cookie, /samesite=strict/i);
  t.notRegex(cookie, /secure/i);
  const raw = c.cookies.get('bitarr_session')!;
  t.true(Buffer.from(raw, 'base64url').length === 32);
  t.false((await authDump(app.dir)).includes(raw));
});

test('three wrong passwords, then the right one logs in', async (t) => {
  const app = await appliance(t);
  await admin(app);
  const c = app.client();
  await c.get('/login');
  for (let i = 0; i < 3; i++) {
    const r = await c.post('/login', { form: { username: 'admin', password: 'wrong password!' }, csrf: true });
    t.is(r.status, 401);
    t.regex(r.text, /wrong username or password/);
    t.regex(r.text, /value="admin"/, 'the form comes back with the username');
  }
  const ok = await c.post('/login', { form: { username: 'admin', password: PASSWORD }, csrf: true });
  t.is(ok.status, 303);
  t.is(ok.headers.get('location'), '/');
  t.is((await c.get('/')).status, 200);
});

test('six wrong passwords: 429 with Retry-After, even for the right one', async (t) => {
  const app = await appliance(t);
  await admin(app);
  const c = app.client();
  await c.get('/login');
  for (let i = 0; i < 5; i++) t.is((await c.post('/login', { form: { username: 'admin', password: `wrong ${i}` }, csrf: true })).status, 401);
  const sixth = await c.post('/login', { form: { username: 'admin', password: 'wrong 6' }, csrf: true });
  t.is(sixth.status, 429);
  const retry = Number(sixth.headers.get('retry-after'));
  t.true(retry > 0 && retry <= 15 * 60, String(retry));
  t.regex(sixth.text, /too many failed logins/);
  const right = await c.post('/login', { form: { username: 'admin', password: PASSWORD }, csrf: true });
  t.is(right.status, 429);
  t.false(right.setCookies.some((s) => s.startsWith('bitarr_session=')));
});

test('without a session: pages redirect to /login, the API answers 401 JSON', async (t) => {
  const app = await appliance(t);
  await admin(app);
  const c = app.client();
  for (const path of ['/', '/settings', '/fragments/devices']) {
    const r = await c.get(path);
    t.is(r.status, 302, path);
    t.is(r.headers.get('location'), '/login', path);
  }
  const api = await c.get('/api/v1/hosts');
  t.is(api.status, 401);
  t.regex(api.headers.get('content-type')!, /application\/json/);
  t.is(api.json().status, 401);
  t.is((await c.get('/login')).status, 200);
  t.is((await c.get('/setup')).status, 404);
});

test('a POST without the CSRF token, or with a wrong one, is 403 and changes nothing', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const before = await authDump(app.dir);
  const attempts = [
    () => c.post('/settings/tokens', { form: { name: 'sneaky' } }),
    () => c.post('/settings/tokens', { form: { name: 'sneaky' }, csrf: 'not-the-token' }),
    () => c.post('/settings/tokens', { form: { name: 'sneaky' }, headers: { 'X-CSRF-Token': 'wrong', 'HX-Request': 'true' } }),
    () => c.post('/logout'),
    () => app.client().post('/login', { form: { username: 'admin', password: PASSWORD } }),
  ];
  for (const attempt of attempts) {
    const r = await attempt();
    t.is(r.status, 403);
    t.regex(r.text, /did not come from Bitarr/);
  }
  t.is(await authDump(app.dir), before);
  t.is((await c.get('/')).status, 200, 'still logged in');
  // The header works as well as the form field (what htmx sends from <body hx-headers>).
  const viaHeader = await c.post('/settings/tokens', { form: { name: 'by header' }, headers: { 'X-CSRF-Token': c.csrf } });
  t.is(viaHeader.status, 303);
});

test('logout ends the session on the server, not only in the browser', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const stolen = c.cookies.get('bitarr_session')!;
  t.is(await count(app.dir, 'sessions'), 1);
  const r = await c.post('/logout', { csrf: true });
  t.is(r.status, 303);
  t.is(r.headers.get('location'), '/login');
  t.false(c.cookies.has('bitarr_session'));
  t.is(await count(app.dir, 'sessions'), 0);
  const replay = app.client();
  replay.cookies.set('bitarr_session', stolen);
  const page = await replay.get('/');
  t.is(page.status, 302);
  t.is(page.headers.get('location'), '/login');
});

test('the request log is one JSON line a request, with no password, cookie or token', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  await c.post('/login', { form: { username: 'admin', password: PASSWORD }, csrf: true });
  const requests = app.logs.filter((l) => l.msg === 'request');
  t.true(requests.length >= 4);
  for (const l of requests) t.deepEqual(Object.keys(l).sort(), ['level', 'method', 'ms', 'msg', 'path', 'status']);
  const text = JSON.stringify(app.logs);
  t.false(text.includes(PASSWORD));
  t.false(text.includes(c.cookies.get('bitarr_session')!));
  t.false(text.includes(c.csrf));
});
