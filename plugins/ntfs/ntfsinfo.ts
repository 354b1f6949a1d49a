// Reading `ntfsinfo -f -t -v -i INODE DEVICE` (ntfsprogs, from the ntfs-3g project) and turning the
// file's runlist into device byte extents. Pure: the outputs recorded in testdata/ test it.
import type { PhysicalExtent } from '../../src/shared/plugin-api.js';

/** One run of a runlist, in clusters. `lcn` is null for a hole (sparse, or compressed away). */
export interface NtfsRun {
  vcn: number;
  lcn: number | null;
  clusters: number;
}

/** The unnamed $DATA attribute (the file's content), gathered from every MFT record holding a piece of it. */
export interface NtfsDataStream {
  resident: boolean;
  /** Attribute flags of all its records OR-ed: 0x00ff compressed, 0x4000 encrypted, 0x8000 sparse. */
  flags: number;
  dataSize: number | null;
  initializedSize: number | null;
  runs: NtfsRun[];
}

export interface NtfsInode {
  mftRecord: number;
  /** null when the inode has no unnamed $DATA (a directory, or a metadata file). */
  data: NtfsDataStream | null;
  /** The reparse tag as ntfsinfo names it (`0x80000017 (Wof compressed)`), for a reparse point. */
  reparseTag: string | null;
}

const ATTR_COMPRESSION_MASK = 0x00ff;
const ATTR_IS_ENCRYPTED = 0x4000;

interface AttributeSection {
  type: string;
  named: boolean;
  resident: boolean | null;
  flags: number;
  lowestVcn: number;
  dataSize: number | null;
  initializedSize: number | null;
  hasRunlist: boolean;
  runs: NtfsRun[];
  reparseTag: string | null;
}

/**
 * Parses one inode dump. ntfsinfo exits 0 even when it could not load the inode, so success is
 * judged from the text: the dump must start with "Dumping Inode" and end with "End of inode reached".
 * Throws with a reason a user can read when the output is not a complete dump.
 */
export function parseNtfsinfo(stdout: string, stderr = ''): NtfsInode {
  const inode = /^Dumping Inode (\d+) \(0x[0-9a-f]+\)$/m.exec(stdout);
  if (!inode) throw new Error(`ntfsinfo dumped no inode: ${lastComplaint(stderr) ?? 'it printed nothing'}`);
  if (!/^End of inode reached$/m.test(stdout)) throw new Error('ntfsinfo output ends before "End of inode reached" (cut short)');

  const sections: AttributeSection[] = [];
  let current: AttributeSection | undefined;
  let inRunlist = false;
  for (const line of stdout.split('\n')) {
    const header = /^Dumping attribute (\$\w+) \(0x[0-9a-f]+\) from mft record \d+/.exec(line);
    if (header) {
      current = { type: header[1]!, named: false, resident: null, flags: 0, lowestVcn: 0, dataSize: null, initializedSize: null, hasRunlist: false, runs: [], reparseTag: null };
      sections.push(current);
      inRunlist = false;
      continue;
    }
    if (!current) continue;
    if (inRunlist) {
      const row = /^\t\t\t0x([0-9a-f]+)\t+(0x[0-9a-f]+|<[A-Z_]+>)\t+0x([0-9a-f]+)$/.exec(line);
      if (row) {
        const run = parseRun(row[1]!, row[2]!, row[3]!);
        if (run) current.runs.push(run);
        continue;
      }
      if (line.startsWith('\t\t\t0x')) throw new Error(`ntfsinfo printed a runlist row not understood here: ${line.trim()}`);
      inRunlist = false;
    }
    // Fields of the attribute header are indented by exactly one tab; the attribute list's own
    // entries ("\t\tName length:") are indented by two and must not be read as the header's.
    let field: RegExpExecArray | null;
    if ((field = /^\tResident:\s+(Yes|No)$/.exec(line))) current.resident = field[1] === 'Yes';
    else if (/^\tAttribute name:/.test(line)) current.named = true;
    else if ((field = /^\tName length:\s+(\d+)/.exec(line))) current.named ||= field[1] !== '0';
    else if ((field = /^\tAttribute flags:\s+0x([0-9a-f]+)$/.exec(line))) current.flags = parseInt(field[1]!, 16);
    else if ((field = /^\tLowest VCN:?\s+(\d+)/.exec(line))) current.lowestVcn = Number(field[1]);
    else if ((field = /^\tData size:\s+(\d+)/.exec(line))) current.dataSize = Number(field[1]);
    else if ((field = /^\tInitialized size:\s+(\d+)/.exec(line))) current.initializedSize = Number(field[1]);
    else if ((field = /^\tReparse tag:\s+(.+)$/.exec(line))) current.reparseTag = field[1]!.trim();
    else if (/^\tRunlist:/.test(line)) current.hasRunlist = inRunlist = true;
  }

  const reparse = sections.find((s) => s.type === '$REPARSE_POINT');
  return {
    mftRecord: Number(inode[1]),
    data: gatherData(sections.filter((s) => s.type === '$DATA' && !s.named)),
    reparseTag: reparse ? (reparse.reparseTag ?? 'unknown tag') : null,
  };
}

