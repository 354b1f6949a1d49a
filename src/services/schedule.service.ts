/**
 * Schedules: a cron timer per enabled schedule, firing scans through the scan manager. A run that
 * would overlap the previous one (still scanning the same tree) is skipped and says so; a
 * device's schedule scans wherever the device is mounted now, and is skipped when it is not; a
 * run stopped by its maximum runtime is continued by the next one.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import { BitarrError, conflictError, notFoundError, usageError } from '../domain/errors.js';
import { validateSchedule, type ScheduleForm, type ScheduleInput } from '../domain/schedules.js';
import { insideRoots } from '../domain/settings.js';
import type { ScheduleRepository, ScheduleRow } from '../repositories/schedule.repository.js';
import type { DeviceService } from './device.service.js';
import type { ScanManager } from './scan-manager.service.js';
import type { SettingsService } from './settings.service.js';

export interface ScheduleView extends ScheduleRow {
  nextRunAt: string | null;
  target: string;
}

export interface FireResult {
  scanId: number | null;
  result: string;
}

/** A time zone the runtime knows, or null (the system's) with the reason. */
export function checkTimeZone(tz: string | null): { timeZone: string | undefined; problem: string | null } {
  if (!tz) return { timeZone: undefined, problem: null };
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return { timeZone: tz, problem: null };
  } catch {
    return { timeZone: undefined, problem: `TZ="${tz}" is not a time zone this system knows; schedules use the system's` };
  }
}

/**
 * How often a device is scanned by its enabled schedules (the shortest gap between two coming
 * runs), or null when nothing schedules it: what an event's "scan more often" advice starts from.
 */
export async function scanIntervalSeconds(repo: ScheduleRepository, deviceId: number, timeZone: string | null): Promise<number | null> {
  const tz = checkTimeZone(timeZone).timeZone;
  let best: number | null = null;
  for (const s of await repo.list()) {
    if (!s.enabled || s.deviceId !== deviceId) continue;
    const t = createTask(s.cron, () => undefined, { timezone: tz });
    try {
      const [a, b] = t.getNextRuns(2);
      if (a && b) best = Math.min(best ?? Infinity, Math.round((b.getTime() - a.getTime()) / 1000));
    } finally {
      void t.destroy();
    }
  }
  return best;
}

export class ScheduleService {
  private readonly tasks = new Map<number, ScheduledTask>();
  private readonly timeZone: string | undefined;
  private running = false;

  constructor(
    private readonly repo: ScheduleRepository,
    private readonly manager: ScanManager,
    private readonly devices: DeviceService,
    private readonly settings: SettingsService,
    timeZone: string | null,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    const tz = checkTimeZone(timeZone);
    if (tz.problem) log({ level: 'warn', msg: tz.problem });
    this.timeZone = tz.timeZone;
  }

  /** Arms every enabled schedule. */
  async start(): Promise<void> {
    this.running = true;
    for (const s of await this.repo.list()) if (s.enabled) this.arm(s);
  }

  stop(): void {
    this.running = false;
    for (const t of this.tasks.values()) void t.destroy();
    this.tasks.clear();
  }

  private arm(s: ScheduleRow): void {
    this.disarm(s.id);
    if (!this.running || !s.enabled) return;
    const task = createTask(s.cron, () => this.fire(s.id, 'scheduled'), { timezone: this.timeZone, name: `schedule-${s.id}`, noOverlap: true });
    void task.start();
    this.tasks.set(s.id, task);
  }

  private disarm(id: number): void {
    const t = this.tasks.get(id);
    if (t) void t.destroy();
    this.tasks.delete(id);
  }

  /** The next `count` times the expression fires, in this appliance's time zone. */
  nextRuns(cron: string, count = 1): Date[] {
    const t = createTask(cron, () => undefined, { timezone: this.timeZone });
    try {
      return t.getNextRuns(count);
    } finally {
      void t.destroy();
    }
  }

  async list(): Promise<ScheduleView[]> {
    const names = await this.deviceNames();
    return (await this.repo.list()).map((s) => this.view(s, names));
  }

  async get(id: number): Promise<ScheduleView> {
    const s = await this.repo.get(id);
    if (!s) throw notFoundError(`no schedule ${id}`);
    return this.view(s, await this.deviceNames());
  }

  private view(s: ScheduleRow, names: Map<number, string>): ScheduleView {
    const next = s.enabled ? this.nextRuns(s.cron, 1)[0] : undefined;
    const target = s.deviceId !== null ? names.get(s.deviceId) ?? `device ${s.deviceId}` : s.roots.join(', ');
    return { ...s, nextRunAt: next ? next.toISOString() : null, target };
  }

