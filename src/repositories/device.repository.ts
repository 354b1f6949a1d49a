/** Hosts, storage devices and mounts. Devices are found again by identity, never by kernel name. */
import type { Knex } from 'knex';
import type { DetectedDevice, DeviceType, MountFacts, UnknownFact } from '../shared/plugin-api.js';
import { asText, big, nowNs } from './sql.js';

export interface HostRow {
  id: string;
  hostname: string;
  addresses: string[];
  hostnameOverride: string | null;
  addressOverride: string | null;
  isLocal: boolean;
  firstSeenNs: bigint;
  lastSeenNs: bigint;
}

export interface MountRow {
  id: number;
  deviceId: number;
  mountPoint: string;
  fsRoot: string;
  fsType: string;
  source: string | null;
  options: string | null;
  present: boolean;
  lastSeenNs: bigint;
}

export interface DeviceRow {
  id: number;
  hostId: string;
  identityKind: string;
  identityValue: string;
  fsType: string | null;
  fsUuid: string | null;
  label: string | null;
  devicePath: string | null;
  type: DeviceType;
  evidence: string[];
  rotational: boolean | null;
  transport: string | null;
  model: string | null;
  serial: string | null;
  wwn: string | null;
  sizeBytes: number | null;
  network: boolean;
  unknown: UnknownFact[];
  warnings: string[];
  detectedBy: string | null;
  displayName: string | null;
  /** smartctl's -d for this device, set by the user; null lets smartctl decide. */
  smartDeviceType: string | null;
  present: boolean;
  firstSeenNs: bigint;
  lastSeenNs: bigint;
}

const bool = (v: unknown) => (v === null || v === undefined ? null : Boolean(v));

const hostFromRow = (r: any): HostRow => ({
  id: r.id,
  hostname: r.hostname,
  addresses: JSON.parse(r.addresses),
  hostnameOverride: r.hostname_override ?? null,
  addressOverride: r.address_override ?? null,
  isLocal: Boolean(r.is_local),
  firstSeenNs: big(r.first_seen_ns)!,
  lastSeenNs: big(r.last_seen_ns)!,
});

const deviceFromRow = (r: any): DeviceRow => ({
  id: r.id,
  hostId: r.host_id,
  identityKind: r.identity_kind,
  identityValue: r.identity_value,
  fsType: r.fs_type ?? null,
  fsUuid: r.fs_uuid ?? null,
  label: r.label ?? null,
  devicePath: r.device_path ?? null,
  type: r.type,
  evidence: JSON.parse(r.evidence),
  rotational: bool(r.rotational),
  transport: r.transport ?? null,
  model: r.model ?? null,
  serial: r.serial ?? null,
  wwn: r.wwn ?? null,
  sizeBytes: r.size_bytes === null || r.size_bytes === undefined ? null : Number(r.size_bytes),
  network: Boolean(r.network),
  unknown: JSON.parse(r.unknown_facts),
  warnings: JSON.parse(r.warnings),
  detectedBy: r.detected_by ?? null,
  displayName: r.display_name ?? null,
  smartDeviceType: r.smart_device_type ?? null,
  present: Boolean(r.present),
  firstSeenNs: big(r.first_seen_ns)!,
  lastSeenNs: big(r.last_seen_ns)!,
});

const mountFromRow = (r: any): MountRow => ({
  id: r.id,
  deviceId: r.device_id,
  mountPoint: r.mount_point,
  fsRoot: r.fs_root,
  fsType: r.fs_type,
  source: r.source ?? null,
  options: r.options ?? null,
  present: Boolean(r.present),
  lastSeenNs: big(r.last_seen_ns)!,
});

function deviceColumns(d: DetectedDevice, detectedBy: string) {
  return {
    fs_type: d.fsType,
    fs_uuid: d.fsUuid,
    label: d.label,
    device_path: d.devicePath,
    type: d.type,
    evidence: JSON.stringify(d.evidence),
    rotational: d.rotational,
    transport: d.transport,
    model: d.model,
    serial: d.serial,
    wwn: d.wwn,
    size_bytes: d.sizeBytes,
    network: d.network,
    unknown_facts: JSON.stringify(d.unknown),
    warnings: JSON.stringify(d.warnings),
    detected_by: detectedBy,
    present: true,
  };
}

export class DeviceRepository {
  constructor(private readonly db: Knex) {}

  async upsertHost(host: { id: string; hostname: string; addresses: string[]; isLocal: boolean; hostnameOverride?: string | null; addressOverride?: string | null }): Promise<void> {
    const now = nowNs().toString();
    const cols = {
      hostname: host.hostname,
      addresses: JSON.stringify(host.addresses),
      is_local: host.isLocal,
      hostname_override: host.hostnameOverride ?? null,
      address_override: host.addressOverride ?? null,
      last_seen_ns: now,
    };
    await this.db('scan_hosts').insert({ id: host.id, first_seen_ns: now, ...cols }).onConflict('id').merge(cols);
  }

