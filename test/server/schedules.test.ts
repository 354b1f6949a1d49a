/**
 * Schedules on a real appliance: presets and cron checked, next run shown, run now, no overlapping
 * runs, a stopped run continued by the next one, and a real cron timer firing a scan.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { openDb, tempDir } from '../helpers/bitarr.js';
import { admin, appliance, count, type Client, waitFor } from './helpers.js';
import { seed } from './seed.js';
import { ScheduleRepository } from '../../src/repositories/schedule.repository.js';
import { scanIntervalSeconds } from '../../src/services/schedule.service.js';

async function tree(dir: string, files: number, size = 1024): Promise<void> {
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${i}.bin`), Buffer.alloc(size, i % 251));
  }
}

async function setUp(t: Parameters<typeof appliance>[0], files = 20, size = 1024) {
  const app = await appliance(t);
  const c = await admin(app);
  const data = await tempDir(t, 'bitarr-sched-');
  await tree(data, files, size);
  const r = await c.submit('/settings', { scanRoots: data });
  t.is(r.status, 303);
  return { app, c, data };
}

const schedule = (c: Client, id: number) => c.get(`/api/v1/schedules/${id}`).then((r) => r.json());

test('a schedule from the form: bad cron, bad time and folders outside the scan roots are 400 and add nothing; a weekly preset shows its next run', async (t) => {
  const { app, c, data } = await setUp(t);
  for (const [form, message] of [
    [{ name: 'x', target: `root:${data}`, preset: 'custom', cron: '61 * * * *' }, /61 is a invalid expression for minute/],
    [{ name: 'x', target: `root:${data}`, preset: 'custom', cron: '* * * * * *' }, /five fields/],
    [{ name: 'x', target: `root:${data}`, preset: 'daily', time: '25:00' }, /not a time of day/],
    [{ name: 'x', target: 'root:/etc', preset: 'daily', time: '03:00' }, /outside the folders Bitarr may scan/],
    [{ name: '', target: `root:${data}`, preset: 'daily', time: '03:00' }, /give the schedule a name/],
    [{ name: 'x', target: 'device:999', preset: 'daily', time: '03:00' }, /no storage device 999/],
  ] as const) {
    const r = await c.submit('/schedules', form as Record<string, string>);
    t.is(r.status, 400, JSON.stringify(form));
    t.regex(r.text, message);
    t.regex(r.text, /<form method="post" action="\/schedules"/, 'the form comes back');
  }
  // This machine's root disk is known, but not inside the folders Bitarr may scan.
  const local = (await c.get('/api/v1/hosts')).json().hosts.find((h: { local: boolean }) => h.local);
  const rootDisk = local.devices.find((d: { mounts: Array<{ mountPoint: string }> }) => d.mounts.some((m) => m.mountPoint === '/'));
  if (rootDisk) {
    const r = await c.submit('/schedules', { name: 'x', target: `device:${rootDisk.id}`, preset: 'daily', time: '03:00' });
    t.is(r.status, 400);
    t.regex(r.text, /is not mounted inside the folders Bitarr may scan/);
    t.notRegex((await c.get('/schedules')).text, new RegExp(`value="device:${rootDisk.id}"`), 'and it is not offered');
  } else t.log('no device of this host is mounted at /: the refusal of a device outside the scan roots was not checked here');
  t.is(await count(app.dir, 'schedules'), 0);

  const made = await c.submit('/schedules', { name: 'Photos <weekly>', target: `root:${data}`, preset: 'weekly', time: '02:30', maxRuntimeMinutes: '90' });
  t.is(made.status, 303);
  const page = await c.get('/schedules');
  t.regex(page.text, /Photos &lt;weekly&gt;/);
  t.regex(page.text, /weekly at 02:30 · <code>30 2 \* \* 0<\/code>/);
  t.regex(page.text, /at most 90 min a run/);
  const [s] = (await c.get('/api/v1/schedules')).json().schedules;
  const next = new Date(s.nextRunAt);
  t.true(next.getTime() > Date.now() && next.getTime() <= Date.now() + 7 * 86400_000, s.nextRunAt);
  t.is(next.getDay(), 0, 'a Sunday');
  t.is(`${next.getHours()}:${next.getMinutes()}`, '2:30');

  t.is((await c.post(`/schedules/${s.id}/disable`, { csrf: true })).status, 303);
  t.is((await schedule(c, s.id)).nextRunAt, null, 'a disabled schedule has no next run');
});

test('run now starts a scan recorded as the schedule\'s; a run that would overlap is skipped and says why; a stopped run is continued by the next', async (t) => {
  const { c, data } = await setUp(t, 400, 32 * 1024);
  t.is((await c.submit('/schedules', { name: 'nightly', target: `root:${data}`, preset: 'daily', time: '03:00' })).status, 303);
  const [{ id }] = (await c.get('/api/v1/schedules')).json().schedules;

  // A slow manual scan of the same folder is running: the schedule's run must not overlap it.
  const manual = await c.submit('/scans', { path: data, maxRateMBps: '1', threads: '1' });
  const manualId = Number(/\/scans\/(\d+)$/.exec(manual.headers.get('location')!)![1]);
  const skipped = await c.post(`/schedules/${id}/run`, { csrf: true });
  t.is(skipped.status, 409);
  t.regex(skipped.text, new RegExp(`skipped: scan ${manualId} is already scanning`));
  t.regex((await schedule(c, id)).lastResult, /^skipped: scan \d+ is already scanning/);
  t.is((await c.post(`/scans/${manualId}/stop`, { csrf: true })).status, 303);
  await waitFor('the manual scan to stop', async () => {
    const j = (await c.get(`/api/v1/scans/${manualId}`)).json();
    return j.scan.status === 'interrupted' && !j.progress;
  });

  // Run now: the schedule's scan. The interrupted manual scan of the same folder is continued.
  const run = await c.post(`/schedules/${id}/run`, { csrf: true });
  t.is(run.status, 303);
  const scanId = Number(/\/scans\/(\d+)$/.exec(run.headers.get('location')!)![1]);
  t.is(scanId, manualId, 'the interrupted scan of this folder is resumed, not restarted');
  const done = await waitFor('the scheduled run to finish', async () => {
    const s = await schedule(c, id);
    return /^completed/.test(s.lastResult ?? '') ? s : null;
  }, 60_000);
  t.is(done.lastScanId, scanId);
  t.is((await c.get(`/api/v1/scans/${scanId}`)).json().scan.files, 400);

  // The next run has nothing to continue: a fresh scan of the schedule's own.
  const again = await c.post(`/schedules/${id}/run`, { csrf: true });
  const nextId = Number(/\/scans\/(\d+)$/.exec(again.headers.get('location')!)![1]);
  t.true(nextId > scanId);
  await waitFor('the second run', async () => /^completed/.test((await schedule(c, id)).lastResult ?? ''), 60_000);
  const scan = (await c.get(`/api/v1/scans/${nextId}`)).json().scan;
  t.is(scan.status, 'completed');
  t.is(scan.counts.ok, 400);
  t.is(scan.trigger, 'schedule');
  t.is(scan.scheduleId, id);
  t.regex((await c.get('/schedules')).text, new RegExp(`<a href="/scans/${nextId}">scan #${nextId}</a>`));
});

test('a cron timer fires a scan at the minute, through the same path as run now', async (t) => {
  const { app, c, data } = await setUp(t);
  // Far from a minute's end, so the first firing comes within about a minute.
  while (new Date().getSeconds() > 50) await new Promise((r) => setTimeout(r, 1000));
  const r = await c.post('/api/v1/schedules', { headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf } });
  t.is(r.status, 400, 'an empty schedule is refused');
  const created = await fetch(`${app.url}/api/v1/schedules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    body: JSON.stringify({ name: 'every minute', target: `root:${data}`, preset: 'custom', cron: '* * * * *' }),
  });
  t.is(created.status, 201);
  const { id } = await created.json();
  const fired = await waitFor('the timer to fire', async () => {
    const s = await schedule(c, id);
    return s.lastScanId ? s : null;
  }, 75_000);
  const db = openDb(app.dir);
  t.teardown(() => db.destroy());
  const row = await db('scans').where({ id: fired.lastScanId }).first();
  t.is(row.trigger, 'schedule');
  t.is(row.schedule_id, id);
  t.true(app.logs.some((l) => l.msg === 'scan started' && l.scheduleId === id));
  t.is((await fetch(`${app.url}/api/v1/schedules/${id}`, { method: 'DELETE', headers: { 'x-csrf-token': c.csrf, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })).status, 204);
  t.is(await count(app.dir, 'schedules'), 0);
});

test('a device\'s schedules give the interval an event\'s "scan more often" advice starts from', async (t) => {
  const dir = await tempDir(t, 'bitarr-interval-');
  const s = await seed(dir, { checkHealth: false });
  const db = openDb(dir);
  t.teardown(() => db.destroy());
  const repo = new ScheduleRepository(db);
  const base = { roots: [], algorithm: null, excludes: [], maxRuntimeMinutes: null, enabled: true };
  t.is(await scanIntervalSeconds(repo, s.deviceId, 'UTC'), null, 'no schedule');
  await repo.create({ ...base, name: 'weekly', deviceId: s.deviceId, cron: '0 3 * * 0' });
  t.is(await scanIntervalSeconds(repo, s.deviceId, 'UTC'), 7 * 86400);
  await repo.create({ ...base, name: 'off', deviceId: s.deviceId, cron: '0 * * * *', enabled: false });
  t.is(await scanIntervalSeconds(repo, s.deviceId, 'UTC'), 7 * 86400, 'a disabled schedule does not count');
  await repo.create({ ...base, name: 'daily', deviceId: s.deviceId, cron: '30 2 * * *' });
  t.is(await scanIntervalSeconds(repo, s.deviceId, 'UTC'), 86400, 'the most frequent one');
  t.is(await scanIntervalSeconds(repo, s.deviceId + 1, 'UTC'), null, 'another device');
});
