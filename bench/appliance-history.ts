/**
 * The appliance benchmark's seed, second half: what the hundred nights left besides files. The
 * scans' own rows (times, counts as the writer saves them), the damage they found turned into
 * bitrot events by the domain and acted on by the admin, and a health check a day per disk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { planEvents, transition, type DamagedFile } from '../src/domain/events/index.js';
import { assessHealth, metricValues, parseSmartctlJson } from '../src/domain/health/index.js';
import { wholeDisk } from '../src/repositories/block-device.repository.js';
import { DeviceRepository } from '../src/repositories/device.repository.js';
import { EventRepository } from '../src/repositories/event.repository.js';
import { FindingRepository, type FindingWrite } from '../src/repositories/finding.repository.js';
import { HealthRepository } from '../src/repositories/health.repository.js';
import type { SmartctlResult } from '../src/repositories/smartctl.repository.js';
import { deviceName } from '../src/services/event.service.js';
import { HealthService } from '../src/services/health.service.js';
import { DAMAGE, DETAIL, SCANS, type Damage } from './appliance-lab.js';
import type { Plan } from './appliance-seed.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/smartctl/', import.meta.url));
const DAY_NS = 86_400_000_000_000n;

/** Scan s (1…SCANS) started and ended then. */
export type Times = Array<{ startNs: bigint; endNs: bigint }>;

/** Scan s started at 02:00 UTC s nights ago counted back from yesterday; a first scan hashes for most of a day. */
export function scanTimes(): Times {
  const midnight = BigInt(Math.floor(Date.now() / 86_400_000) * 86_400_000) * 1_000_000n;
  const out: Array<{ startNs: bigint; endNs: bigint }> = [];
  for (let s = 1; s <= SCANS; s++) {
    const startNs = midnight - BigInt(SCANS - s + 1) * DAY_NS + 2n * 3_600_000_000_000n;
    const hours = s === 1 ? 19n : 5n + BigInt(s % 4);
    out[s] = { startNs, endNs: startNs + hours * 3_600_000_000_000n + BigInt((s * 7_919) % 3_600) * 1_000_000_000n };
  }
  return out;
}

export const nsOf = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;
export const msOf = (ns: bigint) => Number(ns / 1_000_000n);

/** Damaged files as findings, turned into events by the domain (planEvents) and stored as EventService.afterScan does, then acted on. */
export async function writeDamage(db: Knex, plans: Plan[], scanIds: number[], rootOf: Array<Map<number, number>>, times: Times): Promise<number> {
  const events = new EventRepository(db);
  const findingRepo = new FindingRepository(db);
  const devices = new DeviceRepository(db);
  const actions: Action[] = [];
  // The next free byte of each band: damage found later at the same place lies right after.
  const bandEnd = new Map<string, number>();
  let written = 0;
  // Damage of one scan on one device is one afterScan call.
  const groups = new Map<string, Array<[number, Damage]>>();
  for (const [d, dmg] of DAMAGE.entries()) groups.set(`${dmg.scan}:${dmg.kind}`, [...(groups.get(`${dmg.scan}:${dmg.kind}`) ?? []), [d, dmg]]);
  const pending = [...groups.values()].sort((a, b) => a[0]![1].scan - b[0]![1].scan);
  for (const group of pending) {
    const scan = group[0]![1].scan;
    const plan = plans.find((p) => p.spec.kind === group[0]![1].kind)!;
    const size = plan.row.sizeBytes!;
    const files: DamagedFile[] = [];
    const rows: FindingWrite[] = [];
    for (const [d, dmg] of group) {
      const band = `${dmg.kind}:${dmg.at}`;
      let offset = bandEnd.get(band) ?? Math.floor((dmg.at ?? 0.5) * size);
      for (const idx of plan.damaged.get(d)!) {
        const f = plan.files[idx]!;
        const length = Math.min(f.size, 64 * 1024 * 1024);
        const physical = dmg.layout === 'band' ? offset : Math.floor(((idx * 2654435761) % 1000) / 1000 * (size - length));
        offset += length + 4096 * 37;
        files.push({ path: f.path, status: dmg.status, size: f.size, extents: [{ logical: 0, physical, length }] });
        rows.push({ scanId: scanIds[scan]!, rootId: rootOf[scan]!.get(plan.deviceId)!, path: f.path, status: dmg.status, detail: DETAIL[dmg.status]!, size: BigInt(f.size), mtimeNs: nsOf(f.mtimeMs), inode: null, hash: null });
      }
      if (dmg.layout === 'band') bandEnd.set(band, offset);
      for (const then of dmg.then ?? []) actions.push({ scan: then.scan, deviceId: plan.deviceId, firstScanId: scanIds[scan]!, then });
    }
    await db.transaction((trx) => findingRepo.insert(trx, rows));
    written += rows.length;
    await runActions(events, actions.filter((a) => a.scan <= scan), times);
    actions.splice(0, actions.length, ...actions.filter((a) => a.scan > scan));
    const existing = await events.forDevice(plan.deviceId, ['open', 'acknowledged', 'resolved']);
    const mount = (await devices.mounts([plan.deviceId])).find((m) => m.present);
    const facts = { name: deviceName(plan.row), devicePath: plan.row.network ? null : wholeDisk(plan.row.devicePath) ?? plan.row.devicePath, type: plan.row.type, rotational: plan.row.rotational, network: plan.row.network, fsType: plan.row.fsType ?? 'unknown', mountPoint: mount?.mountPoint ?? null, scanIntervalSeconds: 86_400 };
    const smartGrowth = group.flatMap(([, d]) => d.smartGrowth ?? []);
    const p = planEvents({ scanId: scanIds[scan]!, atNs: times[scan]!.endNs, device: facts, files, smartGrowth }, existing);
    await events.apply(plan.deviceId, p.updates.map((u) => u.event), p.open);
  }
  await runActions(events, actions, times);
  return written;
}

