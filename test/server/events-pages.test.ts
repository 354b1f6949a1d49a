/** Bitrot events in the browser and the JSON API: list, detail, acknowledge / resolve / dismiss with a note. */
import test from 'ava';
import { bitarr } from '../helpers/bitarr.js';
import { admin, appliance } from './helpers.js';
import { BAND, FAR, LOST, eventsDump, html, seed } from './seed.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the list shows open and acknowledged events with device, status, severity, pattern and file count; ?all=1 shows all', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const list = await c.get('/events');
  t.is(list.status, 200);
  t.regex(list.text, /<html/);
  for (const id of [s.eventId, s.otherId]) t.regex(list.text, new RegExp(`<tr id="event-row-${id}">`));
  const row = list.text.slice(list.text.indexOf(`<tr id="event-row-${s.eventId}">`)).split('</tr>')[0]!;
  t.regex(row, new RegExp(`<a href="/devices/${s.deviceId}">&quot;photos&quot; WDC WD40EFRX-68N32N0 serial WD-WCC7K1234567</a>`));
  t.regex(row, /status-open">open</);
  t.regex(row, /<td>3<\/td>/, 'three files');

  t.is((await c.post(`/events/${s.otherId}/dismiss`, { form: { note: 'test file' }, csrf: true })).status, 303);
  const open = await c.get('/events');
  t.notRegex(open.text, new RegExp(`event-row-${s.otherId}"`));
  const all = await c.get('/events?all=1', { 'HX-Request': 'true' });
  t.regex(all.text, /^\s*<section id="events"/, 'htmx gets the fragment');
  t.regex(all.text, new RegExp(`event-row-${s.otherId}"[\\s\\S]*?status-dismissed`));

  const api = (await c.get('/api/v1/events')).json();
  t.deepEqual(api.events.map((e: { id: number }) => e.id), [s.eventId]);
  t.deepEqual((await c.get('/api/v1/events?all=1')).json().events.map((e: { id: number }) => e.id), [s.otherId, s.eventId]);
});

test('the event page: pattern, reasons, clusters with byte and sector ranges and files, unlocated files, actions, history and the form', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const r = await c.get(`/events/${s.eventId}`);
  t.is(r.status, 200);
  t.regex(r.text, /<html/);
  const e = (await c.get(`/api/v1/events/${s.eventId}`)).json();
  t.regex(r.text, new RegExp(`Pattern <strong>${e.pattern}</strong>`));
  for (const reason of e.reasons) t.true(r.text.includes(html(reason.text)), reason.text);
  const cl = e.clusters[0];
  t.regex(r.text, new RegExp(`bytes ${cl.start}–${cl.end} <span class="muted">\\(.*, sectors ${Math.floor(cl.start / 512)}–${Math.floor((cl.end - 1) / 512)}`));
  for (const f of BAND) t.regex(r.text, new RegExp(`<li><code>${esc(f)}</code></li>`));
  t.regex(r.text, new RegExp(`<code>${esc(LOST)}</code> <span class="muted">— the file is gone since the scan`));
  t.true(e.actions.length > 0);
  for (const a of e.actions) t.true(r.text.includes(html(a.text)), a.text);
  t.regex(r.text, /<strong>opened<\/strong> by <span class="who">bitarr<\/span>/);
  for (const a of ['acknowledge', 'resolve', 'dismiss']) t.regex(r.text, new RegExp(`formaction="/events/${s.eventId}/${a}" hx-post="/events/${s.eventId}/${a}"`));
  t.regex(r.text, /name="_csrf"/);

  const frag = await c.get(`/events/${s.eventId}`, { 'HX-Request': 'true' });
  t.regex(frag.text, /^\s*<section id="event">/);
  t.notRegex(frag.text, /<html|<body/);
  t.regex(frag.headers.get('vary') ?? '', /HX-Request/i);

  for (const path of ['/events/999999', '/events/x', '/api/v1/events/999999']) t.is((await c.get(path)).status, 404, path);
  t.is((await c.post('/events/999999/acknowledge', { csrf: true })).status, 404);
  t.is((await c.post(`/events/${s.eventId}/reopen`, { csrf: true })).status, 404);
});