  async hosts(): Promise<HostRow[]> {
    return (await this.db('scan_hosts').select('id', 'hostname', 'addresses', 'hostname_override', 'address_override', 'is_local', ...asText(this.db, 'first_seen_ns', 'last_seen_ns')).orderBy('id')).map(hostFromRow);
  }

  /**
   * Records what detection found on a host now. Devices and mounts found again are updated; the
   * host's others are marked absent when the detection was complete (kept, with their history).
   * Returns the device ids by identity.
   */
  async recordDetection(hostId: string, found: Array<{ device: DetectedDevice; detectedBy: string }>, opts: { complete: boolean }): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    await this.db.transaction(async (trx) => {
      const now = nowNs().toString();
      const seenMounts: number[] = [];
      for (const { device, detectedBy } of found) {
        const key = { host_id: hostId, identity_kind: device.identity.kind, identity_value: device.identity.value };
        const cols = { ...deviceColumns(device, detectedBy), last_seen_ns: now };
        await trx('storage_devices').insert({ ...key, ...cols, first_seen_ns: now }).onConflict(['host_id', 'identity_kind', 'identity_value']).merge(cols);
        const { id } = await trx('storage_devices').where(key).first('id');
        ids.set(`${device.identity.kind}:${device.identity.value}`, id);
        for (const m of device.mounts) seenMounts.push(await this.upsertMount(trx, id, m, now));
      }
      // Only a detection of every mount can say that something is gone.
      if (!opts.complete) return;
      const present = [...ids.values()];
      await trx('storage_devices').where('host_id', hostId).whereNotIn('id', present).update({ present: false });
      await trx('mounts')
        .whereIn('device_id', trx('storage_devices').select('id').where('host_id', hostId))
        .whereNotIn('id', seenMounts)
        .update({ present: false });
    });
    return ids;
  }

  private async upsertMount(trx: Knex, deviceId: number, m: MountFacts, now: string): Promise<number> {
    const key = { device_id: deviceId, mount_point: m.mountPoint, fs_root: m.root || '/' };
    const cols = { fs_type: m.fsType, source: m.source, options: m.options, present: true, last_seen_ns: now };
    await trx('mounts').insert({ ...key, ...cols, first_seen_ns: now }).onConflict(['device_id', 'mount_point', 'fs_root']).merge(cols);
    return (await trx('mounts').where(key).first('id')).id;
  }

  async devices(hostId?: string): Promise<DeviceRow[]> {
    const q = this.db('storage_devices').select('*', ...asText(this.db, 'first_seen_ns', 'last_seen_ns', 'size_bytes')).orderBy('id');
    if (hostId) q.where('host_id', hostId);
    return (await q).map(deviceFromRow);
  }

  async device(id: number): Promise<DeviceRow | null> {
    const r = await this.db('storage_devices').select('*', ...asText(this.db, 'first_seen_ns', 'last_seen_ns', 'size_bytes')).where('id', id).first();
    return r ? deviceFromRow(r) : null;
  }

  async mounts(deviceIds: number[]): Promise<MountRow[]> {
    if (!deviceIds.length) return [];
    return (await this.db('mounts').select('*', ...asText(this.db, 'last_seen_ns')).whereIn('device_id', deviceIds).orderBy(['device_id', 'mount_point'])).map(mountFromRow);
  }

  /** Where the device was mounted at `mountPoint` before, if it was mounted elsewhere then. */
  async previousMountPoints(deviceId: number, except: string): Promise<string[]> {
    const rows = await this.db('mounts').where('device_id', deviceId).whereNot('mount_point', except).select('mount_point').orderBy('last_seen_ns', 'desc');
    return rows.map((r: { mount_point: string }) => r.mount_point);
  }

  /** Other devices of this host that were mounted at exactly this mount point. */
  async othersMountedAt(hostId: string, mountPoint: string, except: number): Promise<number[]> {
    const rows = await this.db('mounts as m')
      .join('storage_devices as d', 'd.id', 'm.device_id')
      .where('d.host_id', hostId)
      .andWhere('m.mount_point', mountPoint)
      .andWhereNot('m.device_id', except)
      .distinct('m.device_id');
    return rows.map((r: { device_id: number }) => r.device_id);
  }

  async setSmartDeviceType(id: number, type: string | null): Promise<void> {
    await this.db('storage_devices').where('id', id).update({ smart_device_type: type });
  }
}
