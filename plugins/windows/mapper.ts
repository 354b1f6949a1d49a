// The NTFS sector mapper on Windows: `fsutil file queryextents` per file, batched in PowerShell
// processes (see batch.ts), LCN × bytes per cluster from `fsutil fsinfo ntfsinfo` (asked once per
// request, in the first batch).
//
// Which device the offsets are on: MapRequest.device. A volume (`\\.\C:`, `C:`,
// `\\?\Volume{GUID}`) gets offsets from the volume's first byte, which is where LCN 0 is; reading
// `\\.\C:` at `physical` gives the file's bytes (through BitLocker too). A whole disk
// (`\\.\PhysicalDrive1`) gets the partition's offset added, found by Get-Partition in the same
// process; with BitLocker those disk bytes are ciphertext.
import type { FileMapping, MapRequest, MapResult, PluginContext, SectorMapper } from '../../src/shared/plugin-api.js';
import { batchScript, parseBatchOutput, type BatchFile, type BatchOutput, type BatchPlan } from './batch.js';
import { parseNtfsInfo, parseQueryExtents, placeExtents } from './fsutil.js';
import { powershellArgs, powershellBinary } from './powershell.js';
import { normalizeMountPath, volumeGuid } from './volumes.js';

const DEFAULT_FILES_PER_BATCH = 200;
const DEFAULT_PARALLEL_BATCHES = 2;
// CreateProcess takes at most 32767 characters; the base64 file list gets most of them.
const MAX_PAYLOAD_BYTES = 18_000;
// Resident data must fit in one MFT record, which is at most 4 KiB.
const MAX_RESIDENT_BYTES = 4096;

const ATTR = { directory: 0x10, reparsePoint: 0x400, compressed: 0x800, offline: 0x1000, encrypted: 0x4000, recallOnOpen: 0x40000, recallOnDataAccess: 0x400000 };

type Target = { kind: 'volume' } | { kind: 'disk'; diskNumber: number };

export function deviceTarget(device: string): Target | { kind: 'bad'; reason: string } {
  const d = device.trim();
  if (/^(\\\\[.?]\\)?[A-Za-z]:\\?$/.test(d) || volumeGuid(d)) return { kind: 'volume' };
  const disk = /^\\\\[.?]\\PhysicalDrive(\d+)$/i.exec(d);
  if (disk) return { kind: 'disk', diskNumber: Number(disk[1]) };
  if (/^(\\\\|\/\/)[^.?\\/]/.test(d)) return { kind: 'bad', reason: `${d} is a network share: its clusters are on the server's disks` };
  return { kind: 'bad', reason: `${d} is neither a volume (\\\\.\\C:, \\\\?\\Volume{…}) nor a disk (\\\\.\\PhysicalDriveN)` };
}

/** `C:\` → `C:` (fsutil's form); a folder mount keeps its path. */
function volumeRoot(mountPoint: string): string {
  const mp = normalizeMountPath(mountPoint);
  return /^[A-Z]:\\$/.test(mp) ? mp.slice(0, 2) : mp + '\\';
}

function underMount(path: string, mountPoint: string): boolean {
  const mp = normalizeMountPath(mountPoint).toLowerCase();
  const p = path.replace(/\//g, '\\').toLowerCase();
  return mp.endsWith('\\') ? p.startsWith(mp) && p.length > mp.length : p.startsWith(mp + '\\');
}

export function planBatches(files: string[], volume: string, partitionAccessPath: string | null, filesPerBatch: number): BatchPlan[] {
  const plans: BatchPlan[] = [];
  let current: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (!current.length) return;
    plans.push({ files: current, volumeRoot: plans.length ? null : volume, partitionAccessPath: plans.length ? null : partitionAccessPath });
    current = [];
    bytes = 0;
  };
  for (const file of files) {
    const size = Buffer.byteLength(file, 'utf8') + 1;
    if (current.length >= filesPerBatch || (current.length && bytes + size > MAX_PAYLOAD_BYTES)) flush();
    current.push(file);
    bytes += size;
  }
  flush();
  return plans;
}

interface Volume {
  bytesPerCluster: number;
  base: number;
}

export const ntfsMapper: SectorMapper = {
  async map(request: MapRequest, context: PluginContext): Promise<MapResult> {
    if (request.fsType !== 'ntfs') return { available: false, reason: `fsutil file queryextents is used here for NTFS only, not ${request.fsType}` };
    const target = deviceTarget(request.device);
    if (target.kind === 'bad') return { available: false, reason: target.reason };

    const results = new Map<string, FileMapping>();
    const candidates: string[] = [];
    for (const path of new Set(request.files)) {
      if (/[\r\n<>]/.test(path)) results.set(path, { path, error: 'not a Windows path (it holds a newline, < or >)' });
      else if (!underMount(path, request.mountPoint)) results.set(path, { path, error: `not under the mount point ${request.mountPoint}` });
      else candidates.push(path);
    }
    const root = normalizeMountPath(request.mountPoint);
    const plans = planBatches(candidates, volumeRoot(request.mountPoint), target.kind === 'disk' ? (root.endsWith('\\') ? root : root + '\\') : null, setting(context, 'filesPerBatch', DEFAULT_FILES_PER_BATCH));

    if (plans.length) {
      const first = await runBatch(plans[0]!, request, context);
      if (first.admin === false) {
        return { available: false, reason: 'fsutil file queryextents runs only for Administrators: Bitarr is not running elevated', needs: 'Administrator' };
      }
      const volume = volumeFacts(first, target);
      if ('reason' in volume) return { available: false, reason: volume.reason };
      collect(plans[0]!, first, volume, results);
      const rest = plans.slice(1);
      const parallel = Math.max(1, setting(context, 'parallelBatches', DEFAULT_PARALLEL_BATCHES));
      for (let i = 0; i < rest.length; i += parallel) {
        const group = rest.slice(i, i + parallel);
        const outputs = await Promise.all(group.map((plan) => runBatch(plan, request, context)));
        group.forEach((plan, j) => collect(plan, outputs[j]!, volume, results));
      }
    }
    return { available: true, files: request.files.map((path) => results.get(path) ?? { path, error: 'not mapped' }) };
  },
};