test('acknowledge as a plain form: 303 back to the event, the history has the user and the note', async (t) => {
  const app = await appliance(t);
  const c = await admin(app, 'alice');
  const s = await seed(app.dir);
  await c.get(`/events/${s.eventId}`);
  const r = await c.post(`/events/${s.eventId}/acknowledge`, { form: { note: 'restoring from <backup>' }, csrf: true });
  t.is(r.status, 303);
  t.is(r.headers.get('location'), `/events/${s.eventId}`);
  const e = (await c.get(`/api/v1/events/${s.eventId}`)).json();
  t.is(e.status, 'acknowledged');
  t.like(e.history.at(-1), { action: 'acknowledged', who: 'alice', note: 'restoring from <backup>' });
  const page = await c.get(`/events/${s.eventId}`);
  t.regex(page.text, /<strong>acknowledged<\/strong> by <span class="who">alice<\/span>: <q>restoring from &lt;backup&gt;<\/q>/);
  t.notRegex(page.text, /formaction="[^"]*\/acknowledge"/, 'an acknowledged event cannot be acknowledged again');

  // With htmx: the event fragment comes back, re-rendered.
  const hx = await c.post(`/events/${s.otherId}/acknowledge`, { form: { note: '' }, csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(hx.status, 200);
  t.regex(hx.text, /^\s*<section id="event">/);
  t.regex(hx.text, /status-acknowledged/);
  t.regex(hx.text, /<strong>acknowledged<\/strong> by <span class="who">alice<\/span><\/li>/);
});

test('resolving before the files verify good: 409 in the form naming the files, nothing changed', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  await c.get(`/events/${s.eventId}`);
  const before = await eventsDump(app.dir);
  for (const headers of [{}, { 'HX-Request': 'true' }] as Array<Record<string, string>>) {
    const r = await c.post(`/events/${s.eventId}/resolve`, { form: { note: 'all fine' }, csrf: true, headers });
    t.is(r.status, 409);
    t.is(/<html/.test(r.text), !('HX-Request' in headers), 'htmx gets the event fragment, a browser the page');
    t.regex(r.text, /<p class="error" role="alert">event #\d+ cannot be resolved yet: 3 files have not verified good/);
    for (const f of [...BAND, LOST]) t.regex(r.text, new RegExp(`<ul class="files unverified">[\\s\\S]*<code>${esc(f)}</code>`), f);
    t.regex(r.text, /<textarea name="note"[^>]*>all fine<\/textarea>/, 'the note is kept');
  }
  t.is(await eventsDump(app.dir), before);
  t.is((await c.get(`/api/v1/events/${s.eventId}`)).json().status, 'open');
});

test('CSRF and login guard every event action', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const before = await eventsDump(app.dir);
  for (const r of [
    await c.post(`/events/${s.eventId}/acknowledge`, { form: { note: 'x' } }),
    await c.post(`/events/${s.eventId}/dismiss`, { form: { note: 'x' }, csrf: 'wrong' }),
  ]) {
    t.is(r.status, 403);
    t.regex(r.text, /did not come from Bitarr/);
  }
  const stranger = app.client();
  await stranger.get('/login');
  const anon = await stranger.post(`/events/${s.eventId}/acknowledge`, { form: { note: 'x' }, csrf: true });
  t.is(anon.status, 302);
  t.is(anon.headers.get('location'), '/login');
  for (const path of ['/events', `/events/${s.eventId}`]) t.is((await stranger.get(path)).headers.get('location'), '/login', path);
  for (const path of ['/api/v1/events', `/api/v1/events/${s.eventId}`]) t.is((await stranger.get(path)).status, 401, path);
  t.is(await eventsDump(app.dir), before);
});

test('/api/v1/events/:id and /api/v1/events are what `bitarr event ID --json` and `bitarr events --json` print', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  await c.post(`/events/${s.eventId}/acknowledge`, { form: { note: 'on it' }, csrf: true });
  const cli = await bitarr(['event', String(s.eventId), '--json', '--config-dir', app.dir]);
  t.is(cli.code, 0, cli.stderr);
  const api = (await c.get(`/api/v1/events/${s.eventId}`)).json();
  t.deepEqual(api, JSON.parse(cli.stdout));
  t.deepEqual(Object.keys(api), ['id', 'device', 'status', 'severity', 'pattern', 'reasons', 'actions', 'clusters', 'unlocated', 'files', 'firstScanId', 'lastScanId', 'openedAt', 'updatedAt', 'history', 'deviceMap']);
  t.like(api.history.at(-1), { who: 'admin', note: 'on it' });
  const list = await bitarr(['events', '--all', '--json', '--config-dir', app.dir]);
  t.deepEqual((await c.get('/api/v1/events?all=1')).json(), JSON.parse(list.stdout));
  t.true(JSON.stringify(api).includes(BAND[0]!) && !JSON.stringify(api).includes(FAR));
});

test('the API acknowledges an event with a note and refuses to resolve it early; a bad action or note is refused and changes nothing', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const json = (path: string, body: unknown) => c.request('POST', path, { headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf }, body: JSON.stringify(body) });
  const before = await eventsDump(app.dir);
  t.is((await json(`/api/v1/events/${s.eventId}/explode`, {})).status, 404);
  t.is((await json(`/api/v1/events/${s.eventId}/acknowledge`, { note: 42 })).status, 400);
  t.is((await json(`/api/v1/events/${s.eventId}/acknowledge`, { note: 'x'.repeat(2001) })).status, 400);
  t.is(await eventsDump(app.dir), before);
  const ack = await json(`/api/v1/events/${s.eventId}/acknowledge`, { note: 'replacing the disk Friday' });
  t.is(ack.status, 200);
  t.is(ack.json().status, 'acknowledged');
  t.is(ack.json().history.at(-1).note, 'replacing the disk Friday');
  t.is(ack.json().history.at(-1).who, 'admin');
  const resolve = await json(`/api/v1/events/${s.eventId}/resolve`, {});
  t.is(resolve.status, 409, 'its files have not verified good since');
});
