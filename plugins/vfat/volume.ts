// A FAT12/16/32 volume read from the raw device: directories walked from the root, files'
// cluster chains followed through the FAT in use.
import { followChain, fileExtents, type ChainWalk, type Link } from './chain.js';
import { parseFatBootSector, type FatGeometry } from './boot.js';
import type { DeviceReader } from './device.js';
import { ATTR_DIRECTORY, foldFatName, parseFatDirectory, type FatDirEntry } from './directory.js';
import { NameIndex } from './names.js';
import type { Located, Volume } from './request.js';

// fatgen103: no directory holds more than 65536 entries; a longer chain is damage, not entries.
const MAX_DIRECTORY_BYTES = 65536 * 32;
const END_OF_CHAIN = { FAT12: 0xff8, FAT16: 0xfff8, FAT32: 0x0ffffff8 } as const;

type Listing = NameIndex<FatDirEntry> | { broken: string };

export function openFatVolume(device: DeviceReader): FatVolume | { notThisFilesystem: string } {
  const geometry = parseFatBootSector(device.read(0, 512));
  if ('notFat' in geometry) return { notThisFilesystem: geometry.notFat };
  return new FatVolume(device, geometry);
}

export class FatVolume implements Volume {
  readonly geometry: FatGeometry;
  readonly #device: DeviceReader;
  readonly #listings = new Map<number, Listing>();

  constructor(device: DeviceReader, geometry: FatGeometry) {
    this.#device = device;
    this.geometry = geometry;
  }

  locate(components: string[]): Located {
    let listing = this.#listing('offset' in this.geometry.root ? 0 : this.geometry.root.cluster);
    for (const [i, name] of components.entries()) {
      const here = components.slice(0, i).join('/') || '/';
      if ('broken' in listing) return { found: 'broken', error: `directory ${here}: ${listing.broken}` };
      const entry = listing.find(name);
      if (entry === 'ambiguous') return { found: 'broken', error: `directory ${here} has several entries named "${name}" when case is ignored` };
      const isDirectory = entry !== null && (entry.attributes & ATTR_DIRECTORY) !== 0;
      if (entry === null || (!isDirectory && i < components.length - 1)) {
        return { found: 'nothing', missing: components.slice(0, i + 1).join('/') };
      }
      if (i === components.length - 1) return isDirectory ? { found: 'directory' } : this.#file(entry);
      if (entry.firstCluster === 0) return { found: 'broken', error: `directory ${components.slice(0, i + 1).join('/')} has no first cluster` };
      listing = this.#listing(entry.firstCluster);
    }
    return { found: 'directory' };
  }

  /** What the FAT in use says follows `cluster`. */
  next = (cluster: number): Link => {
    const { type, fatOffset } = this.geometry;
    let value: number;
    if (type === 'FAT12') {
      const pair = this.#device.u16(fatOffset + cluster + (cluster >> 1));
      value = cluster & 1 ? pair >> 4 : pair & 0x0fff;
    } else if (type === 'FAT16') {
      value = this.#device.u16(fatOffset + cluster * 2);
    } else {
      value = this.#device.u32(fatOffset + cluster * 4) & 0x0fffffff; // the top 4 bits are reserved
    }
    const end = END_OF_CHAIN[type];
    if (value === 0) return 'free';
    if (value >= end) return 'end';
    if (value === end - 1) return 'bad';
    if (value >= end - 8) return 'reserved';
    return value;
  };

  chain(first: number): ChainWalk {
    return followChain(first, this.next, this.geometry.lastCluster);
  }

  #file(entry: FatDirEntry): Located {
    if (entry.size === 0) return { found: 'file', size: 0, extents: [] };
    if (entry.firstCluster === 0) return { found: 'broken', error: `broken cluster chain: the file has ${entry.size} bytes but no first cluster` };
    const mapped = fileExtents(this.chain(entry.firstCluster), this.geometry, entry.size);
    if ('broken' in mapped) return { found: 'broken', error: mapped.broken };
    return { found: 'file', size: entry.size, ...mapped };
  }

  // Key 0 is the fixed root directory of FAT12/16; any other key is a directory's first cluster.
  #listing(key: number): Listing {
    let listing = this.#listings.get(key);
    if (listing === undefined) {
      listing = this.#readListing(key);
      this.#listings.set(key, listing);
    }
    return listing;
  }

  #readListing(key: number): Listing {
    const { root, type } = this.geometry;
    if (key === 0 && 'offset' in root) return indexed(parseFatDirectory(this.#device.read(root.offset, root.length), false));
    const walk = this.chain(key);
    if ('broken' in walk) return walk;
    const pieces: Buffer[] = [];
    let bytes = 0;
    for (const run of walk.runs) {
      if (bytes >= MAX_DIRECTORY_BYTES) break;
      const length = Math.min(run.count * this.geometry.clusterSize, MAX_DIRECTORY_BYTES - bytes);
      pieces.push(this.#device.read(this.geometry.heapOffset + (run.first - 2) * this.geometry.clusterSize, length));
      bytes += length;
    }
    return indexed(parseFatDirectory(Buffer.concat(pieces), type === 'FAT32'));
  }
}

function indexed(entries: FatDirEntry[]): NameIndex<FatDirEntry> {
  return new NameIndex(entries, (e) => (e.longName === null ? [e.shortName] : [e.longName, e.shortName]), foldFatName);
}
