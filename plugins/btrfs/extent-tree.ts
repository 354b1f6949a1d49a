// Used space of one btrfs device from `btrfs inspect-internal dump-tree -e DEV` (the extent tree
// and the device tree) or `dump-tree -t dev` (the device tree alone). Pure: the recorded outputs
// in testdata/ test it without a filesystem.
import type { DeviceRange } from '../../src/shared/plugin-api.js';
import { profileOf } from './chunk-tree.js';
import { SUPERBLOCK_COPIES, SUPERBLOCK_SIZE } from './superblock.js';

/** A chunk's piece on one device: device bytes [offset, offset + length) hold chunk `chunkOffset`. */
export interface DevExtent {
  devid: number;
  offset: number;
  length: number;
  /** The btrfs logical address where the chunk starts. */
  chunkOffset: number;
}

/** A block group (chunk) as the extent tree describes it: its logical range and profile. */
export interface BlockGroup {
  logical: number;
  length: number;
  type: string;
  profile: string;
}

/** Something allocated inside the chunks, in btrfs logical addresses: a data extent or a tree block. */
export interface Allocation {
  logical: number;
  length: number;
}

export interface ExtentDump {
  devExtents: DevExtent[];
  blockGroups: BlockGroup[];
  allocations: Allocation[];
}

/** The first MiB of every device is never allocated: boot loaders, and the primary superblock. */
export const RESERVED_BYTES = 1024 * 1024;

// Profiles whose every device piece holds the whole chunk, byte for byte: logical → physical is
// an offset. RAID0/10/5/6 stripe the chunk over devices, so only the whole piece can be said used.
const LINEAR = new Set(['single', 'dup', 'raid1', 'raid1c3', 'raid1c4']);

function safeNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`dump-tree: ${what} ${text} is beyond what is exact in a JavaScript number`);
  return value;
}

const ITEM = /^\s*item \d+ key \((\d+) (DEV_EXTENT|EXTENT_ITEM|METADATA_ITEM|BLOCK_GROUP_ITEM) (\d+)\)/;
const DEV_EXTENT_BODY = /^\s*chunk_objectid \d+ chunk_offset (\d+) length (\d+)\s*$/;
const BLOCK_GROUP_BODY = /^\s*block group used \d+ chunk_objectid \d+ flags (\S+)/;

/**
 * Reads DEV_EXTENT, EXTENT_ITEM, METADATA_ITEM and BLOCK_GROUP_ITEM items; a METADATA_ITEM (a
 * "skinny" tree block) is `nodesize` long. `needExtentTree`: the output must hold the extent tree
 * too (`-e`), not only the device tree (`-t dev`). Throws on what it cannot read, rather than
 * returning used space with holes in it.
 */
export function parseExtentDump(output: string, nodesize: number, needExtentTree: boolean): ExtentDump {
  if (!/^device tree key /m.test(output)) throw new Error('dump-tree printed no device tree');
  if (needExtentTree && !/^extent tree key /m.test(output)) throw new Error('dump-tree printed no extent tree');
  const dump: ExtentDump = { devExtents: [], blockGroups: [], allocations: [] };
  // An item whose body is still to come: the line after its key says the rest.
  let pending: { kind: 'DEV_EXTENT' | 'BLOCK_GROUP_ITEM'; objectid: number; offset: number; line: string } | undefined;
  const unfinished = (): never => {
    throw new Error(`dump-tree: unexpected ${pending!.kind} item: ${pending!.line.trim()}`);
  };
  for (const line of lines(output)) {
    const item = ITEM.exec(line);
    if (item || /^\s*item \d+ key /.test(line) || /^(leaf|node) \d+ /.test(line)) {
      if (pending) unfinished();
      if (!item) continue;
      const objectid = safeNumber(item[1]!, 'key objectid');
      const offset = safeNumber(item[3]!, 'key offset');
      switch (item[2]) {
        case 'EXTENT_ITEM':
          dump.allocations.push({ logical: objectid, length: offset });
          break;
        case 'METADATA_ITEM':
          dump.allocations.push({ logical: objectid, length: nodesize });
          break;
        default:
          pending = { kind: item[2] as 'DEV_EXTENT' | 'BLOCK_GROUP_ITEM', objectid, offset, line };
      }
      continue;
    }
    if (!pending) continue;
    let body: RegExpExecArray | null;
    if (pending.kind === 'DEV_EXTENT' && (body = DEV_EXTENT_BODY.exec(line))) {
      dump.devExtents.push({ devid: pending.objectid, offset: pending.offset, chunkOffset: safeNumber(body[1]!, 'chunk offset'), length: safeNumber(body[2]!, 'dev extent length') });
      pending = undefined;
    } else if (pending.kind === 'BLOCK_GROUP_ITEM' && (body = BLOCK_GROUP_BODY.exec(line))) {
      dump.blockGroups.push({ logical: pending.objectid, length: pending.offset, type: body[1]!, profile: profileOf(body[1]!) });
      pending = undefined;
    }
  }
  if (pending) unfinished();
  if (dump.devExtents.length === 0) throw new Error('dump-tree printed no dev extents: not a btrfs device tree');
  return dump;
}

