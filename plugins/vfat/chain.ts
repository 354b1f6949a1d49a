// Following a cluster chain through a File Allocation Table, for FAT12/16/32 and exFAT alike
// (the exfat plugin imports this; see both READMEs). Pure: the table is read through `next`.
import type { PhysicalExtent } from '../../src/shared/plugin-api.js';

/** What a FAT entry says comes after a cluster: the next cluster, or why the chain stops there. */
export type Link = number | 'end' | 'free' | 'bad' | 'reserved';

/** Clusters first, first + 1, … first + count - 1: one piece of the chain that is contiguous on disk. */
export interface ClusterRun {
  first: number;
  count: number;
}

export type ChainWalk = { runs: ClusterRun[]; clusters: number } | { broken: string };

const WHY: Record<Exclude<Link, number | 'end'>, string> = {
  free: 'marked free',
  bad: 'marked bad',
  reserved: 'a reserved value',
};

/**
 * Follows the chain from `first` to its end-of-chain mark. A chain that reaches a free, bad or
 * reserved mark, or a cluster outside the volume, or comes round in a loop is broken: that is
 * metadata rot (or a driver bug), and worth a finding of its own. Loops are caught with Brent's
 * algorithm, in constant memory however long the chain.
 */
export function followChain(first: number, next: (cluster: number) => Link, lastCluster: number): ChainWalk {
  const inVolume = (cluster: number) => cluster >= 2 && cluster <= lastCluster;
  if (!inVolume(first)) return { broken: `broken cluster chain: it starts at ${first}, which is not a cluster of this volume` };
  const runs: ClusterRun[] = [{ first, count: 1 }];
  let clusters = 1;
  let current = first;
  let tortoise = first;
  let power = 1;
  let sinceTeleport = 0;
  for (;;) {
    const link = next(current);
    if (link === 'end') return { runs, clusters };
    const where = `cluster ${current} (number ${clusters} of the chain)`;
    if (typeof link === 'string') return { broken: `broken cluster chain: the FAT entry of ${where} is ${WHY[link]}` };
    if (!inVolume(link)) return { broken: `broken cluster chain: ${where} points to ${link}, outside the volume` };
    current = link;
    clusters++;
    sinceTeleport++;
    if (current === tortoise || clusters > lastCluster) return { broken: `broken cluster chain: it loops (cluster ${current} comes round again)` };
    if (sinceTeleport === power) {
      tortoise = current;
      power *= 2;
      sinceTeleport = 0;
    }
    const last = runs[runs.length - 1]!;
    if (last.first + last.count === current) last.count++;
    else runs.push({ first: current, count: 1 });
  }
}

/** The first `length` bytes held by `runs`, as device extents. Clusters are numbered from 2 at `heapOffset`. */
export function runsToExtents(runs: ClusterRun[], geometry: { heapOffset: number; clusterSize: number }, length: number): PhysicalExtent[] {
  const extents: PhysicalExtent[] = [];
  let logical = 0;
  for (const run of runs) {
    if (logical >= length) break;
    const bytes = Math.min(run.count * geometry.clusterSize, length - logical);
    extents.push({ logical, physical: geometry.heapOffset + (run.first - 2) * geometry.clusterSize, length: bytes });
    logical += bytes;
  }
  return extents;
}

/** Clusters needed for `bytes` of data. */
export function clustersFor(bytes: number, clusterSize: number): number {
  return Math.ceil(bytes / clusterSize);
}

/**
 * Checks a file's chain against its size: too short is broken (the end of the file has nowhere
 * to be); too long is mapped up to the size, with a note, since the data is all there.
 */
export function fileExtents(
  walk: ChainWalk,
  geometry: { heapOffset: number; clusterSize: number },
  size: number,
): { extents: PhysicalExtent[]; note?: string } | { broken: string } {
  if ('broken' in walk) return walk;
  const needed = clustersFor(size, geometry.clusterSize);
  if (walk.clusters < needed) {
    return { broken: `broken cluster chain: it ends after ${walk.clusters} clusters, but the file's ${size} bytes need ${needed}` };
  }
  const extents = runsToExtents(walk.runs, geometry, size);
  if (walk.clusters === needed) return { extents };
  return { extents, note: `the cluster chain runs ${walk.clusters - needed} clusters past the end of the file (lost clusters, as chkdsk would say)` };
}
