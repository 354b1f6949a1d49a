/**
 * Bitrot events as JSON, and the device map as something to draw: one shape for
 * `bitarr events --json` / `bitarr event ID --json`, the JSON API and the pages, so they never disagree.
 */
import type { Cluster, DeviceMap } from '../domain/events/index.js';
import type { DeviceRow } from '../repositories/device.repository.js';
import type { StoredEvent } from '../repositories/event.repository.js';
import { deviceName, type EventService } from './event.service.js';

const isoFromNs = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

export const SECTOR_BYTES = 512;

/** The 512-byte sectors a byte range [start, end) touches, first and last inclusive. */
export const sectorRange = (c: Pick<Cluster, 'start' | 'end'>) => ({ first: Math.floor(c.start / SECTOR_BYTES), last: Math.floor((c.end - 1) / SECTOR_BYTES) });

/** How each event's device is named, looked up once a device. */
export async function deviceNames(events: readonly StoredEvent[], lookup: (id: number) => Promise<DeviceRow | null>): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const id of new Set(events.map((e) => e.deviceId))) {
    const d = await lookup(id);
    out.set(id, d ? deviceName(d) : `device ${id}`);
  }
  return out;
}

export function eventJson(e: StoredEvent, names: Map<number, string>) {
  return {
    id: e.id,
    device: { id: e.deviceId, name: names.get(e.deviceId) },
    status: e.status,
    severity: e.severity,
    pattern: e.pattern,
    reasons: e.reasons,
    actions: e.actions,
    clusters: e.clusters.map((c) => ({ start: c.start, end: c.end, bytes: c.bytes, files: c.files })),
    unlocated: e.unlocated,
    files: e.files.map((f) => ({ path: f.path, statuses: f.statuses, size: f.size })),
    firstScanId: e.firstScanId,
    lastScanId: e.lastScanId,
    openedAt: isoFromNs(e.openedAtNs),
    updatedAt: isoFromNs(e.updatedAtNs),
    history: e.history.map((h) => ({ ...h, atNs: h.atNs.toString(), at: isoFromNs(h.atNs) })),
  };
}

export type EventJson = ReturnType<typeof eventJson>;

/** One event with its device's map: `bitarr event ID --json` and GET /api/v1/events/:id. */
export async function eventDetailJson(service: EventService, e: StoredEvent, names: Map<number, string>) {
  return { ...eventJson(e, names), deviceMap: await service.deviceMap(e.deviceId) };
}

export type MapJson = Awaited<ReturnType<EventService['deviceMap']>>;

export interface MapBar {
  start: number;
  end: number;
  /** 0..1 of the bucket in use; null when the used space is not known. */
  used: number | null;
  damaged: boolean;
  worst: string | null;
  clusterIds: string[];
  /** The tooltip: the byte range, its use and its damage. */
  title: string;
}

/** The device map as bars to draw, left to right (bucket i at x = i). */
export function mapBars(map: DeviceMap, bytes: (n: number) => string): MapBar[] {
  return map.buckets.map((b) => {
    const size = b.end - b.start;
    const used = b.usedBytes === null ? null : size > 0 ? Math.min(1, b.usedBytes / size) : 0;
    const parts = [`bytes ${b.start}–${b.end} (${bytes(size)})`];
    if (used !== null) parts.push(`${Math.round(used * 100)}% used`);
    if (b.corruptedBytes > 0 || b.clusterIds.length) parts.push(`damaged: ${bytes(b.corruptedBytes)}${b.worst ? `, ${b.worst}` : ''} (cluster ${b.clusterIds.join(', ')})`);
    return { start: b.start, end: b.end, used, damaged: b.corruptedBytes > 0 || b.clusterIds.length > 0, worst: b.worst, clusterIds: b.clusterIds, title: parts.join(' · ') };
  });
}