/** Line by line without an array of them all: an extent tree can print hundreds of MiB. */
function* lines(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const stop = end < 0 ? text.length : end;
    yield text.slice(start, stop);
    start = stop + 1;
  }
}

export interface DeviceUse {
  ranges: DeviceRange[];
  /** Chunks on this device whose used bytes are exact (extent by extent). */
  exactChunks: number;
  /** Chunks on this device counted whole: striped profiles, or no extent tree read. */
  wholeChunks: number;
}

/**
 * The bytes of device `devid` that btrfs has allocated, within [0, sizeBytes): the reserved first
 * MiB, the superblock copies, and per chunk on this device either every data extent and tree
 * block translated through the chunk's device piece (linear profiles, with the extent tree), or
 * the whole piece. DUP and RAID1 pieces on this device each get the range: both copies are on it.
 */
export function deviceUse(dump: ExtentDump, devid: number, sizeBytes: number, exact: boolean): DeviceUse {
  const ranges: DeviceRange[] = [{ start: 0, end: RESERVED_BYTES }];
  for (const copy of SUPERBLOCK_COPIES) if (copy + SUPERBLOCK_SIZE <= sizeBytes) ranges.push({ start: copy, end: copy + SUPERBLOCK_SIZE });
  const groups = new Map(dump.blockGroups.map((group) => [group.logical, group]));
  const linearPieces = new Map<number, DevExtent[]>();
  let wholeChunks = 0;
  for (const piece of dump.devExtents) {
    if (piece.devid !== devid) continue;
    const group = groups.get(piece.chunkOffset);
    // A linear piece is as long as its chunk; the length check also guards a profile misread.
    if (exact && group !== undefined && LINEAR.has(group.profile) && group.length === piece.length) {
      linearPieces.set(piece.chunkOffset, [...(linearPieces.get(piece.chunkOffset) ?? []), piece]);
    } else {
      wholeChunks++;
      ranges.push({ start: piece.offset, end: piece.offset + piece.length });
    }
  }
  if (linearPieces.size > 0) {
    const starts = [...linearPieces.keys()].sort((a, b) => a - b);
    for (const allocation of dump.allocations) {
      const chunk = chunkStartOf(starts, allocation.logical);
      if (chunk === undefined) continue;
      const pieces = linearPieces.get(chunk)!;
      const within = allocation.logical - chunk;
      if (within >= pieces[0]!.length) continue;
      if (within + allocation.length > pieces[0]!.length) {
        throw new Error(`dump-tree: the extent at btrfs address ${allocation.logical} (${allocation.length} bytes) runs past the end of its chunk at ${chunk}`);
      }
      for (const piece of pieces) ranges.push({ start: piece.offset + within, end: piece.offset + within + allocation.length });
    }
  }
  return { ranges: normalizeRanges(ranges, sizeBytes), exactChunks: linearPieces.size, wholeChunks };
}

/** The greatest chunk start at or below `address`, by binary search. */
function chunkStartOf(starts: number[], address: number): number | undefined {
  let low = 0;
  let high = starts.length - 1;
  let found: number | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (starts[middle]! <= address) {
      found = starts[middle];
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** Sorted, overlapping and touching ranges merged, clipped to [0, sizeBytes), empty ones dropped. */
export function normalizeRanges(ranges: readonly DeviceRange[], sizeBytes: number): DeviceRange[] {
  const clipped = ranges
    .map(({ start, end }) => ({ start: Math.max(0, start), end: Math.min(sizeBytes, end) }))
    .filter(({ start, end }) => start < end)
    .sort((a, b) => a.start - b.start);
  const merged: DeviceRange[] = [];
  for (const range of clipped) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}
