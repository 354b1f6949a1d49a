// An exFAT volume read from the raw device: directories walked from the root, each file's data
// either one contiguous run (NoFatChain) or a cluster chain through the FAT in use.
import type { PhysicalExtent } from '../../src/shared/plugin-api.js';
import { clustersFor, fileExtents, followChain, runsToExtents, type ChainWalk, type ClusterRun, type Link } from '../vfat/chain.js';
import type { DeviceReader } from '../vfat/device.js';
import { NameIndex } from '../vfat/names.js';
import type { Located, Volume } from '../vfat/request.js';
import { parseExfatBootSector, type ExfatGeometry } from './boot.js';
import {
  ATTR_DIRECTORY,
  expandUpCaseTable,
  foldExfatName,
  parseExfatDirectory,
  upCaseTableChecksum,
  type AllocationBitmapEntry,
  type ExfatDirEntry,
  type UpCaseTableEntry,
} from './directory.js';

// The specification's limits: 2^23 entries of 32 bytes per directory; the up-case table
// uncompressed is 64 Ki characters of 2 bytes.
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;
const MAX_UP_CASE_TABLE_BYTES = 128 * 1024;

type Listing = NameIndex<ExfatDirEntry> | { broken: string };

export function openExfatVolume(device: DeviceReader): ExfatVolume | { notThisFilesystem: string } {
  const geometry = parseExfatBootSector(device.read(0, 512));
  if ('notExfat' in geometry) return { notThisFilesystem: geometry.notExfat };
  return new ExfatVolume(device, geometry);
}

export class ExfatVolume implements Volume {
  readonly geometry: ExfatGeometry;
  /** The volume's up-case table, or null where it is missing or fails its checksum (JavaScript's toUpperCase then). */
  readonly upCase: Uint16Array | null;
  /** The root's Allocation Bitmap entries, or why the root cannot be read. */
  readonly allocationBitmaps: AllocationBitmapEntry[] | { broken: string };
  readonly #device: DeviceReader;
  readonly #listings = new Map<number, Listing>();
  readonly #root: Listing;

  constructor(device: DeviceReader, geometry: ExfatGeometry) {
    this.#device = device;
    this.geometry = geometry;
    // The root holds the up-case table that every name comparison, its own included, goes through.
    const root = this.#readDirectory(this.chain(geometry.rootCluster), Number.MAX_SAFE_INTEGER);
    const listing = 'broken' in root ? null : parseExfatDirectory(root);
    this.upCase = listing?.upCaseTable ? this.#loadUpCaseTable(listing.upCaseTable) : null;
    this.#root = listing ? this.#indexed(listing.entries) : { broken: (root as { broken: string }).broken };
    this.allocationBitmaps = listing ? listing.allocationBitmaps : { broken: (root as { broken: string }).broken };
  }

  locate(components: string[]): Located {
    let listing = this.#root;
    for (const [i, name] of components.entries()) {
      const here = components.slice(0, i).join('/') || '/';
      if ('broken' in listing) return { found: 'broken', error: `directory ${here}: ${listing.broken}` };
      const entry = listing.find(name);
      if (entry === 'ambiguous') return { found: 'broken', error: `directory ${here} has several entries named "${name}" when case is ignored` };
      const isDirectory = entry !== null && (entry.attributes & ATTR_DIRECTORY) !== 0;
      if (entry === null || (!isDirectory && i < components.length - 1)) {
        return { found: 'nothing', missing: components.slice(0, i + 1).join('/') };
      }
      if (entry.damaged !== null) return { found: 'broken', error: `${components.slice(0, i + 1).join('/')}: ${entry.damaged}` };
      if (i === components.length - 1) return isDirectory ? { found: 'directory' } : this.#file(entry);
      listing = this.#listing(entry);
    }
    return { found: 'directory' };
  }

  /** What the FAT in use says follows `cluster`. */
  next = (cluster: number): Link => {
    const value = this.#device.u32(this.geometry.fatOffset + cluster * 4);
    if (value === 0) return 'free';
    if (value === 0xffffffff) return 'end';
    if (value === 0xfffffff7) return 'bad';
    if (value >= 0xfffffff8) return 'reserved'; // media descriptor values: never a link
    return value;
  };

