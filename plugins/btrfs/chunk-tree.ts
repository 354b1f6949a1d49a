// Parsing `btrfs inspect-internal dump-tree -t chunk DEV` and `dump-super DEV` (btrfs-progs).
// Pure: the recorded outputs in testdata/ test it without a filesystem.

export interface ChunkStripe {
  devid: number;
  /** Byte offset of this copy/stripe on device `devid`. */
  offset: number;
}

/** One chunk (block group): btrfs logical range [logical, logical + length) and where it lives. */
export interface BtrfsChunk {
  logical: number;
  length: number;
  /** As dump-tree prints it: `DATA|single`, `METADATA|DUP`, `DATA|RAID1`, … */
  type: string;
  /** Lowercase: single, dup, raid0, raid1, raid10, raid5, raid6, raid1c3, raid1c4, or unknown. */
  profile: string;
  stripes: ChunkStripe[];
}

const PROFILES = new Set(['single', 'dup', 'raid0', 'raid1', 'raid10', 'raid5', 'raid6', 'raid1c3', 'raid1c4']);

// Older btrfs-progs print single chunks without a profile (`type DATA`), newer ones `DATA|single`.
export function profileOf(type: string): string {
  const last = type.split('|').at(-1)!.toLowerCase();
  if (PROFILES.has(last)) return last;
  return last.startsWith('unknown') ? 'unknown' : 'single';
}

function safeNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`dump-tree: ${what} ${text} is beyond what is exact in a JavaScript number`);
  return value;
}

interface PartialChunk {
  logical: number;
  length?: number;
  type?: string;
  numStripes?: number;
  stripes: ChunkStripe[];
  text: string[];
}

function finish(chunk: PartialChunk): BtrfsChunk {
  const { logical, length, type, numStripes, stripes } = chunk;
  if (length === undefined || type === undefined || numStripes === undefined || stripes.length !== numStripes) {
    throw new Error(`dump-tree: unexpected chunk item: ${chunk.text.join(' | ').slice(0, 400)}`);
  }
  return { logical, length, type, profile: profileOf(type), stripes };
}

/**
 * Chunk items of the chunk tree, sorted by logical address. Item lines start with `item N key`;
 * the node lines of a tree of more than one leaf (`key (...) block N gen M`) are not items.
 * Throws on anything it cannot read, rather than returning a map with holes in it.
 */
export function parseChunkTree(output: string): BtrfsChunk[] {
  const chunks: BtrfsChunk[] = [];
  let current: PartialChunk | undefined;
  const close = (): void => {
    if (current) chunks.push(finish(current));
    current = undefined;
  };
  for (const line of output.split('\n')) {
    if (/^\s*item \d+ key /.test(line) || /^(leaf|node) \d+ /.test(line)) {
      close();
      const item = /^\s*item \d+ key \(\S+ CHUNK_ITEM (\d+)\)/.exec(line);
      if (item) current = { logical: safeNumber(item[1]!, 'chunk address'), stripes: [], text: [line.trim()] };
      continue;
    }
    if (!current) continue;
    current.text.push(line.trim());
    let match: RegExpExecArray | null;
    if ((match = /^\s*length (\d+) owner \d+ stripe_len \d+ type (\S+)/.exec(line))) {
      current.length = safeNumber(match[1]!, 'chunk length');
      current.type = match[2]!;
    } else if ((match = /^\s*num_stripes (\d+)/.exec(line))) {
      current.numStripes = Number(match[1]);
    } else if ((match = /^\s*stripe (\d+) devid (\d+) offset (\d+)\s*$/.exec(line))) {
      if (Number(match[1]) !== current.stripes.length) throw new Error(`dump-tree: stripes out of order: ${line.trim()}`);
      current.stripes.push({ devid: Number(match[2]), offset: safeNumber(match[3]!, 'stripe offset') });
    } else if (/invalid/.test(line)) {
      throw new Error(`dump-tree: ${line.trim()} in the chunk item at ${current.logical}`);
    }
  }
  close();
  if (chunks.length === 0) throw new Error('dump-tree printed no chunk items: not a btrfs chunk tree');
  return chunks.sort((a, b) => a.logical - b.logical);
}

/** From `dump-super`: the filesystem's UUID and the devid of the device whose superblock it is. */
export function parseSuper(output: string): { fsid: string; devid: number } {
  if (!/^magic\s+_BHRfS_M \[match\]/m.test(output)) throw new Error('dump-super: no btrfs superblock (magic does not match)');
  const devid = /^dev_item\.devid\s+(\d+)\s*$/m.exec(output);
  const fsid = /^fsid\s+([0-9a-f-]{36})\s*$/m.exec(output);
  if (!devid || !fsid) throw new Error('dump-super printed no fsid or dev_item.devid');
  return { fsid: fsid[1]!, devid: Number(devid[1]) };
}

/** The chunk holding btrfs logical address `address`, by binary search over sorted chunks. */
export function chunkAt(chunks: readonly BtrfsChunk[], address: number): BtrfsChunk | undefined {
  let low = 0;
  let high = chunks.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const chunk = chunks[middle]!;
    if (address < chunk.logical) high = middle - 1;
    else if (address >= chunk.logical + chunk.length) low = middle + 1;
    else return chunk;
  }
  return undefined;
}
