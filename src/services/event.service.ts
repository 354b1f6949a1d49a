// Bitrot events: after a scan, its corrupted, unreadable and unstable files are placed on their
// disks and grouped into events (src/domain/events decides everything); users move events
// through their lifecycle, and resolving needs the files to have verified good again.
import {
  DAMAGE_STATUSES,
  DEFAULT_EVENT_SETTINGS,
  deviceMap,
  planEvents,
  transition,
  type BitrotEvent,
  type DamagedFile,
  type DeviceFacts,
  type DeviceMap,
  type EventSettings,
  type EventStatus,
  type LifecycleAction,
  type SmartGrowth,
} from '../domain/events/index.js';
import { notFoundError } from '../domain/errors.js';
import type { BaselineRepository } from '../repositories/baseline.repository.js';
import { wholeDisk } from '../repositories/block-device.repository.js';
import type { DeviceRepository, DeviceRow } from '../repositories/device.repository.js';
import type { EventRepository, StoredEvent } from '../repositories/event.repository.js';
import type { FindingRepository } from '../repositories/finding.repository.js';
import type { ScanRepository } from '../repositories/scan.repository.js';
import { nowNs } from '../repositories/sql.js';
import type { UsedSpaceRepository } from '../repositories/used-space.repository.js';
import type { SectorMapService } from './sector-map.service.js';

export interface EventChange {
  eventId: number;
  deviceId: number;
  change: 'opened' | 'grew' | 'seen-again';
  severity: string;
  files: string[];
}

export interface EventServiceDeps {
  events: EventRepository;
  findings: FindingRepository;
  scans: ScanRepository;
  devices: DeviceRepository;
  baselines: BaselineRepository;
  sectorMap: SectorMapService;
  /** Counters that grew since the device's last health check; [] when SMART says nothing. */
  smartGrowth?: (device: DeviceRow) => Promise<SmartGrowth[]>;
  settings?: EventSettings;
  /** How often the device is scanned on a schedule (seconds), null when it is not. */
  scanInterval?: (deviceId: number) => Promise<number | null>;
  /** Where used space is recorded; until every construction passes it, maps show it as not measured. */
  usedSpace?: UsedSpaceRepository;
}

const USED_SPACE_MAX_AGE_NS = 24n * 3600n * 1_000_000_000n;

/** Whether a device's recorded used space is missing or a day old (no store: nothing to record). */
export async function usedSpaceDue(store: UsedSpaceRepository | undefined, deviceId: number, now = nowNs()): Promise<boolean> {
  if (!store) return false;
  const stored = await store.get(deviceId);
  return !stored || now - stored.attemptedAtNs >= USED_SPACE_MAX_AGE_NS;
}

/** How texts name a device: its label, model and serial, or its identity. */
export function deviceName(d: DeviceRow): string {
  const parts = [d.label && `"${d.label}"`, d.model, d.serial && `serial ${d.serial}`].filter(Boolean);
  return parts.length ? parts.join(' ') : `${d.fsType ?? 'device'} ${d.identityValue}`;
}

export class EventService {
  private readonly settings: EventSettings;

  constructor(private readonly deps: EventServiceDeps) {
    this.settings = deps.settings ?? DEFAULT_EVENT_SETTINGS;
  }

