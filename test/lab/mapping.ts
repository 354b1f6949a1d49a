// Turning tool output into physical extents. Parsers are pure so they can be reasoned about
// (and tested) without a filesystem; the lab decides when each one may run.
import { open } from 'node:fs/promises';
import { parseFilefrag, type FiemapFile } from '../../src/shared/fiemap.js';
import type { Extent } from './filesystems.js';
import { run } from './host.js';

export async function fiemap(mnt: string, rels: string[]): Promise<Map<string, FiemapFile>> {
  if (rels.length === 0) return new Map();
  const { stdout } = await run('filefrag', ['-v', '-b1', '--', ...rels], { cwd: mnt });
  const files = parseFilefrag(stdout, rels);
  const unreported = rels.filter((r) => !files.has(r));
  if (unreported.length > 0) throw new Error(`filefrag said nothing about ${unreported.join(', ')}`);
  for (const [rel, file] of files) {
    if (file.notOnDisk.length > 0) throw new Error(`${rel}: extents not on disk yet (${file.notOnDisk.join('; ')})`);
  }
  return files;
}

export interface BtrfsChunk {
  logical: number;
  length: number;
  /** Device offset of stripe 0. */
  physical: number;
  type: string;
  stripes: number;
}

export function parseChunkTree(output: string): BtrfsChunk[] {
  return output
    .split(/\n\s*item \d+ key /)
    .filter((item) => item.includes('CHUNK_ITEM'))
    .map((item) => {
      const field = (re: RegExp): string => {
        const match = re.exec(item);
        if (!match?.[1]) throw new Error(`unexpected chunk item from dump-tree: ${item.slice(0, 200)}`);
        return match[1];
      };
      return {
        logical: Number(field(/CHUNK_ITEM (\d+)\)/)),
        length: Number(field(/\blength (\d+)/)),
        physical: Number(field(/stripe 0 devid \d+ offset (\d+)/)),
        type: field(/\btype (\S+)/),
        stripes: Number(field(/num_stripes (\d+)/)),
      };
    });
}

export async function readBtrfsChunks(img: string): Promise<BtrfsChunk[]> {
  const { stdout } = await run('btrfs', ['inspect-internal', 'dump-tree', '-t', 'chunk', img]);
  return parseChunkTree(stdout);
}

/**
 * btrfs FIEMAP "physical" is a btrfs logical address. Each chunk maps its own range to a device
 * offset, and one FIEMAP extent may run across a chunk boundary, so extents are split there.
 */
export function btrfsToDevice(extents: Extent[], chunks: BtrfsChunk[]): Extent[] {
  const out: Extent[] = [];
  for (const extent of extents) {
    let done = 0;
    while (done < extent.length) {
      const address = extent.physical + done;
      const chunk = chunks.find((c) => c.logical <= address && address < c.logical + c.length);
      if (!chunk) throw new Error(`btrfs address ${address} is in no chunk`);
      // With two copies (DUP) or stripes, a single flip would be repaired or land in the wrong place.
      if (chunk.stripes !== 1) throw new Error(`btrfs chunk at ${chunk.logical} is ${chunk.type}: only single-copy data can be mapped`);
      const take = Math.min(extent.length - done, chunk.logical + chunk.length - address);
      out.push({ logical: extent.logical + done, physical: chunk.physical + (address - chunk.logical), length: take });
      done += take;
    }
  }
  return out;
}

/** Unnamed $DATA runlists from `ntfsinfo -F PATH -v`. Holes (sparse runs) have no LCN and are skipped. */
export function parseNtfsRunlist(output: string, clusterSize: number): Extent[] {
  const extents: Extent[] = [];
  let inData = false;
  let unnamed = false;
  let inRunlist = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('Dumping attribute')) {
      inData = line.includes('$DATA');
      unnamed = false;
      inRunlist = false;
    } else if (/^\s*Name length:\s*0\b/.test(line)) {
      unnamed = true;
    } else if (/^\s*Runlist:/.test(line)) {
      inRunlist = inData && unnamed;
    } else if (inRunlist) {
      const row = /^\s*0x([0-9a-f]+)\s+(\S+)\s+0x([0-9a-f]+)\s*$/i.exec(line);
      if (!row) {
        inRunlist = false;
        continue;
      }
      const [, vcn = '', lcn = '', count = ''] = row;
      if (!/^0x[0-9a-f]+$/i.test(lcn)) continue;
      extents.push({ logical: parseInt(vcn, 16) * clusterSize, physical: parseInt(lcn, 16) * clusterSize, length: parseInt(count, 16) * clusterSize });
    }
  }
  return extents.sort((a, b) => a.logical - b.logical);
}

export async function readBootSector(img: string): Promise<Buffer> {
  const handle = await open(img, 'r');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, 0);
    return boot;
  } finally {
    await handle.close();
  }
}

export function ntfsClusterSize(boot: Buffer): number {
  if (boot.toString('latin1', 3, 11) !== 'NTFS    ') throw new Error('not an NTFS boot sector');
  // Values above 0x80 encode 2^(256 - v) sectors per cluster, for clusters of 128 KiB and up.
  const perCluster = boot[13]!;
  return boot.readUInt16LE(11) * (perCluster > 0x80 ? 2 ** (256 - perCluster) : perCluster);
}

/** ntfsinfo reads the image file itself: no loop device, but ntfs-3g must not have it mounted. */
export async function ntfsExtents(img: string, rels: string[]): Promise<Map<string, Extent[]>> {
  const clusterSize = ntfsClusterSize(await readBootSector(img));
  const map = new Map<string, Extent[]>();
  for (const rel of rels) {
    const { stdout } = await run('ntfsinfo', ['-F', `/${rel}`, '-v', img]);
    map.set(rel, parseNtfsRunlist(stdout, clusterSize));
  }
  return map;
}
