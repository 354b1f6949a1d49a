// The NTFS cluster bitmap ($Bitmap, MFT record 6): bit i (LSB first in each byte) set = cluster i
// in use. Turned into device byte ranges, piece by piece, so a multi-terabyte volume's bitmap
// (32 MiB per TiB at 4 KiB clusters) never has to be in memory at once. Pure.
import type { DeviceRange } from '../../src/shared/plugin-api.js';

/** Runs of set bits, [start, end) in clusters, gathered over pieces of the bitmap given in order. */
export class ClusterRuns {
  readonly runs: { start: number; end: number }[] = [];
  #open: number | null = null;
  #next = 0;

  /**
   * `bytes` are the bitmap's bytes from bit `firstBit` on (a multiple of 8). Bits at `limit` and
   * beyond are not clusters of the volume: NTFS sets the bitmap's padding bits, they mean nothing.
   */
  add(bytes: Buffer, firstBit: number, limit: number): void {
    if (firstBit !== this.#next) this.#close(this.#next);
    let bit = firstBit;
    for (let i = 0; i < bytes.length && bit < limit; i++, bit += 8) {
      const byte = bytes[i]!;
      // Whole bytes first: bitmaps are long stretches of 0x00 and 0xff.
      if (byte === 0xff && bit + 8 <= limit) {
        this.#open ??= bit;
      } else if (byte === 0) {
        this.#close(bit);
      } else {
        for (let j = 0; j < 8 && bit + j < limit; j++) {
          if (byte & (1 << j)) this.#open ??= bit + j;
          else this.#close(bit + j);
        }
      }
    }
    this.#next = Math.min(bit, limit);
    if (this.#next >= limit) this.#close(limit);
  }

  /** Ends the last run: no more pieces follow. */
  finish(): { start: number; end: number }[] {
    this.#close(this.#next);
    return this.runs;
  }

  #close(at: number): void {
    if (this.#open === null) return;
    const last = this.runs.at(-1);
    if (last && last.end === this.#open) last.end = at;
    else this.runs.push({ start: this.#open, end: at });
    this.#open = null;
  }
}

/** Clusters of the volume: the whole clusters in its sectors (a partial one at the end is not one). */
export function clusterCount(totalSectors: number, bytesPerSector: number, clusterSize: number): number {
  return Math.floor((totalSectors * bytesPerSector) / clusterSize);
}

/** Cluster runs × cluster size as byte ranges, plus the backup boot sector, sorted, merged and within [0, sizeBytes). */
export function usedRanges(runs: readonly { start: number; end: number }[], clusterSize: number, backupBootSector: DeviceRange, sizeBytes: number): DeviceRange[] {
  const ranges = runs.map((run) => ({ start: run.start * clusterSize, end: run.end * clusterSize }));
  ranges.push(backupBootSector);
  const merged: DeviceRange[] = [];
  for (const range of ranges.sort((a, b) => a.start - b.start)) {
    const start = Math.max(0, range.start);
    const end = Math.min(sizeBytes, range.end);
    if (start >= end) continue;
    const last = merged.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  return merged;
}