  /** Turns a finished scan's damage into events, device by device. Applying the same scan twice changes nothing. */
  async afterScan(scanId: number): Promise<EventChange[]> {
    const alarms = await this.deps.findings.withStatuses(scanId, [...DAMAGE_STATUSES]);
    if (!alarms.length) return [];
    const scan = await this.deps.scans.get(scanId);
    const roots = await this.deps.scans.roots(scanId);
    const byDevice = new Map<number, typeof alarms>();
    for (const f of alarms) {
      const deviceId = roots.find((r) => r.id === f.rootId)?.device.deviceId;
      // A root on no recognised device (no detector knew it) has no disk to hold an event.
      if (deviceId === null || deviceId === undefined) continue;
      byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), f]);
    }
    const changes: EventChange[] = [];
    const atNs = scan?.endedAtNs ?? nowNs();
    for (const [deviceId, found] of byDevice) {
      const device = await this.deps.devices.device(deviceId);
      if (!device) continue;
      const mapped = new Map((await this.mapFiles(found.map((f) => f.path))).map((m) => [m.path, m]));
      const files: DamagedFile[] = found.map((f) => {
        const m = mapped.get(f.path);
        const located = m && m.error === null;
        return {
          path: f.path,
          status: f.status as DamagedFile['status'],
          size: Number(f.size ?? 0),
          extents: located ? m.extents : null,
          ...(located ? {} : { reason: m?.error ?? 'could not be mapped' }),
        };
      });
      const facts = await this.deviceFacts(device);
      const smartGrowth = this.deps.smartGrowth ? await this.deps.smartGrowth(device).catch(() => []) : [];
      const existing = await this.deps.events.forDevice(deviceId, ['open', 'acknowledged', 'resolved']);
      const plan = planEvents({ scanId, atNs, device: facts, files, smartGrowth }, existing, this.settings);
      const openedId = await this.deps.events.apply(
        deviceId,
        plan.updates.map((u) => u.event),
        plan.open,
      );
      for (const u of plan.updates) changes.push({ eventId: u.id, deviceId, change: u.change, severity: u.event.severity, files: u.addedFiles });
      if (openedId !== null && plan.open) changes.push({ eventId: openedId, deviceId, change: 'opened', severity: plan.open.severity, files: plan.open.files.map((f) => f.path) });
    }
    return changes;
  }

  /** Files a mapper cannot reach (vanished since the scan, a share) get their reason, never an exception. */
  private async mapFiles(paths: string[]) {
    const existing: string[] = [];
    const gone: Array<{ path: string; extents: []; error: string }> = [];
    for (const p of paths) {
      try {
        existing.push(...this.deps.sectorMap.resolveFiles([p]));
      } catch (err) {
        gone.push({ path: p, extents: [], error: (err as Error).message });
      }
    }
    const mapped = existing.length ? await this.deps.sectorMap.map(existing) : [];
    return [...mapped, ...gone];
  }

  private async deviceFacts(device: DeviceRow): Promise<DeviceFacts> {
    const mounts = await this.deps.devices.mounts([device.id]);
    return {
      name: deviceName(device),
      devicePath: device.network ? null : wholeDisk(device.devicePath) ?? device.devicePath,
      type: device.type,
      rotational: device.rotational,
      network: device.network,
      fsType: device.fsType ?? 'unknown',
      mountPoint: mounts.find((m) => m.present)?.mountPoint ?? null,
      scanIntervalSeconds: (await this.deps.scanInterval?.(device.id)) ?? null,
    };
  }

  async list(opts: { statuses?: EventStatus[]; deviceId?: number } = {}): Promise<StoredEvent[]> {
    return this.deps.events.list(opts);
  }

  async get(id: number): Promise<StoredEvent> {
    const event = await this.deps.events.get(id);
    if (!event) throw notFoundError(`no bitrot event ${id}`);
    return event;
  }

  /** acknowledge, resolve (only once every file verified good after the event last saw it) or dismiss. */
  async act(id: number, action: LifecycleAction, who: string, note: string | null): Promise<StoredEvent> {
    const event = await this.get(id);
    const lastScan = await this.deps.scans.get(event.lastScanId);
    const since = lastScan?.endedAtNs ?? event.updatedAtNs;
    const verified = action === 'resolve' ? await this.deps.baselines.verifiedSince(event.files.map((f) => f.path), since) : new Set<string>();
    const next: BitrotEvent = transition(event, action, { who, atNs: nowNs(), note }, verified);
    await this.deps.events.save(next);
    return { ...next, deviceId: event.deviceId };
  }

  /**
   * The device's byte range in buckets with used space and its events' clusters marked: what the
   * UI draws. Used space is the recorded measurement (see recordUsedSpace), never measured here:
   * on a big disk that takes seconds, and pages are drawn often. `usedMeasuredAt` is its age;
   * `usedUnknown` says why the last attempt could not measure (an older measurement still shows).
   */
  async deviceMap(deviceId: number, buckets = MAP_BUCKETS): Promise<(DeviceMap & UsedSpaceFacts) | null> {
    const device = await this.deps.devices.device(deviceId);
    if (!device) return null;
    const [events, stored] = await Promise.all([this.deps.events.forDevice(deviceId, ['open', 'acknowledged', 'resolved']), this.deps.usedSpace?.get(deviceId) ?? null]);
    const sizeBytes = device.sizeBytes ?? stored?.sizeBytes ?? null;
    if (!sizeBytes) return null;
    const measured = stored?.bucketUsedBytes && stored.sizeBytes ? stored : null;
    const used = measured ? rangesOfBuckets(measured.sizeBytes!, measured.bucketUsedBytes!) : null;
    const map = deviceMap({ sizeBytes, buckets, events, used });
    return {
      ...map,
      usedGranularity: measured?.granularity ?? null,
      usedMeasuredAt: isoFromNs(measured?.measuredAtNs ?? null),
      usedAttemptedAt: isoFromNs(stored?.attemptedAtNs ?? null),
      usedUnknown: stored ? stored.unknown : [NOT_MEASURED],
    };
  }

  /**
   * After a scan, the map's used space is measured again when it could mislead: damage was found
   * (the map is about to be looked at), or the last attempt is a day old. Otherwise a scan would
   * pay seconds of allocation reading on a big disk every time.
   */
  async usedSpaceAfterScan(deviceId: number, damaged: boolean): Promise<void> {
    if (!damaged && !(await usedSpaceDue(this.deps.usedSpace, deviceId))) return;
    await this.recordUsedSpace(deviceId);
  }

  /**
   * Measures where the device's filesystem has data (the plugin reads its allocation: seconds on a
   * big disk) and records it for the map. Worth it after a scan of one of its mounts and when the
   * user asks for a check; a device of another machine, unmounted or on a share, records why not.
   */
  async recordUsedSpace(deviceId: number): Promise<UsedSpaceFacts | null> {
    const store = this.deps.usedSpace;
    const device = await this.deps.devices.device(deviceId);
    if (!store || !device) return null;
    const atNs = nowNs();
    const host = (await this.deps.devices.hosts()).find((h) => h.id === device.hostId);
    const mount = (await this.deps.devices.mounts([deviceId])).find((m) => m.present);
    const why = !host?.isLocal
      ? `it is on ${host?.hostname ?? 'another machine'}: measured there, not from here`
      : device.network
        ? 'network storage: the disks are the server\'s'
        : !mount || !device.present
          ? 'the device is not mounted now'
          : !device.devicePath
            ? 'its block device is not known'
            : null;
    const used = why ? { result: null, reasons: [why] } : await this.deps.sectorMap.usedSpace(device.devicePath!, mount!.mountPoint, device.fsType ?? mount!.fsType);
    const sizeBytes = device.sizeBytes ?? used.result?.sizeBytes ?? null;
    if (used.result && sizeBytes) {
      const bucketUsedBytes = deviceMap({ sizeBytes, buckets: MAP_BUCKETS, used: used.result.ranges, events: [] }).buckets.map((b) => b.usedBytes ?? 0);
      await store.saveMeasurement(deviceId, { atNs, sizeBytes, bucketUsedBytes, granularity: used.result.granularity, mapper: used.mapper });
    } else {
      await store.saveFailure(deviceId, atNs, used.result ? ['the size of the device is not known'] : used.reasons);
    }
    const map = await this.deviceMap(deviceId);
    return map && { usedGranularity: map.usedGranularity, usedMeasuredAt: map.usedMeasuredAt, usedAttemptedAt: map.usedAttemptedAt, usedUnknown: map.usedUnknown };
  }
}

/** The device map's resolution: 256 columns across the page, a bucket each. */
const MAP_BUCKETS = 256;

const NOT_MEASURED = 'not measured yet: it is measured after each scan the appliance runs, beside a command-line scan that runs longer than 5 s, when damage is found, and by “Check now” on its page';

export interface UsedSpaceFacts {
  usedGranularity: string | null;
  /** When the used space drawn was measured (ISO); null when it never was. */
  usedMeasuredAt: string | null;
  /** When it was last tried, successfully or not. */
  usedAttemptedAt: string | null;
  usedUnknown: string[];
}

const isoFromNs = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

/**
 * Stored per-bucket counts back as ranges, each bucket's used bytes from its start: the map spreads
 * them onto its buckets again, exactly while the size is unchanged, at the same offsets after a resize.
 */
function rangesOfBuckets(sizeBytes: number, usedBytes: readonly number[]) {
  return deviceMap({ sizeBytes, buckets: usedBytes.length, events: [] }).buckets.map((b, i) => ({ start: b.start, end: b.start + Math.max(0, Math.min(usedBytes[i] ?? 0, b.end - b.start)) }));
}
