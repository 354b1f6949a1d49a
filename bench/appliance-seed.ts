/**
 * The appliance benchmark's database: one machine with six storage devices (hdd, ssd, nvme, a
 * failing disk in a USB dock, a NAS share), a million baselines on their mounts, a hundred nightly
 * scans over a hundred days (the first one a million `new` findings, the later ones what a home
 * lab's nights find: new photos and mail, edits, deleted backups), bitrot events planned by the
 * domain from damaged files, and daily health history judged from recorded smartctl outputs.
 * Written through our repositories on the real schema, in big transactions.
 *
 * Seeding takes minutes, so the result is kept in CACHE_ROOT/<key>/ (bitarr.db + manifest.json);
 * the key covers the migrations, this seed's code (and the lab's) and its size, so a changed schema reseeds.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { loadConfig } from '../src/config/index.js';
import { BaselineRepository, type BaselineWrite } from '../src/repositories/baseline.repository.js';
import { openDatabase } from '../src/repositories/db.js';
import { DeviceRepository, type DeviceRow } from '../src/repositories/device.repository.js';
import { EventRepository } from '../src/repositories/event.repository.js';
import { FindingRepository, type FindingWrite } from '../src/repositories/finding.repository.js';
import { ScanRepository } from '../src/repositories/scan.repository.js';
import { deviceName } from '../src/services/event.service.js';
import { makeTree, type FileSpec, type TreeKind } from './appliance-files.js';
import { prng } from './dataset.js';
import { msOf, nsOf, scanTimes, writeDamage, writeHealth, writeScans, type Times } from './appliance-history.js';
import { DAMAGE, DEVICES, HOST, SCANS, type DeviceSpec } from './appliance-lab.js';

/** Bump when the seed's shape changes in a way its code hash would not show. */
const SEED_VERSION = 1;
const ALGORITHM = 'xxh3-128';
const TRANSACTION_ROWS = 25_000;

