// Device health: SMART through smartctl for the disk behind each device, judged by the rule
// tables in src/domain/health together with what Bitarr itself saw there (bitrot events,
// unreadable files), recorded every time so counts that grow are noticed and projected.
import {
  analyseTrends,
  assessHealth,
  hintsFor,
  metricValues,
  noHealthDataWithoutOutput,
  parseSmartctlJson,
  type HealthAssessment,
  type HealthContext,
} from '../domain/health/index.js';
import type { NoHealthData, SmartReport, TrendAnalysis } from '../domain/health/index.js';
import { conflictError, notFoundError } from '../domain/errors.js';
import { smartGrowthFrom, type SmartGrowth } from '../domain/events/index.js';
import { kernelIoErrors, wholeDisk } from '../repositories/block-device.repository.js';
import type { DeviceRepository, DeviceRow } from '../repositories/device.repository.js';
import type { EventRepository } from '../repositories/event.repository.js';
import type { HealthRepository, HealthRow } from '../repositories/health.repository.js';
import { readSmart } from '../repositories/smartctl.repository.js';
import { nowNs } from '../repositories/sql.js';

/** Kept beside the SMART counters in the history, so the next check knows how many are new. */
const IO_ERRORS = 'kernel_io_errors';
/** Kept beside them too: not judged, but charted with them. */
export const TEMPERATURE = 'temperature_c';
/** Collections a device page charts: a year of daily checks and then some. */
const HISTORY_LIMIT = 500;

/** What a device page shows of its health, all read from what checks recorded. */
export interface HealthOverview {
  latest: HealthRow | null;
  /** The latest collection's smartctl output as parsed, when it had SMART data. */
  report: SmartReport | null;
  /** The latest collections, oldest first. */
  history: HealthRow[];
  /** Growth and projections over that history. */
  trends: TrendAnalysis | null;
}

export interface HealthCheck {
  device: DeviceRow;
  /** The disk smartctl was asked about, or null when there is none to ask. */
  disk: string | null;
  assessment: HealthAssessment;
  /** What would get SMART data where there is none (privilege, device type, pass-through). */
  hints: string[];
  bitrot: { openEvents: Record<'minor' | 'moderate' | 'severe', number>; unreadableFiles: number };
  collectedAtNs: bigint;
}

/** Why a device has no SMART of its own to ask (a share, a loop device), or null when it may have. */
export function withoutSmart(device: Pick<DeviceRow, 'network' | 'type'>): string | null {
  if (device.network) return 'network storage: the disks belong to the server; an agent there can read their SMART';
  if (device.type === 'loop') return 'a loop device has no SMART: ask about the disk that holds its backing file (named in the type evidence)';
  return null;
}

// A device with no disk of its own to ask: SMART cannot speak, and the reason says where it can.
function noDisk(device: DeviceRow): NoHealthData | null {
  const why = withoutSmart(device);
  return why === null ? null : { ...noHealthDataWithoutOutput('smartctl_failed', why), why: 'smart_unavailable' };
}

