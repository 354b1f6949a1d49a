// Used space as byte ranges on the device, built from allocated clusters in ascending order.
// Shared with the exfat plugin (see both READMEs). Pure.
import type { DeviceRange } from '../../src/shared/plugin-api.js';
import type { ClusterRun } from './chain.js';

/** Collects ranges given in ascending order, joining the ones that touch or overlap. */
export class RangeBuilder {
  readonly ranges: DeviceRange[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const last = this.ranges[this.ranges.length - 1];
    if (last !== undefined && start < last.start) throw new Error(`range ${start}-${end} comes after ${last.start}-${last.end}`);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else this.ranges.push({ start, end });
  }

  /** Clusters are numbered from 2 at `heapOffset`. */
  addClusters(runs: ClusterRun[], geometry: { heapOffset: number; clusterSize: number }): void {
    for (const run of runs) {
      const start = geometry.heapOffset + (run.first - 2) * geometry.clusterSize;
      this.add(start, start + run.count * geometry.clusterSize);
    }
  }
}

/** The ranges cut at `size` bytes: a volume that claims more than its device holds ends there. */
export function clipRanges(ranges: DeviceRange[], size: number): DeviceRange[] {
  return ranges.filter((range) => range.start < size).map((range) => ({ start: range.start, end: Math.min(range.end, size) }));
}

/** Used bytes in all the ranges. */
export function usedBytes(ranges: DeviceRange[]): number {
  return ranges.reduce((sum, range) => sum + range.end - range.start, 0);
}

/**
 * Runs of set flags, from a test that says whether the cluster at an index is allocated. The
 * one loop both the FAT and the exFAT bitmap scans go through; `first` is the cluster at index 0.
 */
export function allocatedRuns(count: number, first: number, isAllocated: (index: number) => boolean): ClusterRun[] {
  const runs: ClusterRun[] = [];
  let open: ClusterRun | null = null;
  for (let i = 0; i < count; i++) {
    if (!isAllocated(i)) {
      open = null;
    } else if (open === null) {
      open = { first: first + i, count: 1 };
      runs.push(open);
    } else {
      open.count++;
    }
  }
  return runs;
}
