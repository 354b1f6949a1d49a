// From what FIEMAP says about a btrfs file to byte ranges on one block device. Pure.
import type { FiemapFile } from '../../src/shared/fiemap.js';
import type { FileMapping, PhysicalExtent } from '../../src/shared/plugin-api.js';
import { chunkAt, type BtrfsChunk } from './chunk-tree.js';

/** What FIEMAP alone decides: a final answer, or extents in btrfs logical addresses to translate. */
export type Classified =
  | { kind: 'final'; mapping: Omit<FileMapping, 'path'> }
  | { kind: 'translate'; extents: PhysicalExtent[]; notes: string[] };

export type ToTranslate = Extract<Classified, { kind: 'translate' }>;

/**
 * Compressed extents hold other bytes than the file's; inline data lives inside a metadata
 * block; preallocated (unwritten) ranges read as zeros whatever the disk holds. The last extent
 * is cut at the file size: btrfs reports whole sectors, the bytes after EOF are not the file's.
 */
export function classify(file: FiemapFile): Classified {
  const flagsOf = (entry: string): string => entry.slice(entry.indexOf(':') + 1);
  const notOnDisk = file.notOnDisk.map(flagsOf);
  if (notOnDisk.some((flags) => /\bencoded\b/.test(flags))) {
    return { kind: 'final', mapping: { error: "compressed: physical bytes are not the file's bytes" } };
  }
  const pending = file.notOnDisk.filter((entry) => /\b(delalloc|unknown_loc|data_encrypted)\b/.test(flagsOf(entry)));
  if (pending.length > 0) return { kind: 'final', mapping: { error: `not at a device offset yet (${pending.join('; ')})` } };

  const notes: string[] = [];
  if (file.notOnDisk.length > 0) notes.push('preallocated ranges read as zeros and are left out');
  if (file.inline && file.extents.length === 0) return { kind: 'final', mapping: { extents: [], note: 'inline in metadata' } };
  if (file.inline) notes.push('part of the file is inline in metadata');
  if (file.size === 0) return { kind: 'final', mapping: { extents: [], note: 'empty' } };
  const extents = file.extents.map((extent) => ({
    ...extent,
    length: Math.min(extent.length, file.size - extent.logical),
  }));
  if (extents.length === 0) return { kind: 'final', mapping: { extents: [], note: notes.join('; ') || 'no data extents (sparse)' } };
  return { kind: 'translate', extents, notes };
}

export type Translated =
  | { kind: 'mapped'; extents: PhysicalExtent[]; notes: string[] }
  | { kind: 'error'; error: string }
  /** An address the chunk list does not cover: the list is older than the file's data. */
  | { kind: 'unmapped'; address: number };

const signed = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);

/**
 * btrfs logical addresses to offsets on the device whose devid is `devid`. A FIEMAP extent can
 * run across a chunk boundary (btrfs merges logically adjacent extents), and the next chunk may
 * be anywhere on the device, so extents are split at every boundary.
 */
export function toDevice(extents: readonly PhysicalExtent[], chunks: readonly BtrfsChunk[], devid: number): Translated {
  const out: PhysicalExtent[] = [];
  const copies = new Map<number, number>();
  for (const extent of extents) {
    for (let done = 0; done < extent.length; ) {
      const address = extent.physical + done;
      const chunk = chunkAt(chunks, address);
      if (!chunk) return { kind: 'unmapped', address };
      const placement = stripeFor(chunk, devid, address);
      if (typeof placement === 'string') return { kind: 'error', error: placement };
      if (placement.secondCopy !== undefined) copies.set(chunk.logical, placement.secondCopy);
      const take = Math.min(extent.length - done, chunk.logical + chunk.length - address);
      out.push({ logical: extent.logical + done, physical: placement.offset + (address - chunk.logical), length: take });
      done += take;
    }
  }
  const notes: string[] = [];
  const deltas = [...new Set(copies.values())];
  if (deltas.length === 1) notes.push(`btrfs DUP: a second copy of each extent lies at physical ${signed(deltas[0]!)}`);
  else if (deltas.length > 1) {
    const perChunk = [...copies].map(([logical, delta]) => `physical ${signed(delta)} in btrfs chunk ${logical}`);
    notes.push(`btrfs DUP: the second copy of each extent lies at ${perChunk.join(', ')}`);
  }
  return { kind: 'mapped', extents: out, notes };
}

/** Where a chunk's bytes are on this device, or why they cannot be given as one range. */
function stripeFor(chunk: BtrfsChunk, devid: number, address: number): { offset: number; secondCopy?: number } | string {
  const [first, second] = chunk.stripes;
  const where = `data at btrfs address ${address} is in a ${chunk.type} chunk`;
  if (chunk.profile === 'single' && chunk.stripes.length === 1) {
    if (first!.devid === devid) return { offset: first!.offset };
    return `${where} on device id ${first!.devid}, not on this device (id ${devid}): multi-device mapping is not supported yet`;
  }
  if (chunk.profile === 'dup' && chunk.stripes.length === 2 && first!.devid === devid && second!.devid === devid) {
    return { offset: first!.offset, secondCopy: second!.offset - first!.offset };
  }
  return `${where} striped or mirrored over devices ${chunk.stripes.map((s) => s.devid).join(', ')}: multi-device mapping is not supported yet`;
}

export function describeMapping(translated: Extract<Translated, { kind: 'mapped' }>, notes: string[]): Omit<FileMapping, 'path'> {
  const all = [...notes, ...translated.notes];
  return all.length > 0 ? { extents: translated.extents, note: all.join('; ') } : { extents: translated.extents };
}
