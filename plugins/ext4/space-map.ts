// Where on the device an ext2/3/4 or xfs filesystem has anything, from what the tools print.
// Pure, so recorded outputs test every shape (repeated headers, other devices, 1 KiB blocks)
// without a disk.
import type { DeviceRange } from '../../src/shared/plugin-api.js';

/** One line of `xfs_io -c 'fsmap -m'`: a piece of one device and who owns it. Bytes, [start, end). */
export interface FsmapRecord {
  major: number;
  minor: number;
  start: number;
  end: number;
  /** `special_0:1` (FMR_OWN_FREE): nobody. Everything else is in use. */
  free: boolean;
  owner: string;
}

// The kernel's FMR_OWN_FREE = FMR_OWNER(0, 1), printed by dump_map_machine() as special_TYPE:CODE.
const FREE_OWNER = 'special_0:1';
const HEADER = 'EXT,MAJOR,MINOR,PSTART,PEND,OWNER,OSTART,OEND,LENGTH';
// xfs_io prints PSTART, PEND and LENGTH in 512-byte "basic blocks" (BTOBBT), PEND inclusive.
const SECTOR = 512;

/**
 * Parses `xfs_io -c 'fsmap -m'`. The header is printed again before every batch the ioctl
 * returns (1024 records each), so it may appear anywhere. Throws on a line it cannot follow:
 * a used-space map drawn from half-understood output would be worse than none.
 */
export function parseFsmap(stdout: string): FsmapRecord[] {
  const records: FsmapRecord[] = [];
  stdout.split('\n').forEach((line, index) => {
    if (line === '' || line === HEADER) return;
    const fields = line.split(',');
    const numbers = [fields[1], fields[2], fields[3], fields[4], fields[8]].map((field) => (field !== undefined && /^\d+$/.test(field) ? Number(field) : NaN));
    const [major, minor, first, last, length] = numbers as [number, number, number, number, number];
    if (fields.length !== 9 || numbers.some((n) => !Number.isSafeInteger(n)) || last < first || length !== last - first + 1) {
      throw new Error(`fsmap line ${index + 1} is not "${HEADER}": ${JSON.stringify(line)}`);
    }
    const owner = fields[5]!;
    records.push({ major, minor, start: first * SECTOR, end: (last + 1) * SECTOR, free: owner === FREE_OWNER, owner });
  });
  return records;
}

/**
 * The used ranges of device major:minor: everything up to the end of its last record that is
 * not free space. Not the union of the records that name an owner: ext4's GETFSMAP leaves out
 * some allocated ranges (Linux 6.18, 1 KiB blocks: the end of a block group whose last free
 * extent came before a group full of file data, 6 MiB of a 20 MiB file, never reported at
 * all), while its free records come straight from the allocator's bitmaps and match dumpe2fs.
 * Records of other devices (an external journal or log, the xfs realtime device) are left out:
 * their offsets are on those devices.
 */
export function usedFromFsmap(records: FsmapRecord[], major: number, minor: number, sizeBytes: number): DeviceRange[] {
  const onDevice = records.filter((r) => r.major === major && r.minor === minor);
  const end = onDevice.reduce((last, r) => Math.max(last, r.end), 0);
  const free = onDevice.filter((r) => r.free).map(({ start, end }) => ({ start, end }));
  return complement(mergeRanges(free, Infinity), end, sizeBytes);
}

export interface Dumpe2fsFreeSpace {
  blockSize: number;
  blockCount: number;
  /** Free block ranges in bytes, as the block groups' "Free blocks:" lists give them. */
  free: DeviceRange[];
}

/**
 * Parses `dumpe2fs DEVICE`: the superblock's block size and count, and each group's
 * "  Free blocks: 7986-8192, 9000" list (block numbers, ranges inclusive). The superblock's own
 * "Free blocks:" line, a count at the start of the line, is not a list and is skipped.
 */
export function parseDumpe2fs(stdout: string): Dumpe2fsFreeSpace {
  const blockSize = Number(/^Block size:\s+(\d+)$/m.exec(stdout)?.[1]);
  const blockCount = Number(/^Block count:\s+(\d+)$/m.exec(stdout)?.[1]);
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0 || !Number.isSafeInteger(blockCount) || blockCount <= 0) {
    throw new Error('dumpe2fs printed no "Block size:" and "Block count:"');
  }
  const free: DeviceRange[] = [];
  let groups = 0;
  for (const [, list] of stdout.matchAll(/^\s+Free blocks:(.*)$/gm)) {
    groups++;
    for (const item of list!.split(',').map((part) => part.trim()).filter(Boolean)) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(item);
      const first = Number(match?.[1]);
      const last = Number(match?.[2] ?? match?.[1]);
      if (!match || last < first || last >= blockCount) throw new Error(`dumpe2fs free block range ${JSON.stringify(item)} is not within the ${blockCount} blocks`);
      free.push({ start: first * blockSize, end: (last + 1) * blockSize });
    }
  }
  if (groups === 0) throw new Error('dumpe2fs printed no block group with a "Free blocks:" list');
  return { blockSize, blockCount, free };
}

/** Everything of the filesystem's blocks that no group lists as free. */
export function usedFromDumpe2fs(space: Dumpe2fsFreeSpace, sizeBytes: number): DeviceRange[] {
  return complement(mergeRanges(space.free, Infinity), space.blockCount * space.blockSize, sizeBytes);
}

/** Sorted, overlapping and touching ranges joined, clipped to [0, limit), empty ones dropped. */
export function mergeRanges(ranges: DeviceRange[], limit: number): DeviceRange[] {
  const sorted = ranges
    .map(({ start, end }) => ({ start: Math.max(0, start), end: Math.min(end, limit) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const merged: DeviceRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** The gaps of sorted, merged `ranges` within [0, extent), clipped to [0, limit). */
function complement(ranges: DeviceRange[], extent: number, limit: number): DeviceRange[] {
  const gaps: DeviceRange[] = [];
  let at = 0;
  for (const { start, end } of ranges) {
    if (start > at) gaps.push({ start: at, end: start });
    at = Math.max(at, end);
  }
  if (at < extent) gaps.push({ start: at, end: extent });
  return mergeRanges(gaps, limit);
}
