/**
 * Scans from the browser and the API on a real appliance: only inside the configured scan roots,
 * live progress over SSE, stop and resume, no two scans of one tree, the history and the findings
 * pages (25 a page, filtered, searched), and a shutdown that leaves the running scan resumable.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { openDb, tempDir } from '../helpers/bitarr.js';
import { NET_SHARE_NEEDS, NetShares, labTest } from '../lab/index.js';
import { throughputAdvice } from '../../src/services/scan-view.js';
import { admin, appliance, count, type Appliance, type Client, waitFor } from './helpers.js';

async function tree(dir: string, files: number, size = 1024): Promise<void> {
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / 50)}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${String(i).padStart(4, '0')}, "x".bin`), Buffer.alloc(size, i % 251));
  }
}

async function allow(c: Client, roots: string[]) {
  const r = await c.submit('/settings', { scanRoots: roots.join('\n') });
  if (r.status !== 303) throw new Error(`settings refused: ${r.status} ${r.text.slice(0, 400)}`);
}

const netTest = labTest(NET_SHARE_NEEDS);

const scanIdOf = (location: string | null) => Number(/\/scans\/(\d+)$/.exec(location ?? '')?.[1]);

const scanJson = async (c: Client, id: number) => (await c.get(`/api/v1/scans/${id}`)).json();
const finished = (c: Client, id: number) => waitFor(`scan ${id} to end`, async () => {
  const j = await scanJson(c, id);
  return j.scan.status !== 'running' && !j.progress ? j : null;
});

/** Reads an SSE stream until `until` says stop; returns the events seen. */
async function sse(app: Appliance, c: Client, path: string, until: (events: Array<{ event: string; data: string }>) => boolean, ms = 20_000) {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const res = await fetch(app.url + path, { headers: { cookie }, signal: ac.signal });
  const events: Array<{ event: string; data: string }> = [];
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString('utf8');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        if (event) events.push({ event, data: block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') });
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { type: res.headers.get('content-type'), events };
}

test('a scan is refused until scan roots are configured, and outside them (also through a symlink): 400, nothing scanned', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const data = await tempDir(t, 'bitarr-roots-');
  await tree(join(data, 'photos'), 3);
  const none = await c.submit('/scans', { path: join(data, 'photos') });
  t.is(none.status, 400);
  t.regex(none.text, /no scan roots are configured/);

  await allow(c, [join(data, 'photos')]);
  await symlink('/etc', join(data, 'photos', 'escape'));
  for (const path of ['/etc', join(data, 'photos', 'escape'), join(data, 'photos', '..'), 'relative/path', join(data, 'nope')]) {
    const r = await c.submit('/scans', { path });
    t.is(r.status, 400, path);
    t.regex(r.text, /outside the folders Bitarr may scan|not an absolute path|does not exist/, path);
    t.regex(r.text, /<form[^>]+action="\/scans"/, 'the form comes back with the message');
  }
  const api = await c.post('/api/v1/scans', { headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf }, form: undefined });
  t.is(api.status, 400);
  t.is(await count(app.dir, 'scans'), 0);
});

