/**
 * Hosts → storage devices → mounts as JSON: one shape for `bitarr devices --json`, the JSON API
 * and the dashboard, so the three never disagree.
 */
import type { DeviceService, DeviceView, HostView } from './device.service.js';
import type { EventService } from './event.service.js';

const isoFromNs = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

export function hostJson(h: HostView) {
  return {
    id: h.id,
    hostname: h.hostnameOverride || h.hostname,
    displayName: h.displayName,
    addresses: h.addressOverride ? [h.addressOverride, ...h.addresses] : h.addresses,
    local: h.isLocal,
    lastSeen: isoFromNs(h.lastSeenNs),
    devices: h.devices.map(deviceJson),
  };
}

export function deviceJson(d: DeviceView) {
  return {
    id: d.id,
    identity: { kind: d.identityKind, value: d.identityValue },
    fsType: d.fsType,
    uuid: d.fsUuid,
    label: d.label,
    devicePath: d.devicePath,
    type: d.type,
    evidence: d.evidence,
    network: d.network,
    rotational: d.rotational,
    transport: d.transport,
    model: d.model,
    serial: d.serial,
    wwn: d.wwn,
    sizeBytes: d.sizeBytes,
    present: d.present,
    detectedBy: d.detectedBy,
    unknown: d.unknown,
    warnings: d.warnings,
    firstSeen: isoFromNs(d.firstSeenNs),
    lastSeen: isoFromNs(d.lastSeenNs),
    mounts: d.mounts.map((m) => ({ mountPoint: m.mountPoint, fsRoot: m.fsRoot, fsType: m.fsType, source: m.source, options: m.options, present: m.present })),
  };
}

export type HostJson = ReturnType<typeof hostJson>;
export type DeviceJson = ReturnType<typeof deviceJson>;

/** Devices seen once and gone now (an unplugged USB disk) keep their history; `all` shows them. */
export const presentOnly = (hosts: HostView[], all: boolean): HostView[] =>
  hosts.map((h) => ({ ...h, devices: h.devices.filter((d) => all || d.present) }));

/** The dashboard: every host's devices with the number of bitrot events still open on each. */
export async function dashboardHosts(devices: DeviceService, events: EventService, opts: { all?: boolean } = {}) {
  const hosts = presentOnly(await devices.model(), opts.all ?? false);
  const open = new Map<number, number>();
  for (const e of await events.list({ statuses: ['open', 'acknowledged'] })) open.set(e.deviceId, (open.get(e.deviceId) ?? 0) + 1);
  return hosts.map((h) => {
    const json = hostJson(h);
    return { ...json, devices: json.devices.map((d) => ({ ...d, openEvents: open.get(d.id) ?? 0 })) };
  });
}