export class HealthService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly history: HealthRepository,
    private readonly events: EventRepository,
    // Injectable for tests that stand recorded outputs of real drives in for disks this machine lacks.
    private readonly read = readSmart,
    private readonly diskOf: (devicePath: string | null) => string | null = wholeDisk,
    private readonly ioErrorsOf: (disk: string | null) => number | null = kernelIoErrors,
  ) {}

  /** Collects and records one device's health now. Never throws for a device SMART cannot reach. */
  async check(device: DeviceRow): Promise<HealthCheck> {
    const disk = device.network ? null : this.diskOf(device.devicePath);
    const { input, raw } = await this.collect(device, disk);
    const bitrot = await this.bitrotOf(device.id);
    const collectedAtNs = nowNs();
    const counters: Record<string, number> = input.kind === 'report' ? metricValues(input) : {};
    if (input.kind === 'report' && input.temperatureC !== null) counters[TEMPERATURE] = input.temperatureC;
    const history = [...(await this.history.samples(device.id)), ...(Object.keys(counters).length ? [{ atMs: Number(collectedAtNs / 1_000_000n), metrics: counters }] : [])];
    // The kernel's count only grows until a reboot: what matters is how many since the last check.
    const ioTotal = this.ioErrorsOf(disk);
    const previousIo = (await this.history.latest(device.id))?.counters[IO_ERRORS];
    if (ioTotal !== null) counters[IO_ERRORS] = ioTotal;
    const ioErrors = ioTotal === null ? undefined : previousIo !== undefined && ioTotal >= previousIo ? ioTotal - previousIo : ioTotal;
    const context: HealthContext = { bitrot, history, ...(ioErrors !== undefined ? { ioErrors } : {}) };
    const assessment = assessHealth(input, context);
    await this.history.record({ deviceId: device.id, collectedAtNs, verdict: assessment.verdict, score: assessment.score, reasons: assessment.reasons, counters, raw });
    const hints = input.kind === 'no_health_data' ? hintsFor(input).map((h) => h.hint) : [];
    return { device, disk, assessment, hints, bitrot, collectedAtNs };
  }

  /**
   * A check the user asked for: only of a device of this machine that is connected now (an absent
   * disk's /dev name may be another disk's by now; another machine's disks are its agent's).
   */
  async checkNow(deviceId: number): Promise<HealthCheck> {
    const device = await this.devices.device(deviceId);
    if (!device) throw notFoundError(`no storage device ${deviceId}`);
    const host = (await this.devices.hosts()).find((h) => h.id === device.hostId);
    if (!host?.isLocal) throw conflictError(`this device is on ${host?.hostname ?? 'another machine'}: its health is checked there, not from here`);
    if (!device.present) throw conflictError('this device is not connected now: its health can be checked when it is back');
    return this.check(device);
  }

  /** The latest check with its parsed smartctl output, and the history the charts draw. */
  async overview(deviceId: number): Promise<HealthOverview> {
    const [latest, history] = await Promise.all([this.history.latest(deviceId), this.history.history(deviceId, HISTORY_LIMIT)]);
    const raw = latest ? await this.history.raw(latest.id) : null;
    const parsed = raw ? parseSmartctlJson(raw) : null;
    const samples = history.filter((h) => Object.keys(h.counters).length).map((h) => ({ atMs: Number(h.collectedAtNs / 1_000_000n), metrics: h.counters }));
    return { latest, report: parsed?.kind === 'report' ? parsed : null, history, trends: samples.length ? analyseTrends(samples) : null };
  }

  /** SMART counters that grew since the previous check, for a bitrot event's severity. */
  async growthNow(device: DeviceRow): Promise<SmartGrowth[]> {
    const check = await this.check(device);
    return smartGrowthFrom(check.assessment.trends?.growth ?? []);
  }

  private async collect(device: DeviceRow, disk: string | null): Promise<{ input: SmartReport | NoHealthData; raw: string | null }> {
    const none = noDisk(device);
    if (none) return { input: none, raw: null };
    if (!disk) return { input: noHealthDataWithoutOutput('smartctl_failed', `no block device to ask (${device.devicePath ?? 'unknown path'}): is it passed through to this container?`), raw: null };
    const result = await this.read(disk, device.smartDeviceType ? { deviceType: device.smartDeviceType } : {});
    switch (result.kind) {
      case 'smartctl_missing':
        return { input: noHealthDataWithoutOutput('smartctl_missing', result.message), raw: null };
      case 'failed':
        return { input: noHealthDataWithoutOutput('smartctl_failed', result.message), raw: null };
      case 'device_unavailable':
      case 'output': {
        if (result.json) {
          const parsed = parseSmartctlJson(result.json);
          if (parsed.kind !== 'not_smartctl_json') return { input: parsed, raw: result.json };
        }
        return { input: noHealthDataWithoutOutput('smartctl_failed', 'message' in result ? result.message : `smartctl ${disk} printed no JSON`), raw: result.json };
      }
    }
  }

  private async bitrotOf(deviceId: number): Promise<HealthCheck['bitrot']> {
    const open = await this.events.forDevice(deviceId, ['open', 'acknowledged']);
    const openEvents = { minor: 0, moderate: 0, severe: 0 };
    for (const e of open) openEvents[e.severity]++;
    const unreadableFiles = new Set(open.flatMap((e) => e.files.filter((f) => f.statuses.includes('unreadable')).map((f) => f.path))).size;
    return { openEvents, unreadableFiles };
  }

  async setDeviceType(deviceId: number, type: string | null): Promise<void> {
    await this.devices.setSmartDeviceType(deviceId, type);
  }
}
