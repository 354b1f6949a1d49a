// Reasoning about where files sit relative to each other in the image, without touching it.
import type { Extent } from './filesystems.js';

export interface FileLayout {
  rel: string;
  size: number;
  /** Allocation-rounded, sorted by logical offset. */
  extents: Extent[];
}

export interface ImageRange {
  physical: number;
  length: number;
}

/** Where bytes [at, at + length) of a file are in the image, in file order. Throws on unmapped bytes. */
export function imageRanges(file: FileLayout, at: number, length: number): ImageRange[] {
  if (!Number.isInteger(at) || !Number.isInteger(length) || at < 0 || length <= 0 || at + length > file.size) {
    throw new Error(`${file.rel}: bytes ${at}..${at + length} are not inside the file (size ${file.size})`);
  }
  const ranges: ImageRange[] = [];
  let pos = at;
  const end = at + length;
  while (pos < end) {
    const extent = file.extents.find((e) => e.logical <= pos && pos < e.logical + e.length);
    if (!extent) throw new Error(`${file.rel}: byte ${pos} has no physical location (inline, sparse or unmapped)`);
    const take = Math.min(end, extent.logical + extent.length) - pos;
    const physical = extent.physical + (pos - extent.logical);
    const previous = ranges.at(-1);
    if (previous && previous.physical + previous.length === physical) previous.length += take;
    else ranges.push({ physical, length: take });
    pos += take;
  }
  return ranges;
}

interface Placement {
  rel: string;
  head: number;
  /** Just past the file's last byte. */
  dataEnd: number;
  /** Just past the allocation that holds the last byte: anything from here on belongs to someone else. */
  allocationEnd: number;
  contiguous: boolean;
}

function placementOf(file: FileLayout): Placement | null {
  if (file.size === 0 || file.extents.length === 0) return null;
  const last = imageRanges(file, file.size - 1, 1)[0]!;
  const holder = file.extents.find((e) => e.logical <= file.size - 1 && file.size - 1 < e.logical + e.length)!;
  return {
    rel: file.rel,
    head: imageRanges(file, 0, 1)[0]!.physical,
    dataEnd: last.physical + 1,
    allocationEnd: holder.physical + holder.length,
    contiguous: imageRanges(file, 0, file.size).length === 1,
  };
}

export const MAX_GAP = 8192;

// The gap must be the first file's own slack: a gap that is merely small can still hold a
// directory block (seen on NTFS), and flipping that damages files nobody meant to touch.
function follows(first: Placement, second: Placement): boolean {
  const gap = second.head - first.dataEnd;
  return gap >= 0 && gap <= MAX_GAP && second.head === first.allocationEnd;
}

function isChain(run: Placement[]): boolean {
  return run.every((p, i) => i === 0 || (follows(run[i - 1]!, p) && (i === run.length - 1 || p.contiguous)));
}

/** `count` files laid out back to back (inner ones contiguous), smallest span first, or null. */
export function findNeighbours(files: FileLayout[], count: number): string[] | null {
  if (!Number.isInteger(count) || count < 2) throw new Error(`neighbours needs a count of at least 2, got ${count}`);
  const placed = files.map(placementOf).filter((p): p is Placement => p !== null);
  placed.sort((a, b) => a.head - b.head);
  let best: { span: number; rels: string[] } | null = null;
  for (let i = 0; i + count <= placed.length; i++) {
    const run = placed.slice(i, i + count);
    if (!isChain(run)) continue;
    const span = run.at(-1)!.head - run[0]!.dataEnd;
    if (!best || span < best.span) best = { span, rels: run.map((p) => p.rel) };
  }
  return best?.rels ?? null;
}

export const BAND_EDGE = 256;

/** One image range: the last 256 B of the first file, all of the second, the first 256 B of the third. */
export function bandRange(files: [FileLayout, FileLayout, FileLayout]): ImageRange {
  const [first, middle, last] = files;
  const placed = files.map(placementOf);
  const names = files.map((f) => f.rel).join(', ');
  if (placed.some((p) => p === null) || !isChain(placed as Placement[])) {
    throw new Error(`${names} are not physically adjacent in that order (gaps over ${MAX_GAP} B or foreign blocks between)`);
  }
  const tail = imageRanges(first, first.size - BAND_EDGE, BAND_EDGE);
  const head = imageRanges(last, 0, BAND_EDGE);
  if (tail.length !== 1 || head.length !== 1) throw new Error(`${names}: the band edges are fragmented`);
  imageRanges(middle, 0, middle.size);
  const start = tail[0]!.physical;
  return { physical: start, length: head[0]!.physical + BAND_EDGE - start };
}
