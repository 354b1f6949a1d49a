/**
 * Bitrot events on real images: damage injected under files on the disk becomes events that say
 * where (clusters of byte ranges), how bad (severity from evidence) and what to do, and an event
 * resolves only once its files verify good again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bitarr, openDb, scan, tempDir } from './helpers/bitarr.js';
import { Lab, fsNeeds, labTest } from './lab/index.js';

interface EventJson {
  id: number;
  device: { id: number; name: string };
  status: string;
  severity: string;
  pattern: string;
  reasons: Array<{ rule: string; severity: string; text: string }>;
  actions: Array<{ code: string; text: string; things: { files?: string[]; command?: string | null } }>;
  clusters: Array<{ start: number; end: number; files: string[] }>;
  history: Array<{ action: string; status: string; who: string; note: string | null }>;
}

async function events(cfg: string, all = false): Promise<EventJson[]> {
  const r = await bitarr(['events', '--json', '--config-dir', cfg, ...(all ? ['--all'] : [])]);
  if (r.code !== 0) throw new Error(`events exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { events: EventJson[] }).events;
}

const ext4 = labTest(['root', ...fsNeeds('ext4')]);

ext4('a band over three neighbouring files is one event with one cluster of those three files, and resolves only after they verify good', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  const files = await lab.randomTree(40, { seed: 21 });
  t.is((await scan(lab.mnt, cfg)).code, 0);
  const band = (await lab.neighbours(3, files)) as [string, string, string];
  const originals = await Promise.all(band.map((rel) => readFile(lab.path(rel))));
  const { start, length } = await lab.corruptBand(band);

  const damaged = await scan(lab.mnt, cfg);
  t.is(damaged.code, 1);
  const [event] = await events(cfg);
  t.truthy(event, 'an event was opened');
  t.is(event!.status, 'open');
  t.is(event!.clusters.length, 1, JSON.stringify(event!.clusters));
  t.deepEqual([...event!.clusters[0]!.files].sort(), band.map((rel) => lab.path(rel)).sort());
  t.true(event!.clusters[0]!.start <= start + length && start <= event!.clusters[0]!.end, 'the cluster covers the flipped band on the disk');
  t.true(['band', 'one-cluster'].includes(event!.pattern), event!.pattern);
  t.is(event!.severity, 'moderate', 'several files: moderate, not from a percentage');
  // The data a UI draws: the device's byte range in buckets, the band marked where it is.
  const detail = await bitarr(['event', String(event!.id), '--json', '--config-dir', cfg]);
  const map = (
    JSON.parse(detail.stdout) as {
      deviceMap: { sizeBytes: number; usedGranularity: string | null; usedUnknown: string[]; buckets: Array<{ start: number; end: number; usedBytes: number | null; corruptedBytes: number; clusterIds: string[] }> };
    }
  ).deviceMap;
  t.is(map.sizeBytes, 256 * 1024 * 1024, 'the lab image is 256 MiB');
  t.is(map.usedGranularity, 'block', JSON.stringify(map.usedUnknown));
  const used = map.buckets.reduce((n, b) => n + (b.usedBytes ?? 0), 0);
  t.true(used > 0 && used < map.sizeBytes, `used space drawn: ${used} bytes`);
  const marked = map.buckets.filter((b) => b.corruptedBytes > 0);
  t.true(marked.every((b) => (b.usedBytes ?? 0) > 0), 'damage is drawn inside used space');
  t.true(marked.length >= 1 && marked.every((b) => b.clusterIds.includes(`${event!.id}:0`)), JSON.stringify(marked));
  t.true(marked.some((b) => b.start <= start && start < b.end), 'the bucket holding the flipped band is marked');
  const restore = event!.actions.find((a) => a.code === 'restore-from-backup');
  t.deepEqual([...(restore?.things.files ?? [])].sort(), band.map((rel) => lab.path(rel)).sort());

  // Resolving before the files are good again is refused, naming them; nothing changes.
  const early = await bitarr(['event', String(event!.id), 'resolve', '--config-dir', cfg, '--by', 'tester']);
  t.is(early.code, 2);
  t.regex(early.stderr, new RegExp(band[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  t.is((await events(cfg))[0]!.status, 'open');

  // A scan that sees the same damage again joins the event instead of opening another.
  t.is((await scan(lab.mnt, cfg)).code, 1);
  t.is((await events(cfg, true)).length, 1);

  const ack = await bitarr(['event', String(event!.id), 'ack', '--note', 'restoring from backup', '--by', 'tester', '--json', '--config-dir', cfg]);
  t.is(ack.code, 0, ack.stderr);
  t.is(JSON.parse(ack.stdout).status, 'acknowledged');

  for (const [i, rel] of band.entries()) await writeFile(lab.path(rel), originals[i]!);
  const rescan = await scan(lab.mnt, cfg);
  t.is(rescan.code, 0, 'restored files verify as modified, no alarm');
  const resolved = await bitarr(['event', String(event!.id), 'resolve', '--note', 'restored', '--by', 'tester', '--json', '--config-dir', cfg]);
  t.is(resolved.code, 0, resolved.stderr);
  const after = JSON.parse(resolved.stdout) as EventJson;
  t.is(after.status, 'resolved');
  t.deepEqual(
    after.history.map((h) => [h.action, h.who]),
    [
      ['opened', 'bitarr'],
      ['acknowledged', 'tester'],
      ['resolved', 'tester'],
    ],
  );
  t.regex(after.history[0]!.note ?? '', /found 3 damaged files/);
  t.deepEqual(after.history.slice(1).map((h) => h.note), ['restoring from backup', 'restored']);
  t.deepEqual(await events(cfg), [], 'no open event left');
});

ext4('two corruptions far apart on the disk are two clusters of one event: scattered', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  // ext4 spreads top-level folders over its block groups (128 MiB each here), and the filler
  // keeps the second file away from the first even if both land in one group.
  await lab.writeFiles({ 'x/a.bin': 40_000, 'filler.bin': 16 << 20, 'y/b.bin': 40_000 });
  t.is((await scan(lab.mnt, cfg)).code, 0);
  const a = await lab.corrupt('x/a.bin');
  const b = await lab.corrupt('y/b.bin');
  t.true(Math.abs(a.physical - b.physical) > 2 << 20, `the files lie ${Math.abs(a.physical - b.physical)} bytes apart`);
  t.is((await scan(lab.mnt, cfg)).code, 1);
  const all = await events(cfg);
  t.is(all.length, 1);
  t.is(all[0]!.clusters.length, 2);
  t.is(all[0]!.pattern, 'scattered');
  t.true(all[0]!.actions.some((a) => a.code === 'check-cable-controller'), 'scattered damage points at cable, controller or RAM');
});

labTest(['root', ...fsNeeds('btrfs')])('btrfs checksum failures are unreadable files and a severe event', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  await lab.writeFiles({ 'photo.jpg': 300_000, 'other.jpg': 300_000 });
  t.is((await scan(lab.mnt, cfg)).code, 0);
  await lab.corrupt('photo.jpg');
  const r = await scan(lab.mnt, cfg);
  t.is(r.code, 1);
  t.is(r.json.findings.find((f) => f.path === 'photo.jpg')?.status, 'unreadable');
  const [event] = await events(cfg);
  t.is(event!.severity, 'severe');
  t.true(event!.reasons.some((x) => x.rule === 'unreadable-file'), JSON.stringify(event!.reasons));
  t.true(event!.actions.some((a) => a.code === 'scrub' && /btrfs scrub start/.test(a.text)), 'btrfs: scrub');
  t.deepEqual(event!.clusters.flatMap((c) => c.files), [lab.path('photo.jpg')], 'the unreadable file is located on the disk');
});

ext4('a short clean command-line scan leaves used space to the appliance; damage measures it, once a day unless damage is found again', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  const files = await lab.randomTree(20, { seed: 5 });
  const attempts = async () => {
    const db = openDb(cfg);
    try {
      return (await db('device_used_space').select(db.raw('CAST(attempted_at_ns AS TEXT) AS at'))).map((r: { at: string }) => r.at);
    } finally {
      await db.destroy();
    }
  };
  t.is((await scan(lab.mnt, cfg)).code, 0);
  t.deepEqual(await attempts(), [], 'a first scan of a second does not read the allocation');
  await lab.corrupt(files[3]!);
  t.is((await scan(lab.mnt, cfg)).code, 1);
  const first = await attempts();
  t.is(first.length, 1, 'damage found: measured for the map');
  t.is((await scan(lab.mnt, cfg)).code, 1);
  const again = await attempts();
  t.true(BigInt(again[0]!) > BigInt(first[0]!), 'damage found again: measured again, however recent the last');
});

ext4('a first scan still running after 5 s measures the used space beside it, once', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  await lab.writeFiles({ 'films/a.mkv': 4 * 1024 * 1024 });
  // 4 MiB at 600 kB/s: about 7 s, so the measurement starts while the scan reads.
  const r = await scan(lab.mnt, cfg, ['--max-rate', '600k', '--threads', '1']);
  t.is(r.code, 0, r.stderr);
  const db = openDb(cfg);
  try {
    const rows = await db('device_used_space').select(db.raw('CAST(attempted_at_ns AS TEXT) AS at'), db.raw('CAST(measured_at_ns AS TEXT) AS measured'));
    t.is(rows.length, 1);
    t.truthy(rows[0].measured, 'measured, not only attempted');
    t.true(BigInt(rows[0].at) < BigInt(Date.parse(r.json.endedAt)) * 1_000_000n, 'before the scan ended');
  } finally {
    await db.destroy();
  }
});
