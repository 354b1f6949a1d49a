// What the NTFS used-space tests share: checks of a used-space answer's shape and coverage, and
// the cluster bitmap as ntfscat gives it, to hold the plugin's own reading against.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DeviceRange } from '../../../src/shared/plugin-api.js';
import { run } from '../../../test/lab/index.js';

/** What is wrong with a used-space answer's shape: unsorted, overlapping, touching or out-of-bounds ranges. */
export function rangeShapeProblems(ranges: DeviceRange[], sizeBytes: number): string[] {
  const problems: string[] = [];
  ranges.forEach((range, i) => {
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start >= range.end) problems.push(`range ${i} is empty or not whole: ${JSON.stringify(range)}`);
    if (range.start < 0 || range.end > sizeBytes) problems.push(`range ${i} lies outside [0, ${sizeBytes}): ${JSON.stringify(range)}`);
    const previous = ranges[i - 1];
    if (previous && range.start <= previous.end) problems.push(`range ${i} overlaps or touches the one before (not sorted and merged): ${JSON.stringify([previous, range])}`);
  });
  return problems;
}

export const usedBytes = (ranges: DeviceRange[]): number => ranges.reduce((sum, range) => sum + range.end - range.start, 0);

/** Bytes of [start, end) that no range covers (ranges sorted and merged). */
export function uncovered(start: number, end: number, ranges: DeviceRange[]): number {
  let missing = 0;
  let at = start;
  for (const range of ranges) {
    if (range.end <= at) continue;
    if (range.start >= end) break;
    if (range.start > at) missing += range.start - at;
    at = Math.max(at, range.end);
    if (at >= end) break;
  }
  return missing + Math.max(0, end - at);
}

/** The device size as the kernel tells `blockdev --getsize64`. */
export async function blockdevSize(device: string): Promise<number> {
  const { stdout } = await run('blockdev', ['--getsize64', device]);
  return Number(stdout.trim());
}

/** `ntfscat -f DEVICE '$Bitmap'`: the cluster bitmap as the ntfs-3g tools read it, bytes as they are. */
export async function ntfscatBitmap(device: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('ntfscat', ['-f', device, '$Bitmap'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}