  chain(first: number): ChainWalk {
    return followChain(first, this.next, this.geometry.lastCluster);
  }

  /** The clusters holding `length` bytes from `first`: consecutive when NoFatChain is set, else the chain. */
  #runs(entry: ExfatDirEntry): ChainWalk {
    if (!entry.noFatChain) return this.chain(entry.firstCluster);
    const count = clustersFor(entry.dataLength, this.geometry.clusterSize);
    const last = entry.firstCluster + count - 1;
    if (entry.firstCluster < 2 || last > this.geometry.lastCluster) {
      return { broken: `its contiguous clusters ${entry.firstCluster}..${last} are not all inside the volume (last cluster ${this.geometry.lastCluster})` };
    }
    return { runs: [{ first: entry.firstCluster, count }], clusters: count };
  }

  #file(entry: ExfatDirEntry): Located {
    if (entry.dataLength === 0) return { found: 'file', size: 0, extents: [] };
    if (entry.firstCluster === 0) return { found: 'broken', error: `broken cluster chain: the file has ${entry.dataLength} bytes but no first cluster` };
    const mapped = fileExtents(this.#runs(entry), this.geometry, entry.dataLength);
    if ('broken' in mapped) return { found: 'broken', error: mapped.broken };
    if (entry.validDataLength >= entry.dataLength) return { found: 'file', size: entry.dataLength, ...mapped };
    const unwritten = `bytes ${entry.validDataLength} to ${entry.dataLength} were never written (past ValidDataLength): they read as zeros and are not on the device`;
    return {
      found: 'file',
      size: entry.dataLength,
      extents: clip(mapped.extents, entry.validDataLength),
      note: mapped.note === undefined ? unwritten : `${unwritten}; ${mapped.note}`,
    };
  }

  #listing(entry: ExfatDirEntry): Listing {
    let listing = this.#listings.get(entry.firstCluster);
    if (listing === undefined) {
      const bytes = entry.firstCluster === 0 ? { broken: 'the directory has no first cluster' } : this.#readDirectory(this.#runs(entry), entry.dataLength);
      listing = 'broken' in bytes ? bytes : this.#indexed(parseExfatDirectory(bytes).entries);
      this.#listings.set(entry.firstCluster, listing);
    }
    return listing;
  }

  #indexed(entries: ExfatDirEntry[]): NameIndex<ExfatDirEntry> {
    return new NameIndex(entries, (e) => [e.name], (name) => foldExfatName(name, this.upCase));
  }

  #readDirectory(walk: ChainWalk, length: number): Buffer | { broken: string } {
    if ('broken' in walk) return walk;
    const pieces = runsToExtents(walk.runs, this.geometry, Math.min(length, MAX_DIRECTORY_BYTES));
    return Buffer.concat(pieces.map((piece) => this.#device.read(piece.physical, piece.length)));
  }

  // Every driver reads the table as consecutive clusters from its first one; so does this.
  #loadUpCaseTable(table: UpCaseTableEntry): Uint16Array | null {
    if (table.dataLength === 0 || table.dataLength > MAX_UP_CASE_TABLE_BYTES) return null;
    const run: ClusterRun = { first: table.firstCluster, count: clustersFor(table.dataLength, this.geometry.clusterSize) };
    if (run.first < 2 || run.first + run.count - 1 > this.geometry.lastCluster) return null;
    const [extent] = runsToExtents([run], this.geometry, table.dataLength);
    const bytes = this.#device.read(extent!.physical, extent!.length);
    return upCaseTableChecksum(bytes) === table.checksum ? expandUpCaseTable(bytes) : null;
  }
}

function clip(extents: PhysicalExtent[], length: number): PhysicalExtent[] {
  return extents.filter((e) => e.logical < length).map((e) => ({ ...e, length: Math.min(e.length, length - e.logical) }));
}
