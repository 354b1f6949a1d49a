/**
 * The data the UI draws for a device: its byte range cut into buckets, each with the used bytes
 * (when known), the damaged bytes and the clusters that touch it. A cluster far smaller than a
 * bucket still marks its bucket: a single rotten 4 KiB file on a 4 TB disk must be visible.
 */
import { BitarrError } from '../errors.js';
import { mergeRanges } from './clusters.js';
import type { ByteRange, Cluster, EventStatus, Severity } from './types.js';
import { SEVERITY_RANK } from './types.js';

/** What the map needs of an event; clusters read back from older rows may lack `ranges`. */
export interface MapEvent {
  id: number;
  status: EventStatus;
  severity: Severity;
  clusters: Array<Pick<Cluster, 'start' | 'end'> & { ranges?: ByteRange[] }>;
}

export interface MapBucket {
  start: number;
  /** Exclusive. */
  end: number;
  /** null when the used ranges were not given. */
  usedBytes: number | null;
  corruptedBytes: number;
  /** `<eventId>:<index of the cluster in the event>` for every cluster touching the bucket. */
  clusterIds: string[];
  /** The worst severity of the events touching the bucket, for the colour. */
  worst: Severity | null;
}

export interface DeviceMap {
  sizeBytes: number;
  buckets: MapBucket[];
  /**
   * Damage reported past the end of the device (a mapper's offsets that do not fit the size we
   * know): counted here instead of being dropped, because it means one of the two is wrong.
   */
  beyondEnd: { corruptedBytes: number; clusterIds: string[] };
}

export interface DeviceMapInput {
  sizeBytes: number;
  /** Default 256; fewer when the device has fewer bytes than that. */
  buckets?: number;
  used?: readonly ByteRange[] | null;
  events: readonly MapEvent[];
}

export function deviceMap(input: DeviceMapInput): DeviceMap {
  const size = input.sizeBytes;
  if (!Number.isSafeInteger(size) || size <= 0) throw new BitarrError('usage', `a device map needs the device size in bytes, got ${size}`);
  const wanted = input.buckets ?? 256;
  if (!Number.isInteger(wanted) || wanted < 1) throw new BitarrError('usage', `a device map needs at least one bucket, got ${wanted}`);
  const n = Math.min(wanted, size);
  // Boundaries floor(i·size/n) partition the device exactly, with no bucket bigger than another by more than a byte.
  const bound = (i: number) => (i >= n ? size : Math.floor((i * size) / n));
  const buckets: MapBucket[] = Array.from({ length: n }, (_, i) => ({
    start: bound(i),
    end: bound(i + 1),
    usedBytes: input.used ? 0 : null,
    corruptedBytes: 0,
    clusterIds: [],
    worst: null,
  }));
  const indexOf = (offset: number) => {
    let i = Math.min(n - 1, Math.floor((offset * n) / size));
    while (i + 1 < n && bound(i + 1) <= offset) i++;
    while (i > 0 && bound(i) > offset) i--;
    return i;
  };
  /** Call `fn` with each bucket [start, end) overlaps and the bytes of the overlap. */
  const spread = (r: ByteRange, fn: (b: MapBucket, bytes: number) => void) => {
    const s = Math.max(0, r.start);
    const e = Math.min(size, r.end);
    if (e <= s) return;
    for (let i = indexOf(s); i < n && buckets[i].start < e; i++) fn(buckets[i], Math.min(e, buckets[i].end) - Math.max(s, buckets[i].start));
  };

  for (const r of mergeRanges(input.used ?? [])) spread(r, (b, bytes) => (b.usedBytes = (b.usedBytes ?? 0) + bytes));

  const beyondEnd = { corruptedBytes: 0, clusterIds: [] as string[] };
  // Two events may cover the same bytes (a recurrence over a resolved event): count them once.
  const damaged = mergeRanges(input.events.flatMap((e) => e.clusters.flatMap((c) => c.ranges ?? [{ start: c.start, end: c.end }])));
  for (const r of damaged) {
    spread(r, (b, bytes) => (b.corruptedBytes += bytes));
    if (r.end > size) beyondEnd.corruptedBytes += r.end - Math.max(r.start, size);
  }
  for (const e of input.events) {
    e.clusters.forEach((c, k) => {
      const id = `${e.id}:${k}`;
      if (c.end > size) beyondEnd.clusterIds.push(id);
      spread(c, (b) => {
        b.clusterIds.push(id);
        if (b.worst === null || SEVERITY_RANK[e.severity] > SEVERITY_RANK[b.worst]) b.worst = e.severity;
      });
    });
  }
  return { sizeBytes: size, buckets, beyondEnd };
}
