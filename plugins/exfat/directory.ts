// exFAT directories (Microsoft's exFAT specification, sections 6 and 7): a file is a set of
// 32-byte entries — File (0x85), Stream Extension (0xC0), File Name (0xC1) × n — guarded by a
// checksum over the whole set. Names compare through the volume's up-case table.
// Pure: tested on directories recorded from real images.

const FILE = 0x85;
const STREAM = 0xc0;
const FILE_NAME = 0xc1;
const UP_CASE_TABLE = 0x82;
const ALLOCATION_BITMAP = 0x81;
export const ATTR_DIRECTORY = 0x10;

export interface ExfatDirEntry {
  name: string;
  attributes: number;
  /** Set: the data is `DataLength` bytes in consecutive clusters and the FAT holds no chain for it. */
  noFatChain: boolean;
  firstCluster: number;
  dataLength: number;
  /** Bytes past this were never written: they read as zeros and are not on the device. */
  validDataLength: number;
  /** Why the entry set cannot be trusted (its checksum fails), or null. */
  damaged: string | null;
}

export interface UpCaseTableEntry {
  checksum: number;
  firstCluster: number;
  dataLength: number;
}

/** Section 7.1: one per FAT; `identifier` 1 is the second bitmap, for the second FAT. */
export interface AllocationBitmapEntry {
  identifier: number;
  firstCluster: number;
  dataLength: number;
}

export interface ExfatListing {
  entries: ExfatDirEntry[];
  /** Only the root directory holds one. */
  upCaseTable: UpCaseTableEntry | null;
  /** Only the root directory holds them. */
  allocationBitmaps: AllocationBitmapEntry[];
}

/** EntrySetChecksum: over every byte of the set but the checksum field itself (bytes 2-3). */
export function entrySetChecksum(set: Buffer): number {
  let sum = 0;
  for (let i = 0; i < set.length; i++) {
    if (i === 2 || i === 3) continue;
    sum = ((sum & 1 ? 0x8000 : 0) + (sum >>> 1) + set[i]!) & 0xffff;
  }
  return sum;
}

function bytesToNumber(entry: Buffer, offset: number): number {
  const value = entry.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`a length of ${value} bytes`);
  return Number(value);
}

export function parseExfatDirectory(bytes: Buffer): ExfatListing {
  const entries: ExfatDirEntry[] = [];
  let upCaseTable: UpCaseTableEntry | null = null;
  const allocationBitmaps: AllocationBitmapEntry[] = [];
  for (let at = 0; at + 32 <= bytes.length; ) {
    const type = bytes[at]!;
    if (type === 0x00) break; // end of directory: no entry after this one is in use
    if (type === UP_CASE_TABLE) {
      upCaseTable = { checksum: bytes.readUInt32LE(at + 4), firstCluster: bytes.readUInt32LE(at + 20), dataLength: bytesToNumber(bytes, at + 24) };
    }
    if (type === ALLOCATION_BITMAP) {
      allocationBitmaps.push({ identifier: bytes[at + 1]! & 0x01, firstCluster: bytes.readUInt32LE(at + 20), dataLength: bytesToNumber(bytes, at + 24) });
    }
    if (type !== FILE) {
      at += 32; // free entries (bit 7 clear), other primaries, and secondaries without their primary
      continue;
    }
    const secondaryCount = bytes[at + 1]!;
    const set = bytes.subarray(at, at + 32 * (secondaryCount + 1));
    const entry = set.length === 32 * (secondaryCount + 1) ? parseEntrySet(set) : null;
    if (entry) entries.push(entry);
    // A set that does not parse may hide its neighbours' entries; step one entry, not the set.
    at += entry ? set.length : 32;
  }
  return { entries, upCaseTable, allocationBitmaps };
}

function parseEntrySet(set: Buffer): ExfatDirEntry | null {
  const secondaryCount = set[1]!;
  if (secondaryCount < 2 || set[32] !== STREAM) return null;
  const stream = set.subarray(32, 64);
  const nameLength = stream[3]!;
  const nameEntries = Math.ceil(nameLength / 15);
  if (nameLength === 0 || 1 + nameEntries > secondaryCount) return null;
  const units: number[] = [];
  for (let n = 0; n < nameEntries; n++) {
    const nameEntry = set.subarray(64 + n * 32, 96 + n * 32);
    if (nameEntry[0] !== FILE_NAME) return null;
    for (let c = 0; c < 15 && units.length < nameLength; c++) units.push(nameEntry.readUInt16LE(2 + c * 2));
  }
  const stored = set.readUInt16LE(2);
  const computed = entrySetChecksum(set);
  return {
    name: String.fromCharCode(...units),
    attributes: set.readUInt16LE(4),
    noFatChain: (stream[1]! & 0x02) !== 0,
    firstCluster: stream.readUInt32LE(20),
    dataLength: bytesToNumber(stream, 24),
    validDataLength: bytesToNumber(stream, 8),
    damaged:
      stored === computed
        ? null
        : `its directory entry set fails its checksum (stored ${hex(stored)}, computed ${hex(computed)}): the file's metadata is damaged`,
  };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

/** TableChecksum of the up-case table: a 32-bit rotate-and-add over its bytes. */
export function upCaseTableChecksum(table: Buffer): number {
  let sum = 0;
  for (const byte of table) sum = ((sum & 1 ? 0x80000000 : 0) + (sum >>> 1) + byte) >>> 0;
  return sum;
}

/**
 * Expands the (usually compressed) up-case table: a run of UTF-16 values for consecutive
 * characters, where 0xFFFF followed by a count skips that many characters that map to themselves.
 */
export function expandUpCaseTable(table: Buffer): Uint16Array {
  const upper = new Uint16Array(0x10000).map((_, i) => i);
  let index = 0;
  for (let at = 0; at + 2 <= table.length && index <= 0xffff; at += 2) {
    const value = table.readUInt16LE(at);
    if (value !== index && value === 0xffff && at + 4 <= table.length) {
      at += 2;
      index += table.readUInt16LE(at);
    } else {
      upper[index++] = value;
    }
  }
  return upper;
}

/** A name as the up-case table folds it; without a table, what JavaScript's toUpperCase does per UTF-16 unit. */
export function foldExfatName(name: string, upper: Uint16Array | null): string {
  let folded = '';
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (upper) {
      folded += String.fromCharCode(upper[unit]!);
    } else {
      const simple = name[i]!.toUpperCase();
      folded += simple.length === 1 ? simple : name[i];
    }
  }
  return folded;
}