  private async deviceNames(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const h of await this.devices.model()) for (const d of h.devices) out.set(d.id, [d.label, d.model, d.devicePath ?? d.identityValue].filter(Boolean).join(' · ') + (h.isLocal ? '' : ` on ${h.displayName}`));
    return out;
  }

  private async checked(form: ScheduleForm): Promise<ScheduleInput> {
    const { input, problems } = validateSchedule(form);
    if (!input) throw usageError(problems.join('; '));
    if (input.deviceId !== null) {
      const device = (await this.devices.model()).flatMap((h) => (h.isLocal ? h.devices : [])).find((d) => d.id === input.deviceId);
      if (!device) throw usageError(`no storage device ${input.deviceId} on this machine`);
      const roots = (await this.settings.get()).scanRoots;
      if (!device.mounts.some((m) => insideRoots(m.mountPoint, roots))) throw usageError(`device ${input.deviceId} is not mounted inside the folders Bitarr may scan (${roots.join(', ') || 'none configured yet'})`);
    }
    for (const r of input.roots) await this.settings.allowedRoot(r);
    return input;
  }

  async create(form: ScheduleForm): Promise<ScheduleView> {
    const id = await this.repo.create(await this.checked(form));
    const s = (await this.repo.get(id))!;
    this.arm(s);
    return this.get(id);
  }

  async update(id: number, form: ScheduleForm): Promise<ScheduleView> {
    await this.get(id);
    await this.repo.update(id, await this.checked(form));
    this.arm((await this.repo.get(id))!);
    return this.get(id);
  }

  async setEnabled(id: number, enabled: boolean): Promise<ScheduleView> {
    await this.get(id);
    await this.repo.setEnabled(id, enabled);
    this.arm((await this.repo.get(id))!);
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    await this.get(id);
    this.disarm(id);
    await this.repo.remove(id);
  }

  /** "Run now": the same run a timer makes; a conflict when it cannot start (it says why). */
  async runNow(id: number): Promise<FireResult> {
    await this.get(id);
    const r = await this.fire(id, 'now');
    if (r.scanId === null) throw conflictError(r.result);
    return r;
  }

  /** One run: the scan it started, or why it did not; both are recorded on the schedule. */
  private async fire(id: number, why: 'scheduled' | 'now'): Promise<FireResult> {
    const s = await this.repo.get(id);
    if (!s || (why === 'scheduled' && !s.enabled)) return { scanId: null, result: 'disabled' };
    const at = Date.now();
    const skip = async (result: string): Promise<FireResult> => {
      await this.repo.recordRun(id, { atMs: at, result });
      this.log({ level: 'warn', msg: 'scheduled scan skipped', scheduleId: id, reason: result });
      return { scanId: null, result };
    };
    const roots = s.deviceId === null ? s.roots : await this.mountsOf(s.deviceId);
    if (!roots.length) return skip(`skipped: the device is not mounted on this machine`);
    try {
      const scan = await this.manager.start({
        roots,
        algorithm: s.algorithm ?? undefined,
        excludes: s.excludes,
        trigger: 'schedule',
        scheduleId: id,
        // A run cut short by its maximum runtime is continued by the next one.
        resume: 'if-possible',
        maxRuntimeMs: s.maxRuntimeMinutes ? s.maxRuntimeMinutes * 60_000 : null,
      });
      await this.repo.recordRun(id, { atMs: at, scanId: scan.scanId, result: `running (scan ${scan.scanId})` });
      scan.done.then(
        (o) => this.repo.recordRun(id, { result: `${o.status}${o.reason ? `: ${o.reason}` : ''}` }),
        (err: Error) => this.repo.recordRun(id, { result: `failed: ${err.message}` }),
      ).catch((err: Error) => this.log({ level: 'error', msg: 'cannot record a schedule run', scheduleId: id, error: err.message }));
      return { scanId: scan.scanId, result: `running (scan ${scan.scanId})` };
    } catch (err) {
      if (err instanceof BitarrError && err.exposed) return skip(`skipped: ${err.message}`);
      this.log({ level: 'error', msg: 'scheduled scan failed to start', scheduleId: id, error: (err as Error).message });
      return skip('skipped: internal error (see the log)');
    }
  }

  /**
   * Where a device of this host is mounted now (detected afresh: a USB disk may have come back).
   * One mount point: the same filesystem mounted twice is still scanned once.
   */
  private async mountsOf(deviceId: number): Promise<string[]> {
    const { hosts } = await this.devices.refresh();
    for (const h of hosts) {
      if (!h.isLocal) continue;
      const d = h.devices.find((x) => x.id === deviceId);
      if (!d) continue;
      const present = d.mounts.filter((m) => m.present);
      const whole = present.filter((m) => m.fsRoot === '/');
      const pick = (whole.length ? whole : present).map((m) => m.mountPoint).sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
      return pick ? [pick] : [];
    }
    return [];
  }
}
