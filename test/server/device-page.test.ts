/** The device page and /api/v1/devices/:id: identity, type, unknowns, recorded health, the map with its damage, the events. */
import test from 'ava';
import { deviceMap } from '../../src/domain/events/index.js';
import { bytes } from '../../src/server/render.js';
import { mapBars } from '../../src/services/event-view.js';
import { admin, appliance } from './helpers.js';
import { BAND_AT, SIZE, html, seed } from './seed.js';

const rects = (page: string) => [...page.matchAll(/<rect class="damaged[^"]*" data-start="(\d+)" data-end="(\d+)" data-clusters="([^"]*)"/g)].map((m) => ({ start: Number(m[1]), end: Number(m[2]), clusters: m[3]! }));

test('the device page shows identity, type with evidence, unknowns, the latest health, the map with the damaged bucket and the events', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const r = await c.get(`/devices/${s.deviceId}`);
  t.is(r.status, 200);
  t.regex(r.text, /^<!doctype html>/);
  t.regex(r.text, /<title>photos · Bitarr<\/title>/);
  t.regex(r.text, /fs-uuid <code>uuid-photos<\/code>/);
  t.regex(r.text, /WDC WD40EFRX-68N32N0, serial WD-WCC7K1234567/);
  t.regex(r.text, /hdd — because rotational=1 in sysfs/);
  t.regex(r.text, /<code>\/mnt\/photos<\/code>/);
  t.regex(r.text, /transport speed: udevadm gave no answer — <strong>would help: udevadm<\/strong>/);
  // The health the service recorded, read back: not a new smartctl run.
  t.regex(r.text, new RegExp(`<span class="verdict verdict-${s.verdict}">${s.verdict}</span>`));
  t.regex(r.text, /score <strong>\d+<\/strong>\/100/);
  t.true(s.reasons.length > 0);
  for (const m of s.reasons) t.true(r.text.includes(html(m)), m);

  const damaged = rects(r.text);
  t.is(damaged.length, 2, 'the band and the far file: two buckets of 256');
  const band = damaged.find((d) => d.start <= BAND_AT && BAND_AT < d.end);
  t.truthy(band, JSON.stringify(damaged));
  t.is(band!.clusters, `${s.eventId}:0`);
  t.is((r.text.match(/<rect class="bucket/g) ?? []).length, 256);
  t.regex(r.text, /<title>bytes 1484375000000–1500000000000 \(15\.6 GB\)/, 'each bucket has its byte range as a tooltip');
  t.regex(r.text, /Used space not known: not measured yet: it is measured after each scan the appliance runs, beside a command-line scan that runs longer than 5 s, when damage is found, and by “Check now”/, 'the page says why used space is missing and when it will be measured');

  t.regex(r.text, new RegExp(`<a href="/events/${s.eventId}">#${s.eventId}</a>`));
  t.regex(r.text, new RegExp(`<a href="/events/${s.otherId}">#${s.otherId}</a>`));
  t.regex(r.text, /<table class="scans">[\s\S]*<a href="\/scans\/2">#2<\/a>[\s\S]*<a href="\/scans\/1">#1<\/a>/, 'its latest scans, newest first');

  const dash = await c.get('/');
  t.true(dash.text.includes(`<a href="/devices/${s.deviceId}">photos</a>`), 'the dashboard links the device to its page');
  t.true(dash.text.includes(`href="/devices/${s.deviceId}#device-events">2 open bitrot events</a>`));
});

test('a device never checked says so; an unknown or malformed id is 404', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir, { checkHealth: false });
  const r = await c.get(`/devices/${s.deviceId}`);
  t.is(r.status, 200);
  t.regex(r.text, /Never checked/);
  t.notRegex(r.text, /class="verdict/);
  t.is((await c.get(`/api/v1/devices/${s.deviceId}`)).json().health, null);
  for (const path of ['/devices/999999', '/devices/abc', '/devices/1e3', '/api/v1/devices/999999']) {
    const r = await c.get(path);
    t.is(r.status, 404, path);
  }
  t.deepEqual((await c.get('/api/v1/devices/999999')).json(), { error: 'no storage device 999999', status: 404 });
});

test('/api/v1/devices/:id: the device, its latest health and its map', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const r = await c.get(`/api/v1/devices/${s.deviceId}`);
  t.is(r.status, 200);
  const j = r.json();
  t.deepEqual(Object.keys(j), ['device', 'health', 'smart', 'trends', 'deviceMap', 'scans']);
  t.like(j.device, { id: s.deviceId, type: 'hdd', label: 'photos', sizeBytes: SIZE });
  t.is(j.health.verdict, s.verdict);
  t.regex(j.health.checkedAt, /^\d{4}-\d\d-\d\dT/);
  t.is(j.deviceMap.sizeBytes, SIZE);
  t.is(j.deviceMap.buckets.length, 256);
  t.true(j.deviceMap.buckets.some((b: { start: number; end: number; corruptedBytes: number }) => b.start <= BAND_AT && BAND_AT < b.end && b.corruptedBytes === 131_072));
  t.is(j.deviceMap.usedGranularity, null);
  t.true(j.deviceMap.usedUnknown.length > 0);
  t.is(j.deviceMap.usedMeasuredAt, null, 'never measured');
  t.is(j.smart.drive.model, 'WDC WD140EDFZ-11A0VA0', 'the SMART table of the recorded check');
  t.deepEqual(j.scans.map((s: { id: number }) => s.id), [2, 1], 'its scans, newest first');
  // Without a session or token: 401 JSON, and the page sends the browser to /login.
  t.is((await app.client().get(`/api/v1/devices/${s.deviceId}`)).status, 401);
  t.is((await app.client().get(`/devices/${s.deviceId}`)).headers.get('location'), '/login');
});

test('the map shades used space by how full each bucket is and marks damage inside it', (t) => {
  const map = deviceMap({ sizeBytes: 1000, buckets: 4, used: [{ start: 0, end: 375 }], events: [{ id: 7, status: 'open', severity: 'severe', clusters: [{ start: 100, end: 110 }] }] });
  const bars = mapBars(map, bytes);
  t.deepEqual(bars.map((b) => b.used), [1, 0.5, 0, 0]);
  t.deepEqual(bars.map((b) => b.damaged), [true, false, false, false]);
  t.is(bars[0]!.title, 'bytes 0–250 (250 B) · 100% used · damaged: 10 B, severe (cluster 7:0)');
  const unknown = mapBars(deviceMap({ sizeBytes: 1000, buckets: 2, events: [] }), bytes);
  t.deepEqual(unknown.map((b) => b.used), [null, null]);
});