type Action = { scan: number; deviceId: number; firstScanId: number; then: NonNullable<Damage['then']>[number] };

/** What the admin did the morning after a scan: the domain's transitions, saved as EventService.act does. */
async function runActions(events: EventRepository, actions: Action[], times: Times) {
  for (const a of actions) {
    const event = (await events.forDevice(a.deviceId)).find((e) => e.firstScanId === a.firstScanId);
    if (!event) continue;
    const atNs = times[a.scan]!.endNs + 2n * 3_600_000_000_000n;
    const verified = a.then.action === 'resolve' ? event.files.map((f) => f.path) : [];
    await events.save(transition(event, a.then.action, { who: 'admin', atNs, note: a.then.note }, verified));
  }
}

/** Counts, files and bytes per scan as the writer would have saved them, and the real times. */
export async function writeScans(db: Knex, plans: Plan[], scanIds: number[], times: Times, scheduleId: number) {
  let present = plans.reduce((n, p) => n + p.files.length, 0);
  let bytes = plans.reduce((n, p) => n + p.files.reduce((b, f) => b + f.size, 0), 0);
  for (let s = 1; s <= SCANS; s++) {
    const counts: Record<string, number> = {};
    const add = (k: string, n: number) => n && (counts[k] = (counts[k] ?? 0) + n);
    if (s === 1) add('new', present);
    else {
      for (const p of plans) {
        const night = p.nightly[s]!;
        present += night.new.length - night.missing.length;
        bytes += night.new.reduce((b, f) => b + f.size, 0) - night.missing.reduce((b, i) => b + p.files[i]!.size, 0);
        add('new', night.new.length);
        add('modified', night.modified.length);
        add('touched', night.touched.length);
        add('missing', night.missing.length);
      }
      for (const [d, dmg] of DAMAGE.entries()) if (dmg.scan === s) add(dmg.status, plans.find((p) => p.spec.kind === dmg.kind)!.damaged.get(d)!.length);
      add('ok', present - Object.entries(counts).filter(([k]) => k !== 'missing').reduce((n, [, v]) => n + v, 0));
    }
    await db('scans').where('id', scanIds[s]).update({
      status: 'completed', counts: JSON.stringify(counts), files_done: present, bytes_done: String(bytes),
      started_at_ns: String(times[s]!.startNs), ended_at_ns: String(times[s]!.endNs), heartbeat_ns: String(times[s]!.endNs),
      trigger: s === 1 ? 'cli' : 'schedule', schedule_id: s === 1 ? null : scheduleId,
    });
  }
  await db('schedules').where('id', scheduleId).update({ last_run_at_ms: msOf(times[SCANS]!.startNs), last_scan_id: scanIds[SCANS], last_result: 'completed' });
}

/** A check every morning from each disk's recorded smartctl output (the failing disk's counts creeping up), the last one by HealthService itself. */
export async function writeHealth(db: Knex, plans: Plan[], times: Times) {
  const history = new HealthRepository(db);
  const devices = new DeviceRepository(db);
  const events = new EventRepository(db);
  for (const plan of plans) {
    const json = plan.spec.smart ? readFileSync(join(FIXTURES, plan.spec.smart), 'utf8') : null;
    const report = json ? parseSmartctlJson(json) : null;
    if (report?.kind === 'report') {
      const now = metricValues(report);
      for (let s = 1; s < SCANS; s++) {
        // Reallocations grew to today's count over the hundred days.
        const counters: Record<string, number> = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, /reallocat|pending/.test(k) ? Math.round(v * (0.9 + (0.1 * s) / SCANS)) : v]));
        // Charted beside the counters (HealthService keeps it as temperature_c): a few degrees of daily swing.
        if (report.temperatureC !== null) counters.temperature_c = report.temperatureC - 3 + ((s * 7) % 6);
        const a = assessHealth(report, {});
        await history.record({ deviceId: plan.deviceId, collectedAtNs: times[s]!.endNs, verdict: a.verdict, score: a.score, reasons: a.reasons, counters, raw: json });
      }
    }
    const smart = async (): Promise<SmartctlResult> => (json ? { kind: 'output', json, exitCode: 0 } : { kind: 'smartctl_missing', message: 'no recorded output' });
    await new HealthService(devices, history, events, smart, () => plan.row.devicePath?.replace(/p?\d+$/, '') ?? null, () => 0).check(plan.row);
  }
}
