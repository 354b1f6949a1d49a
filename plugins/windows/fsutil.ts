// Reading fsutil. Pure: recorded outputs in testdata/ test every branch.
//
// `fsutil file queryextents FILE` prints one line per extent, numbers in hex:
//   VCN: 0x0        Clusters: 0x5        LCN: 0xce2e
// VCN is the cluster's place in the file, LCN its place on the volume (cluster 0 is the volume's
// first byte on NTFS), Clusters the run length. LCN -1 (0xffffffffffffffff) is a range with no
// clusters: a sparse hole, or the tail of a compression unit. The labels are matched loosely
// (three `label: 0xHEX` fields) in case a Windows language translates them.
import type { PhysicalExtent } from '../../src/shared/plugin-api.js';

export interface QueryExtent {
  vcn: bigint;
  clusters: bigint;
  /** null: no clusters behind this range (sparse hole or compressed tail). */
  lcn: bigint | null;
}

export type QueryExtentsResult =
  | { kind: 'extents'; extents: QueryExtent[] }
  /** No clusters of its own: FSCTL_GET_RETRIEVAL_POINTERS answers end-of-file for data resident in the MFT record. */
  | { kind: 'resident' }
  | { kind: 'error'; message: string; accessDenied: boolean; needsAdmin: boolean };

const EXTENT_LINE = /^\s*\S+\s*:\s*0x([0-9a-f]+)\s+\S+\s*:\s*0x([0-9a-f]+)\s+\S+\s*:\s*0x([0-9a-f]+)\b/i;
const NO_CLUSTERS = 0xffffffffffffffffn;
// STATUS_END_OF_FILE becomes ERROR_HANDLE_EOF, "Reached the end of the file." in English.
const END_OF_FILE = /end of (the )?file/i;
const NEEDS_ADMIN = /requires that you have administrative privileges|requires administrative privileges/i;
const ACCESS_DENIED = /access is denied|access denied/i;

export function parseQueryExtents(output: string, exitCode: number | null): QueryExtentsResult {
  const text = output.replace(/\r/g, '').trim();
  const extents: QueryExtent[] = [];
  for (const line of text.split('\n')) {
    const m = EXTENT_LINE.exec(line);
    if (!m) continue;
    const lcn = BigInt(`0x${m[3]}`);
    extents.push({ vcn: BigInt(`0x${m[1]}`), clusters: BigInt(`0x${m[2]}`), lcn: lcn === NO_CLUSTERS ? null : lcn });
  }
  const error = (message: string): QueryExtentsResult => ({ kind: 'error', message, accessDenied: ACCESS_DENIED.test(message), needsAdmin: NEEDS_ADMIN.test(message) });
  if (NEEDS_ADMIN.test(text)) return error(firstLines(text));
  if (extents.length && (exitCode === 0 || exitCode === null)) return { kind: 'extents', extents };
  if (END_OF_FILE.test(text) && !extents.length) return { kind: 'resident' };
  if (exitCode !== 0 && exitCode !== null) return error(text ? firstLines(text) : `fsutil exited with code ${exitCode} and printed nothing`);
  if (!text) return { kind: 'resident' };
  return error(`fsutil printed no extent lines: ${firstLines(text)}`);
}

function firstLines(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const joined = lines.slice(0, 3).join(' ');
  return joined.length > 300 ? joined.slice(0, 300) + '…' : joined;
}

export interface NtfsInfo {
  bytesPerCluster: number | null;
  bytesPerSector: number | null;
  /** `0x…` as printed: the 64-bit NTFS serial Linux's blkid shows as the filesystem UUID. */
  serialNumber: string | null;
}

/** `fsutil fsinfo ntfsinfo C:`, old style (`Bytes Per Cluster :  4096`) and new (`Total Clusters : 121,819,884  (464.7 GB)`). */
export function parseNtfsInfo(output: string): NtfsInfo {
  const field = (label: RegExp): string | null => {
    for (const line of output.replace(/\r/g, '').split('\n')) {
      const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
      if (m && label.test(m[1]!)) return m[2]!;
    }
    return null;
  };
  const decimal = (raw: string | null): number | null => {
    const m = raw ? /^([\d,.\u00a0 ]+?)(\s*\(.*\))?$/.exec(raw) : null;
    if (!m) return null;
    const n = Number(m[1]!.replace(/[,.\u00a0 ]/g, ''));
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  };
  const serial = field(/^NTFS Volume Serial Number$/i);
  return {
    bytesPerCluster: decimal(field(/^Bytes Per Cluster$/i)),
    bytesPerSector: decimal(field(/^Bytes Per Sector$/i)),
    serialNumber: serial && /^0x[0-9a-f]+$/i.test(serial) ? serial.toLowerCase() : null,
  };
}

export interface PlacedExtents {
  extents: PhysicalExtent[];
  /** Some range of the file has no clusters (sparse or compressed tail). */
  holes: boolean;
}

/**
 * Extents in bytes. `base` is added to every physical offset: 0 for offsets on the volume
 * (`\\.\C:`), the partition's offset for offsets on the whole disk. Ranges past the end of the
 * file are cut off: the last cluster's slack holds none of the file's bytes.
 */
export function placeExtents(extents: QueryExtent[], bytesPerCluster: number, fileSize: number, base = 0): PlacedExtents {
  const bpc = BigInt(bytesPerCluster);
  const size = BigInt(fileSize);
  const out: PhysicalExtent[] = [];
  let holes = false;
  for (const e of extents) {
    const logical = e.vcn * bpc;
    if (logical >= size) continue;
    if (e.lcn === null) {
      holes = true;
      continue;
    }
    const length = e.clusters * bpc < size - logical ? e.clusters * bpc : size - logical;
    out.push({ logical: safe(logical), physical: safe(BigInt(base) + e.lcn * bpc), length: safe(length) });
  }
  return { extents: out, holes };
}

function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`offset ${n} is past 2^53 bytes`);
  return Number(n);
}
