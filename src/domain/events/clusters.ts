/**
 * Where on the disk the damage is: extents of all damaged files sorted by physical offset and
 * grouped into clusters, and the pattern the clusters make. A cluster is "one spot on the disk":
 * a failing region, a bad head position, a zone the controller garbled.
 */
import type { PhysicalExtent } from '../../shared/plugin-api.js';
import type { ByteRange, Cluster, EventSettings, Pattern, UnlocatedFile } from './types.js';

/** What clustering needs of a file; both DamagedFile and EventFile fit. */
export interface Locatable {
  path: string;
  extents: PhysicalExtent[] | null;
  reason?: string;
}

export interface Clustering {
  clusters: Cluster[];
  /** Damaged files with no place on the disk, sorted by path. */
  unlocated: UnlocatedFile[];
}

export const NO_EXTENTS_REASON = 'no data of its own on the device (empty, or stored inline in filesystem metadata)';
export const UNMAPPED_REASON = 'could not be mapped to the disk';

/**
 * Group the extents of `files` into clusters. An extent joins the current cluster when the gap
 * from the cluster's end to the extent's start is under `gapBytes` (overlaps are negative gaps);
 * a gap of exactly `gapBytes` starts a new cluster, as "closer than the threshold" says.
 * Comparing with the cluster's end (not the previous extent's) lets a long extent keep later,
 * shorter ones it overlaps inside its cluster.
 */
export function clusterFiles(files: readonly Locatable[], gapBytes: number): Clustering {
  const pieces: Array<{ path: string; start: number; end: number }> = [];
  const unlocated: UnlocatedFile[] = [];
  for (const f of files) {
    const ext = (f.extents ?? []).filter((e) => e.length > 0);
    if (ext.length === 0) {
      unlocated.push({ path: f.path, reason: f.reason ?? (f.extents === null ? UNMAPPED_REASON : NO_EXTENTS_REASON) });
      continue;
    }
    for (const e of ext) pieces.push({ path: f.path, start: e.physical, end: e.physical + e.length });
  }
  // Ties broken by end and path so the same damage always gives the same clusters.
  pieces.sort((a, b) => a.start - b.start || a.end - b.end || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const clusters: Cluster[] = [];
  let cur: Cluster | null = null;
  let seen = new Set<string>();
  for (const p of pieces) {
    if (cur && p.start - cur.end < gapBytes) {
      cur.end = Math.max(cur.end, p.end);
      addRange(cur.ranges, p);
    } else {
      cur = { start: p.start, end: p.end, files: [], bytes: 0, ranges: [{ start: p.start, end: p.end }] };
      seen = new Set();
      clusters.push(cur);
    }
    if (!seen.has(p.path)) {
      seen.add(p.path);
      cur.files.push(p.path);
    }
  }
  for (const c of clusters) c.bytes = c.ranges.reduce((sum, r) => sum + (r.end - r.start), 0);
  unlocated.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { clusters, unlocated };
}

/** Append a range that starts at or after the last one's start, merging overlapping or touching ones. */
function addRange(ranges: ByteRange[], r: ByteRange): void {
  const last = ranges[ranges.length - 1];
  if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
  else ranges.push({ start: r.start, end: r.end });
}

/** Sort and merge ranges (overlapping or touching become one). */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: ByteRange[] = [];
  for (const r of sorted) addRange(out, r);
  return out;
}

/**
 * Whether two regions are one spot by the clustering rule: they overlap, or the gap between
 * them is under `gapBytes`. Used for "new damage in the region of an event".
 */
export function near(a: ByteRange, b: ByteRange, gapBytes: number): boolean {
  return Math.max(a.start, b.start) - Math.min(a.end, b.end) < gapBytes;
}

/**
 * The clusters that are evidence of damage in their own right. A file's damaged bytes are not
 * known, only the file: a fragmented file has extents in several clusters and the damage may be
 * in any one of them. So a cluster counts only if it holds a file found in no other cluster; if
 * none does, the largest cluster stands for all (the damage is somewhere in them, maybe one spot).
 * Without this a fragmented file next to one damaged neighbour would read as "scattered".
 */
export function evidentClusters(clusters: readonly Cluster[]): Cluster[] {
  const count = new Map<string, number>();
  for (const c of clusters) for (const p of c.files) count.set(p, (count.get(p) ?? 0) + 1);
  const own = clusters.filter((c) => c.files.some((p) => count.get(p) === 1));
  if (own.length > 0 || clusters.length === 0) return own;
  return [clusters.reduce((a, b) => (b.files.length > a.files.length || (b.files.length === a.files.length && b.bytes > a.bytes) ? b : a))];
}

/**
 * The pattern, from the located damage (`clusters` as evidentClusters gives them):
 * - `one-file`: exactly one damaged file (located or not; a fragmented file is still one file).
 * - `unlocated`: several files and none could be placed on the disk (network shares, no mapper).
 * - `scattered`: two or more clusters. Clusters are at least the gap threshold apart by
 *   construction, so several of them mean damage in unrelated places: controller, RAM, cable or
 *   filesystem rather than one bad spot.
 * - `band`: one cluster holding at least `bandMinFiles` files whose damaged bytes fill at least
 *   `bandMinDensity` of the cluster's span: neighbouring files damaged side by side, a failing
 *   region of the surface. Three neighbouring files are one cluster of three, and a band.
 * - `one-cluster`: otherwise one cluster of several files: localized damage, sparse or small.
 * Unlocated files next to located ones are listed with the event but do not change the pattern,
 * which describes what is known about the place.
 */
export function patternOf(fileCount: number, clusters: readonly Cluster[], settings: Pick<EventSettings, 'bandMinFiles' | 'bandMinDensity'>): Pattern {
  if (fileCount <= 1) return 'one-file';
  if (clusters.length === 0) return 'unlocated';
  if (clusters.length >= 2) return 'scattered';
  const c = clusters[0];
  return c.files.length >= settings.bandMinFiles && density(c) >= settings.bandMinDensity ? 'band' : 'one-cluster';
}

/** Share of a cluster's span that is damaged file data. */
export const density = (c: Cluster) => (c.end > c.start ? c.bytes / (c.end - c.start) : 0);
