// Which devices this host has: mounts from the platform, described by the detector plugins,
// recorded so a device keeps its history across renames and remounts.
import type { DetectedDevice, MountFacts } from '../shared/plugin-api.js';
import type { PluginHost, PluginRecord } from '../plugin-host/plugin-host.js';
import { mountFor, type MountEntry } from '../domain/mountinfo.js';
import type { DeviceRepository, DeviceRow, HostRow, MountRow } from '../repositories/device.repository.js';
import { readMountTable, withoutFileMounts, type KnownDevice } from '../repositories/mount.repository.js';

export interface LocalHost {
  id: string;
  hostname: string;
  addresses: string[];
  hostnameOverride: string | null;
  addressOverride: string | null;
}

export interface DetectionProblem {
  plugin: string;
  message: string;
}

export interface DeviceView extends DeviceRow {
  mounts: MountRow[];
}

export interface HostView extends HostRow {
  displayName: string;
  devices: DeviceView[];
}

export interface DeviceModel {
  hosts: HostView[];
  problems: DetectionProblem[];
}

/** Where a scan root is: its mount and the device behind it, when a detector recognised it. */
export interface RootLocation {
  mount: MountEntry | null;
  device: DetectedDevice | null;
  deviceId: number | null;
  mountId: number | null;
  problems: DetectionProblem[];
}

// A detector that hangs (a dead NFS server under lsblk, a stuck udevadm) must not hang Bitarr.
const DETECT_TIMEOUT_MS = 60_000;

export const toMountFacts = (e: MountEntry): MountFacts => ({
  mountPoint: e.mountPoint,
  root: e.root,
  fsType: e.fsType,
  source: e.source,
  options: e.options,
  devno: Number.isFinite(e.major) ? `${e.major}:${e.minor}` : null,
});

/** `192.168.1.25 (tiko)`: the address people type, and the name they know the box by. */
export function hostDisplayName(host: Pick<HostRow, 'hostname' | 'addresses' | 'hostnameOverride' | 'addressOverride'>): string {
  const name = host.hostnameOverride || host.hostname;
  const address = host.addressOverride || host.addresses[0];
  return address ? `${address} (${name})` : name;
}

export class DeviceService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly plugins: PluginHost,
    private readonly host: LocalHost,
    private readonly readMounts: () => Promise<MountEntry[]> = readMountTable,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Detects every mount of this host, records it (devices not found now are marked absent) and returns the model. */
  async refresh(): Promise<DeviceModel> {
    const mounts = (await withoutFileMounts(await this.readMounts())).map(toMountFacts);
    const { found, problems } = await this.detect(mounts);
    await this.devices.upsertHost({ ...this.host, isLocal: true });
    await this.devices.recordDetection(this.host.id, found, { complete: true });
    return { hosts: await this.model(), problems };
  }

  /** Hosts with their devices and mounts, as recorded. */
  async model(): Promise<HostView[]> {
    const hosts = await this.devices.hosts();
    const devices = await this.devices.devices();
    const mounts = await this.devices.mounts(devices.map((d) => d.id));
    return hosts.map((h) => ({
      ...h,
      displayName: hostDisplayName(h),
      devices: devices.filter((d) => d.hostId === h.id).map((d) => ({ ...d, mounts: mounts.filter((m) => m.deviceId === d.id) })),
    }));
  }

  /**
   * What a scan needs of its root's device: the facts to record and the mount points the device
   * had before (not the ones it has now: a bind mount keeps its own baselines).
   */
  async forScan(path: string): Promise<{ known: KnownDevice | null; previousMountPoints: string[]; replaced: number[] }> {
    const table = await this.readMounts();
    const loc = await this.locate(path, table);
    for (const p of loc.problems) this.log(`detector ${p.plugin} failed: ${p.message}`);
    if (!loc.device || loc.deviceId === null || !loc.mount) return { known: null, previousMountPoints: [], replaced: [] };
    const { major, minor } = loc.mount;
    const current = new Set(table.filter((e) => e.major === major && e.minor === minor).map((e) => e.mountPoint));
    const previous = (await this.devices.previousMountPoints(loc.deviceId, loc.mount.mountPoint)).filter((p) => !current.has(p));
    const d = loc.device;
    const note = [...d.unknown.map((u) => `${u.fact} unknown: ${u.reason}${u.needs ? ` (needs ${u.needs})` : ''}`), ...d.warnings].join('; ') || null;
    return {
      known: { deviceId: loc.deviceId, mountId: loc.mountId, fsType: d.fsType, uuid: d.fsUuid, label: d.label, note },
      previousMountPoints: previous,
      replaced: await this.devices.othersMountedAt(this.host.id, loc.mount.mountPoint, loc.deviceId),
    };
  }

  /** The device of one path, detecting only its mount (a scan's start must stay quick). */
  async locate(path: string, table?: MountEntry[]): Promise<RootLocation> {
    const mount = mountFor(table ?? (await this.readMounts()), path);
    if (!mount) return { mount: null, device: null, deviceId: null, mountId: null, problems: [] };
    const { found, problems } = await this.detect([toMountFacts(mount)]);
    await this.devices.upsertHost({ ...this.host, isLocal: true });
    const ids = await this.devices.recordDetection(this.host.id, found, { complete: false });
    const hit = found[0]?.device ?? null;
    if (!hit) return { mount, device: null, deviceId: null, mountId: null, problems };
    const deviceId = ids.get(`${hit.identity.kind}:${hit.identity.value}`) ?? null;
    const mountRow = deviceId === null ? undefined : (await this.devices.mounts([deviceId])).find((m) => m.mountPoint === mount.mountPoint && m.fsRoot === (mount.root || '/'));
    return { mount, device: hit, deviceId, mountId: mountRow?.id ?? null, problems };
  }

  /**
   * Offers each mount to the detectors naming its type, then what is left to the catch-all ones.
   * A detector that throws or hangs is reported and skipped; the others still run.
   */
  private async detect(mounts: MountFacts[]): Promise<{ found: Array<{ device: DetectedDevice; detectedBy: string }>; problems: DetectionProblem[] }> {
    const found: Array<{ device: DetectedDevice; detectedBy: string }> = [];
    const problems: DetectionProblem[] = [];
    let remaining = mounts;
    for (const record of this.plugins.detectors()) {
      const fs = record.manifest!.filesystems;
      const offered = fs.includes('*') ? remaining : remaining.filter((m) => fs.includes(m.fsType));
      if (!offered.length) continue;
      try {
        const devices = await withTimeout(callDetector(record, offered), DETECT_TIMEOUT_MS, `${record.id} detector`);
        const claimed = new Set<string>();
        for (const device of devices) {
          found.push({ device, detectedBy: record.id });
          for (const m of device.mounts) claimed.add(`${m.mountPoint}\0${m.root}`);
        }
        remaining = remaining.filter((m) => !claimed.has(`${m.mountPoint}\0${m.root}`));
      } catch (err) {
        problems.push({ plugin: record.id, message: (err as Error).message });
      }
    }
    return { found, problems };
  }
}

async function callDetector(record: PluginRecord, mounts: MountFacts[]): Promise<DetectedDevice[]> {
  const devices = await record.plugin!.detector!.detect({ mounts }, record.context!);
  if (!Array.isArray(devices)) throw new Error(`${record.id} detector returned ${typeof devices}, not a list of devices`);
  return devices.filter((d) => d && d.identity && typeof d.identity.value === 'string' && d.identity.value !== '');
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