export interface Manifest {
  key: string;
  createdAt: string;
  seedSeconds: number;
  files: number;
  baselines: number;
  findings: number;
  firstScanId: number;
  /** Its `new` findings: one a file. */
  firstScanFindings: number;
  lastScanId: number;
  scans: number;
  devices: Array<{ id: number; kind: TreeKind; name: string; mountPoint: string; type: string; baselines: number }>;
  /** The device with the most baselines: the device page to measure. */
  busiestDeviceId: number;
  events: Array<{ id: number; deviceId: number; status: string; severity: string; pattern: string; files: number }>;
  /** The event with the most files: the event page to measure. */
  biggestEventId: number;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Migrations (sources, else the built ones), this seed's code and its size: what the database depends on. */
export function seedKey(files: number): string {
  const h = createHash('sha256').update(`v${SEED_VERSION} files=${files} scans=${SCANS}\n`);
  const dir = existsSync(join(REPO, 'migrations')) ? join(REPO, 'migrations') : fileURLToPath(new URL('../migrations/', import.meta.url));
  for (const name of readdirSync(dir).filter((n) => /\.(ts|js)$/.test(n)).sort()) h.update(name).update(readFileSync(join(dir, name)));
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  for (const name of ['appliance-seed', 'appliance-history', 'appliance-files', 'appliance-lab']) h.update(readFileSync(fileURLToPath(new URL(`./${name}.${ext}`, import.meta.url))));
  return h.digest('hex').slice(0, 16);
}

let partial: string | null = null;
/** A seed interrupted half way (Ctrl-C) must not be mistaken for a finished one: its dir goes. */
export function abandonPartialSeed(): void {
  if (partial) rmSync(partial, { recursive: true, force: true });
  partial = null;
}

/** The cached seed for `files` files, seeding it first when the key changed. Older seeds are removed. */
export async function ensureSeed(cacheRoot: string, files: number, log: (s: string) => void): Promise<{ dir: string; manifest: Manifest; reused: boolean }> {
  const key = seedKey(files);
  const dir = join(cacheRoot, key);
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) return { dir, manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest, reused: true };
  mkdirSync(cacheRoot, { recursive: true });
  for (const old of readdirSync(cacheRoot)) if (old !== key) rmSync(join(cacheRoot, old), { recursive: true, force: true });
  partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const t0 = performance.now();
  const manifest = await seed(partial, files, key, log);
  manifest.seedSeconds = (performance.now() - t0) / 1000;
  writeFileSync(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  renameSync(partial, dir);
  partial = null;
  return { dir, manifest, reused: false };
}

export interface Plan {
  spec: DeviceSpec;
  deviceId: number;
  row: DeviceRow;
  files: FileSpec[];
  /** Per scan (index = scan number): paths that are new, edited, touched, gone. */
  nightly: Array<{ new: FileSpec[]; modified: number[]; touched: number[]; missing: number[] }>;
  missingAt: Map<number, number>;
  lastChangedMs: Map<number, number>;
  damaged: Map<number, number[]>;
  baselines: number;
}

async function seed(dir: string, files: number, key: string, log: (s: string) => void): Promise<Manifest> {
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  try {
    // Seeding only: a crash throws the partial dir away, so durability buys nothing here.
    await db.raw('PRAGMA synchronous = OFF');
    await db.raw('PRAGMA cache_size = -262144');
    const devices = new DeviceRepository(db);
    const scans = new ScanRepository(db);
    await devices.upsertHost({ ...HOST, isLocal: false });
    const ids = await devices.recordDetection(HOST.id, DEVICES.map((s) => ({ device: s.device, detectedBy: s.device.network ? 'network' : 'linux' })), { complete: true });
    const deviceIds = DEVICES.map((s) => ids.get(`${s.device.identity.kind}:${s.device.identity.value}`)!);
    const mounts = await devices.mounts(deviceIds);

    // The nightly schedule the later scans ran under.
    const [schedule] = await db('schedules').insert({ name: 'Nightly, every disk', roots: JSON.stringify(DEVICES.map((s) => s.device.mounts[0]!.mountPoint)), cron: '0 2 * * *', algorithm: ALGORITHM, excludes: '[]', enabled: true, created_at_ms: Date.now() - SCANS * 86_400_000 }, ['id']);
    const scheduleId = typeof schedule === 'object' ? schedule.id : schedule;
    const scanIds: number[] = [];
    const rootOf: Array<Map<number, number>> = [];
    for (let s = 1; s <= SCANS; s++) {
      const roots = DEVICES.map((spec, i) => {
        const m = spec.device.mounts[0]!;
        const [maj, min] = (m.devno ?? '0:0').split(':').map(Number);
        const mount = mounts.find((x) => x.deviceId === deviceIds[i] && x.mountPoint === m.mountPoint)!;
        return { path: m.mountPoint, device: { dev: (BigInt(maj!) << 8n) | BigInt(min!), mountPoint: m.mountPoint, mountType: m.fsType, fsType: spec.device.fsType, source: m.source, uuid: spec.device.fsUuid, label: spec.device.label, note: null, deviceId: deviceIds[i]!, mountId: mount.id } };
      });
      const id = await scans.create(HOST, ALGORITHM, { excludes: [], threads: 4 }, roots);
      scanIds[s] = id;
      rootOf[s] = new Map((await scans.roots(id)).map((r) => [r.device.deviceId!, r.id]));
    }
    const times = scanTimes();

    const plans: Plan[] = [];
    const r = prng(0xb17a);
    let assigned = 0;
    for (const [i, spec] of DEVICES.entries()) {
      const n = i === DEVICES.length - 1 ? files - assigned : Math.round(files * spec.share);
      assigned += n;
      const t0 = performance.now();
      const tree = makeTree(spec.kind, spec.device.mounts[0]!.mountPoint, n, 1000 + i);
      if (tree.length !== n) throw new Error(`the ${spec.kind} tree made ${tree.length} of ${n} files`);
      const row = (await devices.device(deviceIds[i]!))!;
      plans.push(planNights(spec, deviceIds[i]!, row, tree, times, r));
      log(`  ${spec.kind.padEnd(7)} ${n.toLocaleString('en-US').padStart(9)} files planned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Mount-point order is path order: the findings' (scan_id, path) index grows by appends.
    plans.sort((a, b) => (a.files[0]!.path < b.files[0]!.path ? -1 : 1));
    let findings = 0;
    for (const plan of plans) {
      const t0 = performance.now();
      findings += await writeDevice(db, plan, scanIds, rootOf, times);
      log(`  ${plan.spec.kind.padEnd(7)} baselines and findings written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const t0 = performance.now();
    findings += await writeDamage(db, plans, scanIds, rootOf, times);
    await writeScans(db, plans, scanIds, times, scheduleId);
    await writeHealth(db, plans, times);
    await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    log(`  events, scan rows and health history in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const events = await new EventRepository(db).list({});
    const busiest = plans.reduce((a, b) => (b.baselines > a.baselines ? b : a));
    const biggest = events.reduce((a, b) => (b.files.length > a.files.length ? b : a));
    return {
      key,
      createdAt: new Date().toISOString(),
      seedSeconds: 0,
      files,
      baselines: plans.reduce((n, p) => n + p.baselines, 0),
      findings,
      firstScanId: scanIds[1]!,
      firstScanFindings: files,
      lastScanId: scanIds[SCANS]!,
      scans: SCANS,
      devices: plans.map((p) => ({ id: p.deviceId, kind: p.spec.kind, name: deviceName(p.row), mountPoint: p.spec.device.mounts[0]!.mountPoint, type: p.row.type, baselines: p.baselines })),
      busiestDeviceId: busiest.deviceId,
      events: events.map((e) => ({ id: e.id, deviceId: e.deviceId, status: e.status, severity: e.severity, pattern: e.pattern, files: e.files.length })),
      biggestEventId: biggest.id,
    };
  } finally {
    await db.destroy();
  }
}


/** Which files each night adds, edits, touches and deletes, and which files damage will hit (kept out of the rest). */
function planNights(spec: DeviceSpec, deviceId: number, row: DeviceRow, files: FileSpec[], times: Times, r: () => number): Plan {
  const plan: Plan = { spec, deviceId, row, files, nightly: [], missingAt: new Map(), lastChangedMs: new Map(), damaged: new Map(), baselines: files.length };
  const reserved = new Set<number>();
  for (const [d, dmg] of DAMAGE.entries()) {
    if (dmg.kind !== spec.kind) continue;
    const picked: number[] = [];
    const start = Math.floor((dmg.at ?? r()) * files.length);
    for (let k = 0; picked.length < dmg.files; k++) {
      const idx = dmg.layout === 'band' ? (start + k) % files.length : Math.floor(r() * files.length);
      if (!reserved.has(idx)) picked.push(idx);
      reserved.add(idx);
    }
    plan.damaged.set(d, picked);
  }
  const paths = new Set(files.map((f) => f.path));
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(r() * (hi - lo + 1));
  let oldest = 0;
  const live = (idx: number) => !reserved.has(idx) && !plan.missingAt.has(idx);
  const some = (count: number) => {
    const out: number[] = [];
    for (let tries = 0; out.length < count && tries < count * 20; tries++) {
      const idx = Math.floor(r() * files.length);
      if (live(idx) && !out.includes(idx)) out.push(idx);
    }
    return out;
  };
  for (let s = 2; s <= SCANS; s++) {
    const nightMs = msOf(times[s]!.startNs) - 3 * 3_600_000;
    const night = { new: [] as FileSpec[], modified: some(between(spec.nightly.modified)), touched: some(between(spec.nightly.touched)), missing: [] as number[] };
    for (const idx of [...night.modified, ...night.touched]) plan.lastChangedMs.set(idx, nightMs - r() * 12 * 3_600_000);
    const gone = between(spec.nightly.missing);
    // The NAS rotates its oldest night out; elsewhere people delete here and there.
    if (spec.kind === 'nas') {
      while (night.missing.length < gone && oldest < files.length) if (live(oldest++)) night.missing.push(oldest - 1);
    } else night.missing = some(gone).filter((idx) => !night.modified.includes(idx) && !night.touched.includes(idx));
    for (const idx of night.missing) plan.missingAt.set(idx, s);
    const d = new Date(nightMs);
    const ym = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    const stamp = d.toISOString().slice(0, 10).replace(/-/g, '');
    const mount = spec.device.mounts[0]!.mountPoint;
    for (let k = 0, n = between(spec.nightly.new); k < n; k++) {
      const path = {
        photos: `${mount}/${ym}/IMG_${stamp}_${String(120000 + k * 37).padStart(6, '0')}.jpg`,
        media: `${mount}/Music/_incoming/${stamp}/${String(k + 1).padStart(2, '0')} Track.flac`,
        docs: `${mount}/Mail/${ym}/${nightMs.toString(36)}.${k}.eml`,
        home: `${mount}/alex/code/bitarr/src/new-${stamp}-${k}.ts`,
        archive: `${mount}/new-${stamp}-${k}`,
        nas: `${mount}/laptop/${stamp}/snapshot-${k}.tar.zst`,
      }[spec.kind];
      if (paths.has(path)) continue;
      paths.add(path);
      night.new.push({ path, size: 2000 + Math.floor(r() * 8_000_000), mtimeMs: nightMs - r() * 20 * 3_600_000 });
    }
    plan.baselines += night.new.length;
    plan.nightly[s] = night;
  }
  return plan;
}

function hashOf(r: () => number): Buffer {
  const b = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i += 4) b.writeUInt32LE(Math.floor(r() * 4294967296), i);
  return b;
}

/** Baselines in their final state, scan 1's million `new` findings, and every night's findings. */
async function writeDevice(db: Knex, plan: Plan, scanIds: number[], rootOf: Array<Map<number, number>>, times: Times): Promise<number> {
  const baselines = new BaselineRepository(db);
  const findingRepo = new FindingRepository(db);
  const r = prng(plan.deviceId * 7919);
  const inodeBase = 12n + BigInt(plan.deviceId) * 10_000_000n;
  const lastVerified = times[SCANS]!.startNs + 3_600_000_000_000n;
  const hashes: Buffer[] = new Array(plan.files.length);
  const baselineOf = (f: FileSpec, idx: number, firstScan: number, missingAt: number | undefined, hash: Buffer): BaselineWrite => {
    const changed = plan.lastChangedMs.get(idx);
    const mtimeNs = nsOf(changed ?? f.mtimeMs);
    return {
      path: f.path, kind: 'file', size: BigInt(f.size), mtimeNs, ctimeNs: mtimeNs + 1_000_000n, inode: inodeBase + BigInt(idx), hash, algorithm: ALGORITHM,
      verifiedAtNs: missingAt ? times[missingAt - 1]!.startNs + 3_600_000_000_000n : lastVerified,
      firstScanId: scanIds[firstScan]!, lastSeenScanId: scanIds[missingAt ? missingAt - 1 : SCANS]!, missingSinceScanId: missingAt ? scanIds[missingAt]! : null, deviceId: plan.deviceId,
    };
  };
  let written = 0;
  for (let from = 0; from < plan.files.length; from += TRANSACTION_ROWS) {
    const part = plan.files.slice(from, from + TRANSACTION_ROWS);
    const bw: BaselineWrite[] = [];
    const fw: FindingWrite[] = [];
    part.forEach((f, k) => {
      const idx = from + k;
      const hash = (hashes[idx] = hashOf(r));
      bw.push(baselineOf(f, idx, 1, plan.missingAt.get(idx), hash));
      fw.push({ scanId: scanIds[1]!, rootId: rootOf[1]!.get(plan.deviceId)!, path: f.path, status: 'new', detail: null, size: BigInt(f.size), mtimeNs: nsOf(f.mtimeMs), inode: inodeBase + BigInt(idx), hash });
    });
    await db.transaction(async (trx) => {
      await baselines.upsert(trx, bw);
      await findingRepo.insert(trx, fw);
    });
    written += fw.length;
  }
  const later: FindingWrite[] = [];
  const added: BaselineWrite[] = [];
  let nextInode = inodeBase + BigInt(plan.files.length);
  for (let s = 2; s <= SCANS; s++) {
    const night = plan.nightly[s]!;
    const rootId = rootOf[s]!.get(plan.deviceId)!;
    const at = (idx: number, status: FindingWrite['status'], detail: string | null) => {
      const f = plan.files[idx]!;
      later.push({ scanId: scanIds[s]!, rootId, path: f.path, status, detail, size: BigInt(f.size), mtimeNs: nsOf(plan.lastChangedMs.get(idx) ?? f.mtimeMs), inode: inodeBase + BigInt(idx), hash: hashes[idx]! });
    };
    for (const f of night.new) {
      const hash = hashOf(r);
      const inode = nextInode++;
      later.push({ scanId: scanIds[s]!, rootId, path: f.path, status: 'new', detail: null, size: BigInt(f.size), mtimeNs: nsOf(f.mtimeMs), inode, hash });
      added.push({ ...baselineOf(f, -1, s, undefined, hash), inode });
    }
    for (const idx of night.modified) at(idx, 'modified', 'size and mtime changed: a normal edit');
    for (const idx of night.touched) at(idx, 'touched', 'mtime changed, content identical');
    for (const idx of night.missing) at(idx, 'missing', `not found; last verified ${new Date(msOf(times[s - 1]!.startNs) + 3_600_000).toISOString()}`);
  }
  await db.transaction(async (trx) => {
    await baselines.upsert(trx, added);
    await findingRepo.insert(trx, later);
  });
  return written + later.length;
}