/** What a batch printed, or why it printed nothing usable (the process failed or timed out). */
type BatchRun = BatchOutput & { failure: string | null };

const EMPTY: BatchOutput = { admin: null, ntfsinfo: null, allocationUnit: null, partition: null, files: new Map(), complete: false };

async function runBatch(plan: BatchPlan, request: MapRequest, context: PluginContext): Promise<BatchRun> {
  request.signal?.throwIfAborted();
  try {
    const { stdout } = await context.run(powershellBinary(context), powershellArgs(batchScript(plan)), {
      timeoutMs: 30_000 + plan.files.length * 1_000,
      signal: request.signal,
    });
    return { ...parseBatchOutput(stdout), failure: null };
  } catch (error) {
    if (request.signal?.aborted) throw error;
    context.log(`a batch of ${plan.files.length} file(s) failed: ${(error as Error).message}`);
    return { ...EMPTY, files: new Map(), failure: (error as Error).message };
  }
}

function volumeFacts(first: BatchRun, target: Target): Volume | { reason: string } {
  if (first.failure) return { reason: `PowerShell could not run the mapping batch: ${first.failure}` };
  const info = first.ntfsinfo ? parseNtfsInfo(first.ntfsinfo.output) : null;
  const bytesPerCluster = info?.bytesPerCluster ?? first.allocationUnit;
  if (!bytesPerCluster) {
    const said = first.ntfsinfo?.output.trim().split('\n')[0] ?? 'nothing';
    return { reason: `the volume's cluster size is unknown: fsutil fsinfo ntfsinfo gave no Bytes Per Cluster (it said: ${said})` };
  }
  if (target.kind === 'volume') return { bytesPerCluster, base: 0 };
  if (!first.partition) return { reason: 'Get-Partition did not name the partition holding this volume, so offsets on the whole disk cannot be known' };
  if (first.partition.diskNumber !== target.diskNumber) {
    return { reason: `the volume is on disk ${first.partition.diskNumber}, not on PhysicalDrive${target.diskNumber}` };
  }
  return { bytesPerCluster, base: first.partition.offset };
}

function collect(plan: BatchPlan, output: BatchRun, volume: Volume, results: Map<string, FileMapping>): void {
  plan.files.forEach((path, i) => results.set(path, fileMapping(path, output.files.get(i), volume, output.failure ?? (output.complete ? null : 'the PowerShell batch ended early'))));
}

/** One file's answer → its mapping or its own error. Exported for the tests. */
export function fileMapping(path: string, file: BatchFile | undefined, volume: Volume, batchProblem: string | null): FileMapping {
  if (!file) return { path, error: batchProblem ? `not mapped: ${batchProblem}` : 'not mapped: the batch printed nothing for this file' };
  if (file.kind === 'item-error') return { path, error: `cannot open: ${file.message}` };
  const attrs = file.attributes ?? 0;
  if (attrs & ATTR.directory) return { path, error: 'a directory, not a file' };
  if (attrs & (ATTR.offline | ATTR.recallOnOpen | ATTR.recallOnDataAccess)) return { path, error: 'a cloud or offline placeholder: its data is not on this volume' };
  if (attrs & ATTR.encrypted) return { path, error: "EFS-encrypted: its clusters hold ciphertext, not the file's bytes" };
  if (attrs & ATTR.compressed) return { path, error: "NTFS-compressed: its clusters hold compressed data, not the file's bytes" };
  if (attrs & ATTR.reparsePoint) return { path, error: 'a reparse point (deduplicated, a link or a placeholder): its data is not in clusters of its own' };
  if (file.exitCode === null && batchProblem) return { path, error: `fsutil did not finish: ${batchProblem}` };
  const size = file.length ?? 0;
  const result = parseQueryExtents(file.output, file.exitCode);
  if (result.kind === 'error') {
    const hint = result.needsAdmin ? ' (Bitarr must run as Administrator)' : result.accessDenied ? ' (the file is locked by another program, or its permissions shut out Administrators)' : '';
    return { path, error: `fsutil file queryextents: ${result.message}${hint}` };
  }
  if (result.kind === 'resident') {
    if (size === 0) return { path, extents: [], note: 'empty file' };
    if (size <= MAX_RESIDENT_BYTES) return { path, extents: [], note: 'resident: stored inside its MFT record, no clusters of its own' };
    return { path, error: `fsutil listed no extents for a file of ${size} bytes` };
  }
  const placed = placeExtents(result.extents, volume.bytesPerCluster, size, volume.base);
  if (placed.holes) return { path, extents: placed.extents, note: 'sparse: its unallocated ranges read as zeros and have no place on the disk' };
  return { path, extents: placed.extents };
}

function setting(context: PluginContext, key: string, fallback: number): number {
  const value = context.config[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}
