// The btrfs superblock as it lies on the device (struct btrfs_super_block, 4 KiB at 64 KiB), read
// in-process: the used-space request needs devid, fsid and nodesize before its one dump-tree, and
// an unreadable device should be told apart (needs root) without starting a process. Pure.

/** Byte offset of the primary superblock; copies lie at 64 MiB and 256 GiB. */
export const SUPERBLOCK_OFFSET = 64 * 1024;
export const SUPERBLOCK_SIZE = 4096;
/** btrfs_sb_offset() for its three mirrors; a copy is written only where the device reaches. */
export const SUPERBLOCK_COPIES = [SUPERBLOCK_OFFSET, 64 * 1024 ** 2, 256 * 1024 ** 3];

export interface Superblock {
  fsid: string;
  /** The devid of the device this superblock was read from (dev_item.devid). */
  devid: number;
  /** Size of every tree block: a METADATA_ITEM's length. */
  nodesize: number;
  sectorsize: number;
}

const MAGIC = '_BHRfS_M';

function uuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Fields at their offsets in struct btrfs_super_block (fsid 0x20, magic 0x40, sectorsize 0x90,
 * nodesize 0x94, dev_item 0xc9 whose first field is the devid). null when the magic is not there.
 * The checksum is not verified (crc32c is not in node:zlib); dump-tree verifies it right after.
 */
export function parseSuperblock(block: Buffer): Superblock | null {
  if (block.length < 0xc9 + 8 || block.toString('latin1', 0x40, 0x48) !== MAGIC) return null;
  const devid = block.readBigUInt64LE(0xc9);
  const sectorsize = block.readUInt32LE(0x90);
  const nodesize = block.readUInt32LE(0x94);
  if (devid === 0n || devid > BigInt(Number.MAX_SAFE_INTEGER) || !isPowerOfTwo(sectorsize) || !isPowerOfTwo(nodesize)) return null;
  return { fsid: uuid(block.subarray(0x20, 0x30)), devid: Number(devid), nodesize, sectorsize };
}

function isPowerOfTwo(n: number): boolean {
  return n >= 512 && (n & (n - 1)) === 0;
}
