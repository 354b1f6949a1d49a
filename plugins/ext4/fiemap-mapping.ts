// From what `filefrag -v -b1 -s` said about one file to what Bitarr stores about it. Pure, so
// recorded outputs test every case (empty, inline, sparse, unwritten, delalloc) without a disk.
import type { FiemapFile } from '../../src/shared/fiemap.js';
import type { FileMapping, PhysicalExtent } from '../../src/shared/plugin-api.js';

// Flags under which the bytes at "physical" are not the file's bytes. "unwritten" is not here:
// a preallocated range reads as zeros and has no data to find on the device, like a hole.
const NOT_THE_FILES_BYTES = /\b(delalloc|unknown_loc)\b/;
const TRANSFORMED = /\b(encoded|data_encrypted)\b/;

/**
 * `file` is what parseFilefrag() found for `path` (undefined when filefrag printed nothing about
 * it). Extents are clipped to the file size: FIEMAP reports whole blocks, and the slack after the
 * last byte holds none of the file's data.
 */
export function toFileMapping(path: string, file: FiemapFile | undefined): FileMapping {
  if (file === undefined) return { path, error: 'filefrag printed nothing about this file' };
  const transformed = file.notOnDisk.filter((entry) => TRANSFORMED.test(entry));
  if (transformed.length > 0) {
    return { path, error: `its data is stored encrypted or compressed, so the bytes on the device are not the file's (at ${transformed.join('; ')})` };
  }
  const unplaced = file.notOnDisk.filter((entry) => NOT_THE_FILES_BYTES.test(entry));
  if (unplaced.length > 0) {
    // filefrag -s asked the kernel to write the file back first; still unplaced means a writer
    // is busy with it right now or writeback failed. Guessing an offset here would be worse.
    return { path, error: `not on the device yet even after a sync (at ${unplaced.join('; ')}); map it again later` };
  }
  const extents = clip(file.extents, file.size);
  const unwritten = file.notOnDisk.length;
  const notes: string[] = [];
  if (file.size === 0) notes.push('empty file: no data on the device');
  else if (file.inline) notes.push('data is stored inline in the inode: no extent of its own');
  else if (extents.length === 0 && unwritten === 0) notes.push('sparse file without data blocks: reads as zeros');
  if (unwritten > 0) notes.push(`${unwritten} preallocated range(s) never written (read as zeros, left out)`);
  return notes.length > 0 ? { path, extents, note: notes.join('; ') } : { path, extents };
}

function clip(extents: PhysicalExtent[], size: number): PhysicalExtent[] {
  return extents
    .filter((extent) => extent.logical < size && extent.length > 0)
    .map((extent) => ({ ...extent, length: Math.min(extent.length, size - extent.logical) }));
}

/**
 * Splits names into argument lists for one filefrag each: at most `maxCount` names and about
 * `maxBytes` of them, far below ARG_MAX (2 MiB on Linux, shared with the environment).
 */
export function chunkNames(names: string[], maxCount: number, maxBytes: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const size = Buffer.byteLength(name) + 1;
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
