/** Pages and fragments: one template each, htmx and plain forms alike, bad input refused whole, output escaped. */
import test from 'ava';
import { admin, appliance, authDump, count, PASSWORD } from './helpers.js';
import { seed } from './seed.js';

test('the dashboard is a full page; with HX-Request the same URL answers only its fragment', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const page = await c.get('/');
  t.regex(page.text, /^<!doctype html>/);
  t.regex(page.text, /<section id="devices" hx-get="\/fragments\/devices" hx-trigger="every 30s"/);
  t.regex(page.headers.get('vary') ?? '', /HX-Request/i);
  for (const path of ['/', '/fragments/devices']) {
    const frag = await c.get(path, { 'HX-Request': 'true' });
    t.is(frag.status, 200);
    t.notRegex(frag.text, /<html|<head|<body/);
    t.regex(frag.text, /^\s*<section id="devices"/);
  }
  // A boosted navigation is a page, not a fragment.
  t.regex((await c.get('/', { 'HX-Request': 'true', 'HX-Boosted': 'true' })).text, /<html/);
});

test('the dashboard groups this machine and its devices, with the host display name', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const hosts = (await c.get('/api/v1/hosts')).json().hosts as Array<{ displayName: string; devices: Array<{ id: number; type: string; mounts: Array<{ mountPoint: string }> }> }>;
  t.true(hosts.length >= 1);
  const page = (await c.get('/')).text;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  t.true(page.includes(`<h2>${esc(hosts[0]!.displayName)} <small>this host</small></h2>`), hosts[0]!.displayName);
  for (const d of hosts[0]!.devices) {
    t.true(page.includes(`id="device-${d.id}"`));
    t.true(page.includes(`badge type-${d.type}`));
  }
});

test('setup and login work as plain forms (303) and as htmx forms (HX-Redirect)', async (t) => {
  const app = await appliance(t);
  const c = app.client();
  await c.get('/setup');
  const hx = await c.post('/setup', { form: { username: 'admin', password: PASSWORD }, csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(hx.status, 200);
  t.is(hx.headers.get('hx-redirect'), '/');
  const plain = app.client();
  await plain.get('/login');
  const r = await plain.post('/login', { form: { username: 'admin', password: PASSWORD }, csrf: true });
  t.is(r.status, 303);
  t.is(r.headers.get('location'), '/');
  await plain.get('/');
  const out = await plain.post('/logout', { csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(out.headers.get('hx-redirect'), '/login');
});

const badSetups: Array<[string, Record<string, string>, RegExp]> = [
  ['a short password', { username: 'admin', password: 'short' }, /at least 12 characters/],
  ['an empty username', { username: '   ', password: PASSWORD }, /enter a username/],
  ['no fields at all', {}, /enter a username/],
];

for (const [what, form, message] of badSetups) {
  test(`setup with ${what}: 400, the form again with its message, nothing stored`, async (t) => {
    const app = await appliance(t);
    const c = app.client();
    await c.get('/setup');
    const before = await authDump(app.dir);
    for (const headers of [{}, { 'HX-Request': 'true' }] as Array<Record<string, string>>) {
      const r = await c.post('/setup', { form, csrf: true, headers });
      t.is(r.status, 400);
      t.regex(r.text, message);
      t.regex(r.text, /<form id="setup-form"/);
      t.is(/<html/.test(r.text), !('HX-Request' in headers), 'htmx gets the form fragment, a browser the page');
    }
    t.is(await authDump(app.dir), before);
    t.is((await c.get('/')).headers.get('location'), '/setup');
  });
}

test('templates escape what users typed', async (t) => {
  const app = await appliance(t);
  const evil = '<script>alert(1)</script>';
  const c = await admin(app, evil);
  const page = await c.get('/');
  t.true(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.false(page.text.includes(evil));
  const bad = await c.post('/settings/tokens', { form: { name: '"><img src=x onerror=alert(1)>' }, csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(bad.status, 201);
  t.false(bad.text.includes('<img src=x'));
  t.true(bad.text.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
});

test('API tokens from the settings page: shown once, plain form and htmx, empty name refused', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const created = await c.post('/settings/tokens', { form: { name: 'backup script' }, csrf: true });
  t.is(created.status, 303);
  t.is(created.headers.get('location'), '/settings');
  const once = await c.get('/settings');
  const token = /<pre><code>(bitarr_[A-Za-z0-9_-]{43})<\/code><\/pre>/.exec(once.text)?.[1];
  t.truthy(token, once.text);
  t.false((await c.get('/settings')).text.includes(token!), 'shown once');
  t.false((await authDump(app.dir)).includes(token!), 'stored only hashed');

  const hx = await c.post('/settings/tokens', { form: { name: 'grafana' }, csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(hx.status, 201);
  t.regex(hx.text, /^\s*<div id="tokens">/);
  t.regex(hx.text, /bitarr_[A-Za-z0-9_-]{43}/);

  const before = await authDump(app.dir);
  const empty = await c.post('/settings/tokens', { form: { name: ' ' }, csrf: true });
  t.is(empty.status, 400);
  t.regex(empty.text, /give the token a name/);
  t.regex(empty.text, /<html/);
  t.is(await authDump(app.dir), before);
  t.is(await count(app.dir, 'api_tokens'), 2);
});

test('static files are served without auth, cached long, and nothing outside public/', async (t) => {
  const app = await appliance(t);
  const c = app.client();
  const htmx = await c.get('/static/vendor/htmx-2.0.11.min.js');
  t.is(htmx.status, 200);
  t.regex(htmx.headers.get('content-type')!, /javascript/);
  t.regex(htmx.headers.get('cache-control')!, /max-age=31536000/);
  t.is((await c.get('/static/css/bitarr.css')).status, 200);
  for (const path of ['/static/..%2fpackage.json', '/static/css/..%2f..%2f..%2fpackage.json', '/static/%E0%A4%A', '/static/vendor/VERSIONS', '/static/nope.css']) t.is((await c.get(path)).status, 404, path);
});

test('each device on the dashboard carries its health badge and when a completed scan last verified it', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const page = await c.get('/');
  const card = page.text.slice(page.text.indexOf(`id="device-${s.deviceId}"`)).split('</div>')[0]!;
  t.regex(card, new RegExp(`class="verdict verdict-${s.verdict}" href="/devices/${s.deviceId}#health"[^>]*>health: ${s.verdict} \\d+<`));
  const scan = /<dt>Last verified<\/dt><dd><a href="\/scans\/(\d+)"><time datetime="([^"]+)"/.exec(card);
  t.truthy(scan, 'a link to the scan that last verified it');
  t.true(Date.now() - Date.parse(scan![2]!) < 600_000);
  // This machine's own disks were never scanned or checked here.
  t.regex(page.text, /health: not checked/);
  t.regex(page.text, /never scanned/);
});

test('the vendored browser libraries are byte for byte the pinned packages VERSIONS names, at the versions package.json pins', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const root = new URL('../../', import.meta.url);
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { devDependencies: Record<string, string> };
  const lines = (await readFile(new URL('public/vendor/VERSIONS', root), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
  t.is(lines.length, 4);
  for (const line of lines) {
    const m = /^(\S+) (\S+)\s+(\S+)\s+\(from (\S+)\)$/.exec(line);
    t.truthy(m, line);
    const [, name, version, file, from] = m!;
    t.is(pkg.devDependencies[name!], version, `${name} pinned at ${version}`);
    t.true(file!.includes(version!), `${file} carries its version in its name`);
    t.deepEqual(await readFile(new URL(`public/vendor/${file}`, root)), await readFile(new URL(from!, root)), file);
  }
});