test('start from the form, watch SSE progress, stop, resume to completion; the same tree twice at once is 409', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const data = await tempDir(t, 'bitarr-live-');
  await tree(data, 300, 64 * 1024);
  await allow(c, [data]);

  const started = await c.submit('/scans', { target: data, maxRateMBps: '2', threads: '1' });
  t.is(started.status, 303, started.text.slice(0, 300));
  const id = scanIdOf(started.headers.get('location'));
  t.true(id > 0);

  const page = await c.get(`/scans/${id}`);
  t.regex(page.text, new RegExp(`sse-connect="/scans/${id}/progress"`));
  t.regex(page.text, /<button type="submit" class="stop">Stop scan<\/button>/);

  const twice = await c.submit('/scans', { path: data });
  t.is(twice.status, 409);
  t.regex(twice.text, new RegExp(`scan ${id} is already scanning`));
  t.is(await count(app.dir, 'scans'), 1);

  const live = await sse(app, c, `/scans/${id}/progress`, (ev) => ev.filter((e) => e.event === 'progress' && /<strong>[1-9][\d,]*<\/strong> files/.test(e.data)).length >= 2);
  t.regex(live.type ?? '', /^text\/event-stream/);
  const last = live.events.filter((e) => e.event === 'progress').at(-1)!;
  t.regex(last.data, /files/);
  t.regex(last.data, /\/s/);
  t.regex(last.data, /Now: <code>/, 'the current path');

  t.is((await c.post(`/scans/${id}/stop`, { csrf: true })).status, 303);
  const stopped = await finished(c, id);
  t.is(stopped.scan.status, 'interrupted');
  t.regex(stopped.scan.reason, /stopped by admin from the web/);
  t.true(stopped.scan.files < 300, `stopped early (${stopped.scan.files} files)`);
  const after = await sse(app, c, `/scans/${id}/progress`, (ev) => ev.some((e) => e.event === 'done'));
  t.true(after.events.some((e) => e.event === 'done'), 'a finished scan says done at once');
  t.regex((await c.get(`/scans/${id}`)).text, /Resume this scan/);
  t.is((await c.post(`/scans/${id}/stop`, { csrf: true })).status, 409, 'stopping a stopped scan');

  const resumed = await c.post(`/scans/${id}/resume`, { csrf: true });
  t.is(resumed.status, 303);
  t.is(scanIdOf(resumed.headers.get('location')), id, 'resume continues the same scan');
  const done = await finished(c, id);
  t.is(done.scan.status, 'completed');
  t.is(done.scan.files, 300);
  t.is(done.scan.counts.new, 300);
  t.is(done.scan.trigger, 'web');
});

test('history filters and pages; scan details list findings 25 a page, by finding, searched, as page and fragment', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const data = await tempDir(t, 'bitarr-hist-');
  await tree(data, 60);
  await allow(c, [data]);
  const first = scanIdOf((await c.submit('/scans', { path: data })).headers.get('location'));
  await finished(c, first);
  // A second scan: 3 modified (content and mtime), 2 missing, 1 new.
  for (const i of [1, 2, 3]) await writeFile(join(data, 'd0', `f000${i}, "x".bin`), 'changed');
  const { rm } = await import('node:fs/promises');
  await rm(join(data, 'd1', 'f0050, "x".bin'));
  await rm(join(data, 'd1', 'f0051, "x".bin'));
  await writeFile(join(data, 'd1', 'added <b>.bin'), 'new');
  const second = scanIdOf((await c.submit('/scans', { path: data })).headers.get('location'));
  const s2 = await finished(c, second);
  t.is(s2.scan.counts.modified, 3);
  t.is(s2.scan.counts.missing, 2);
  t.is(s2.scan.counts.new, 1);

  const p1 = await c.get(`/scans/${first}`);
  t.regex(p1.text, /60 file\(s\) · page 1 of 3/);
  t.is((p1.text.match(/<tr class="finding-new">/g) ?? []).length, 25);
  const p3 = await c.get(`/scans/${first}?page=3`, { 'HX-Request': 'true' });
  t.regex(p3.text, /^\s*<section class="card" id="scan-findings">/, 'htmx gets the fragment');
  t.is((p3.text.match(/<tr class="finding-new">/g) ?? []).length, 10);
  t.regex(p3.text, /← previous/);
  t.is((await c.get(`/scans/${first}?page=0`)).status, 400);
  t.is((await c.get(`/scans/${first}?status=bogus`)).status, 400);
  t.is((await c.get('/scans/999')).status, 404);

  const mod = await c.get(`/scans/${second}?status=modified`);
  t.is((mod.text.match(/<tr class="finding-modified">/g) ?? []).length, 3);
  t.regex(mod.text, /f0001, &quot;x&quot;\.bin/, 'names are escaped');
  const search = await c.get(`/scans/${second}?q=${encodeURIComponent('<b>')}`);
  t.regex(search.text, /added &lt;b&gt;\.bin/);
  t.regex(search.text, /1 file\(s\)/);
  t.notRegex(search.text, /added <b>/);

  const hist = await c.get('/scans?status=completed');
  t.regex(hist.text, new RegExp(`href="/scans/${second}"[\\s\\S]*href="/scans/${first}"`));
  const api = (await c.get('/api/v1/scans')).json();
  t.deepEqual(api.scans.map((s: { id: number }) => s.id), [second, first]);
  const deviceId = api.scans[0].roots[0].deviceId;
  if (deviceId) t.deepEqual((await c.get(`/api/v1/scans?device=${deviceId}`)).json().scans.map((s: { id: number }) => s.id), [second, first], 'by device');
  t.regex((await c.get('/scans?device=999999')).text, /No scans match these filters/);
  t.is((await c.get('/scans?status=bogus')).status, 400);
  t.is(api.scans[0].alarms, 0);
  const detail = (await c.get(`/api/v1/scans/${second}?status=missing`)).json();
  t.is(detail.findings.total, 2);
  t.deepEqual(detail.findings.items.map((f: { path: string }) => f.path).sort(), ['d1/f0050, "x".bin', 'd1/f0051, "x".bin']);
});

