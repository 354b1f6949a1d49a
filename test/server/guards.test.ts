/**
 * Every route of the appliance behind the door: a stranger is sent to /login (pages) or gets 401
 * (API); a state change without this session's CSRF token is 403 and changes nothing, on every
 * form that changes state.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { openDb, tempDir } from '../helpers/bitarr.js';
import { admin, appliance } from './helpers.js';
import { seed } from './seed.js';

const PAGES = ['/', '/scans', '/scans/1', '/scans/1/progress', '/scans/1/findings.csv', '/schedules', '/events', '/events/1', '/devices/1', '/database', '/settings'];
const API = ['/api/v1/hosts', '/api/v1/devices/1', '/api/v1/scans', '/api/v1/scans/1', '/api/v1/scans/1/findings', '/api/v1/events', '/api/v1/events/1', '/api/v1/schedules', '/api/v1/settings', '/api/v1/database', '/api/v1/database/backups'];

/** Everything a state change could touch, to prove a refused one touched nothing. */
async function state(dir: string): Promise<string> {
  const db = openDb(dir);
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ['scans', 'scan_findings', 'baselines', 'settings', 'schedules', 'bitrot_events', 'device_health_history', 'api_tokens', 'users']) out[table] = await db(table).select('*').orderBy(1);
    return JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : v));
  } finally {
    await db.destroy();
  }
}

test('a stranger gets nothing: pages send to /login, the API answers 401', async (t) => {
  const app = await appliance(t);
  await admin(app);
  const stranger = app.client();
  for (const path of PAGES) {
    const r = await stranger.get(path);
    t.is(r.status, 302, path);
    t.is(r.headers.get('location'), '/login', path);
  }
  for (const path of API) {
    const r = await stranger.get(path);
    t.is(r.status, 401, path);
    t.is(r.json().status, 401, path);
  }
  const bearer = await stranger.get('/api/v1/scans', { authorization: 'Bearer not-a-token' });
  t.is(bearer.status, 401);
});

test('every state change without this session\'s CSRF token is 403 and changes nothing', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const data = await tempDir(t, 'bitarr-guards-');
  await mkdir(join(data, 'a'), { recursive: true });
  await writeFile(join(data, 'a', 'f.txt'), 'x');
  t.is((await c.submit('/settings', { scanRoots: data })).status, 303);
  t.is((await c.submit('/schedules', { name: 'n', target: `root:${data}`, preset: 'daily', time: '03:00' })).status, 303);
  const before = await state(app.dir);
  const forms: Array<[string, Record<string, string>]> = [
    ['/scans', { path: data }],
    ['/scans/1/stop', {}],
    ['/scans/1/resume', {}],
    ['/settings', { scanThreads: '7' }],
    ['/settings/tokens', { name: 'x' }],
    ['/schedules', { name: 'm', target: `root:${data}`, preset: 'daily', time: '04:00' }],
    ['/schedules/1/run', {}],
    ['/schedules/1/disable', {}],
    ['/schedules/1/delete', {}],
    [`/events/${s.eventId}/acknowledge`, { note: 'x' }],
    [`/devices/${s.deviceId}/health`, {}],
    ['/database/backups', {}],
  ];
  for (const [path, form] of forms) {
    for (const csrf of [false, 'forged-token'] as const) {
      const r = await c.post(path, { form, csrf: csrf || undefined });
      t.is(r.status, 403, `${path} with ${csrf || 'no'} token`);
    }
  }
  const json = await c.request('PATCH', '/api/v1/settings', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scanThreads: 9 }) });
  t.is(json.status, 403, 'the JSON API with a session needs the token too');
  t.is(await state(app.dir), before);
});
