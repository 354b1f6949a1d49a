// Checking a sector mapper's answer against the raw bytes, shared by every plugin's lab tests.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { DeviceRange, FileMapping, PhysicalExtent } from '../../src/shared/plugin-api.js';
import { run } from './host.js';
import type { Lab } from './lab.js';

export type Extents = { path: string; extents: PhysicalExtent[]; note?: string };

export function hasExtents(mapping: FileMapping | undefined): mapping is Extents {
  return mapping !== undefined && 'extents' in mapping;
}

/** Problems with one mapping: bytes on the image that are not the file's, or file bytes left unmapped. */
export async function byteProblems(img: string, mapping: Extents, content: Buffer, holes = 0): Promise<string[]> {
  const problems: string[] = [];
  const image = await open(img, 'r');
  try {
    let covered = 0;
    for (const { logical, physical, length } of mapping.extents) {
      if (length <= 0 || logical + length > content.length) problems.push(`${mapping.path}: extent ${logical}+${length} runs past the size ${content.length}`);
      const onDisk = Buffer.alloc(length);
      await image.read(onDisk, 0, length, physical);
      if (!onDisk.equals(content.subarray(logical, logical + length))) {
        problems.push(`${mapping.path}: ${length} B at file offset ${logical} differ from device offset ${physical}`);
      }
      covered += length;
    }
    if (covered !== content.length - holes) problems.push(`${mapping.path}: ${covered} of ${content.length - holes} data bytes mapped`);
  } finally {
    await image.close();
  }
  return problems;
}

/** Two files written a block at a time in turn, so the allocator interleaves them: fragmented files. */
export function writeInterleaved(lab: Lab, a: string, b: string, size: number): void {
  mkdirSync(dirname(lab.path(a)), { recursive: true });
  const first = openSync(lab.path(a), 'w');
  const second = openSync(lab.path(b), 'w');
  try {
    for (let at = 0; at < size; at += 4096) {
      writeSync(first, randomBytes(4096), 0, 4096, at);
      writeSync(second, randomBytes(4096), 0, 4096, at);
    }
  } finally {
    closeSync(first);
    closeSync(second);
  }
}

// Used-space answers (sectorMapper.usedSpace): their shape and what they cover.

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