function parseRun(vcn: string, lcn: string, clusters: string): NtfsRun | null {
  // A record holding a later piece of the runlist starts with the VCNs it does not map itself.
  if (lcn === '<RL_NOT_MAPPED>') return null;
  if (lcn === '<HOLE>') return { vcn: parseInt(vcn, 16), lcn: null, clusters: parseInt(clusters, 16) };
  if (lcn.startsWith('<')) throw new Error(`ntfsinfo could not decode the runlist: ${lcn} at VCN 0x${vcn}`);
  return { vcn: parseInt(vcn, 16), lcn: parseInt(lcn, 16), clusters: parseInt(clusters, 16) };
}

function gatherData(records: AttributeSection[]): NtfsDataStream | null {
  if (records.length === 0) return null;
  const first = records.find((r) => r.lowestVcn === 0) ?? records[0]!;
  for (const record of records) {
    if (record.resident === false && !record.hasRunlist) throw new Error('ntfsinfo printed no runlist for the $DATA attribute (run without -v?)');
  }
  return {
    resident: records.some((r) => r.resident === true),
    flags: records.reduce((flags, r) => flags | r.flags, 0),
    dataSize: first.dataSize,
    initializedSize: first.initializedSize,
    runs: records.flatMap((r) => r.runs).sort((a, b) => a.vcn - b.vcn),
  };
}

function lastComplaint(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && l !== 'Forced to continue.');
  return lines.at(-1) ?? null;
}

export type NtfsFileMapping = { extents: PhysicalExtent[]; note?: string } | { error: string };

/**
 * Where the file's bytes are on the device: each run's clusters × the cluster size, as byte
 * offsets from the start of the volume. Holes have no place; bytes past the initialized size
 * read as zeros and are not on the device either, so extents stop there.
 */
export function ntfsMapping(inode: NtfsInode, clusterSize: number): NtfsFileMapping {
  if (inode.reparseTag !== null) return { error: `a reparse point (${inode.reparseTag}): its bytes are not in its own data runs` };
  const data = inode.data;
  if (!data) return { error: 'has no unnamed $DATA attribute (not a regular file)' };
  if (data.flags & ATTR_IS_ENCRYPTED) return { error: 'encrypted (EFS): the clusters hold ciphertext, not the file’s bytes' };
  if (data.flags & ATTR_COMPRESSION_MASK) return { error: 'NTFS-compressed: the clusters hold compressed data, not the file’s bytes' };
  if (data.dataSize === null) return { error: 'ntfsinfo gave no data size for $DATA' };
  if (data.dataSize === 0) return { extents: [], note: 'empty file' };
  if (data.resident) return { extents: [], note: 'resident in the MFT record' };

  // The runs of all records must tile the file from VCN 0, or a record was left out.
  let nextVcn = 0;
  for (const run of data.runs) {
    if (run.vcn !== nextVcn) return { error: `the runlist jumps from VCN ${nextVcn} to ${run.vcn} (a piece of it is missing)` };
    nextVcn += run.clusters;
  }
  if (nextVcn * clusterSize < data.dataSize) {
    return { error: `the runlist covers ${nextVcn * clusterSize} bytes of a ${data.dataSize}-byte file` };
  }

  const end = Math.min(data.dataSize, data.initializedSize ?? data.dataSize);
  const extents: PhysicalExtent[] = [];
  let holeBytes = 0;
  for (const run of data.runs) {
    const logical = run.vcn * clusterSize;
    if (logical >= end) break;
    const length = Math.min(run.clusters * clusterSize, end - logical);
    if (run.lcn === null) {
      holeBytes += length;
      continue;
    }
    const physical = run.lcn * clusterSize;
    if (!Number.isSafeInteger(physical + length)) return { error: `LCN ${run.lcn} is beyond what can be given as a byte offset` };
    const last = extents.at(-1);
    // Adjacent runs stored in different MFT records can continue each other on the disk.
    if (last && last.logical + last.length === logical && last.physical + last.length === physical) last.length += length;
    else extents.push({ logical, physical, length });
  }

  const notes: string[] = [];
  if (holeBytes > 0) notes.push(`sparse: ${holeBytes} bytes are holes, read as zeros, with no place on the device`);
  if (end < data.dataSize) notes.push(`bytes from ${end} on are past the initialized size: read as zeros, not from the device`);
  return notes.length > 0 ? { extents, note: notes.join('; ') } : { extents };
}