test('the API starts and stops scans with a token; shutting down stops a running scan resumably', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const data = await tempDir(t, 'bitarr-api-');
  await tree(data, 200, 64 * 1024);
  await allow(c, [data]);
  const made = await c.post('/settings/tokens', { form: { name: 'script' }, csrf: true, headers: { 'HX-Request': 'true' } });
  const token = /<pre><code>([^<]+)<\/code><\/pre>/.exec(made.text)![1]!;
  const api = (method: string, path: string, body?: unknown) =>
    fetch(app.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  const bad = await api('POST', '/api/v1/scans', { roots: ['/etc'] });
  t.is(bad.status, 400);
  t.regex((await bad.json()).error, /outside the folders/);
  const r = await api('POST', '/api/v1/scans', { roots: [data], maxRateMBps: 1, threads: 1 });
  t.is(r.status, 202);
  const { scanId } = await r.json();
  t.is(r.headers.get('location'), `/api/v1/scans/${scanId}`);
  await waitFor('some progress', async () => (await (await api('GET', `/api/v1/scans/${scanId}`)).json()).progress?.files > 0);
  const again = await api('POST', '/api/v1/scans', { roots: [data] });
  t.is(again.status, 409);

  await app.close();
  
  const db = openDb(app.dir);
  t.teardown(() => db.destroy());
  const row = await db('scans').where({ id: scanId }).first();
  t.is(row.status, 'interrupted');
  t.regex(row.status_reason, /Bitarr shut down/);
  t.is(row.trigger, 'api');
  t.true(app.logs.some((l) => l.msg === 'scan stopped for shutdown' && l.scanId === scanId));
});

test('network storage throughput is judged against the thresholds only after the rate settles', (t) => {
  const th = { warn: 50, agent: 25, abort: 10 };
  t.is(throughputAdvice(1e6, 5, th), null, 'the first seconds are not judged');
  t.is(throughputAdvice(5e6, 60, null), null, 'a local disk is not judged');
  t.is(throughputAdvice(80e6, 60, th), null);
  t.is(throughputAdvice(40e6, 60, th)?.level, 'warn');
  t.is(throughputAdvice(20e6, 60, th)?.level, 'agent');
  t.regex(throughputAdvice(20e6, 60, th)!.message, /20\.0 MB\/s, under 25 MB\/s: a Bitarr agent on the NAS/);
  t.is(throughputAdvice(5e6, 60, th)?.level, 'abort');
});

netTest('a web scan of an sshfs share is watched as network storage, with the slow-share advice once the rate settles', async (t) => {
  const s = await NetShares.create();
  t.teardown(() => s.close());
  const app = await appliance(t);
  const c = await admin(app);
  await tree(join(s.sshServed, 'bulk'), 40, 256 * 1024);
  await allow(c, [s.sshfs]);
  const started = await c.submit('/scans', { path: s.sshfs, maxRateMBps: '0.5', threads: '1' });
  t.is(started.status, 303, started.text.slice(0, 400));
  const id = scanIdOf(started.headers.get('location'));
  const first = (await scanJson(c, id)).progress;
  t.true(first.network, 'sshfs is network storage');
  t.is(first.throughput, null, 'not judged in the first seconds');
  const slow = await waitFor('the advice', async () => (await scanJson(c, id)).progress?.throughput, 30_000);
  t.is(slow.level, 'abort', '0.5 MB/s is under every threshold');
  const live = await sse(app, c, `/scans/${id}/progress`, (ev) => ev.some((e) => e.event === 'progress'));
  t.regex(live.events.find((e) => e.event === 'progress')!.data, /throughput-abort[\s\S]*consider stopping this scan/);
  t.is((await c.post(`/scans/${id}/stop`, { csrf: true })).status, 303);
  await finished(c, id);
});
