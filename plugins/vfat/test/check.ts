// What every FAT-family mapper test asks of a mapping: the bytes at each extent on the device
// are the file's bytes at that offset, and the extents cover the file exactly once; and of a
// used-space answer: well-formed ranges that hold every mapped extent. Used by the vfat and exfat tests.
import { open } from 'node:fs/promises';
import type {
  BitarrPlugin,
  DeviceRange,
  FileMapping,
  MapRequest,
  MapResult,
  PhysicalExtent,
  UsedSpaceRequest,
  UsedSpaceResult,
} from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';

export async function extentProblems(device: string, extents: PhysicalExtent[], content: Buffer): Promise<string[]> {
  const problems: string[] = [];
  let covered = 0;
  const handle = await open(device, 'r');
  try {
    for (const extent of [...extents].sort((a, b) => a.logical - b.logical)) {
      if (extent.logical !== covered) problems.push(`extent at ${extent.logical} should start at ${covered} (gap or overlap)`);
      const onDisk = Buffer.alloc(extent.length);
      const { bytesRead } = await handle.read(onDisk, 0, extent.length, extent.physical);
      const expected = content.subarray(extent.logical, extent.logical + extent.length);
      if (bytesRead !== extent.length || !onDisk.equals(expected)) {
        problems.push(`${extent.length} B at file offset ${extent.logical} differ from device offset ${extent.physical}`);
      }
      covered = extent.logical + extent.length;
    }
  } finally {
    await handle.close();
  }
  if (covered !== content.length) problems.push(`${covered} of ${content.length} bytes mapped`);
  return problems;
}

/** Clipped to the file's size and with touching extents joined: the lab's maps and the plugin's can then be compared. */
export function normalized(extents: PhysicalExtent[], size: number): PhysicalExtent[] {
  const out: PhysicalExtent[] = [];
  for (const extent of [...extents].sort((a, b) => a.logical - b.logical)) {
    const length = Math.min(extent.length, size - extent.logical);
    if (length <= 0) continue;
    const last = out[out.length - 1];
    if (last && last.logical + last.length === extent.logical && last.physical + last.length === extent.physical) last.length += length;
    else out.push({ logical: extent.logical, physical: extent.physical, length });
  }
  return out;
}

export async function mapWith(plugin: BitarrPlugin, request: MapRequest): Promise<MapResult> {
  return plugin.sectorMapper!.map(request, createPluginContext(null));
}

/** The mappings of an available result by path; fails loudly on an unavailable one. */
export function byPath(result: MapResult): Map<string, FileMapping> {
  if (!result.available) throw new Error(`mapping unavailable: ${result.reason}`);
  return new Map(result.files.map((file) => [file.path, file]));
}

export function extentsOf(mapping: FileMapping | undefined): PhysicalExtent[] {
  if (!mapping) throw new Error('no mapping returned');
  if ('error' in mapping) throw new Error(`${mapping.path}: ${mapping.error}`);
  return mapping.extents;
}

export async function usedWith(plugin: BitarrPlugin, request: UsedSpaceRequest): Promise<UsedSpaceResult> {
  return plugin.sectorMapper!.usedSpace!(request, createPluginContext(null));
}

/** The ranges of an available answer; fails loudly on an unavailable one. */
export function rangesOf(result: UsedSpaceResult): DeviceRange[] {
  if (!result.available) throw new Error(`used space unavailable: ${result.reason}`);
  return result.ranges;
}

/** What is wrong with the shape of a used-space answer: unsorted, unmerged, empty or out-of-device ranges. */
export function rangeProblems(result: UsedSpaceResult, deviceSize: number): string[] {
  if (!result.available) return [`unavailable: ${result.reason}`];
  const problems: string[] = [];
  if (result.sizeBytes !== deviceSize) problems.push(`sizeBytes ${result.sizeBytes}, the device has ${deviceSize}`);
  if (result.granularity !== 'cluster') problems.push(`granularity ${result.granularity}`);
  let previousEnd = -1;
  for (const { start, end } of result.ranges) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > result.sizeBytes) problems.push(`${start}-${end} is outside the device`);
    if (end <= start) problems.push(`${start}-${end} is empty`);
    if (start <= previousEnd) problems.push(`${start}-${end} is not after the previous range (ending ${previousEnd}), or touches it unmerged`);
    previousEnd = end;
  }
  return problems;
}

/** Extents (clipped to whole bytes of the file) that some byte of lies outside every range. */
export function extentsOutside(extents: PhysicalExtent[], ranges: DeviceRange[]): PhysicalExtent[] {
  return extents.filter((extent) => !ranges.some((range) => range.start <= extent.physical && extent.physical + extent.length <= range.end));
}
