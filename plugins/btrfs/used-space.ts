// Where on one device btrfs has allocated anything: the superblock read in-process, then one
// `btrfs inspect-internal dump-tree -e DEV` (extent tree + device tree) for the whole device.
import { open, realpath } from 'node:fs/promises';
import type { PluginContext, UsedSpaceRequest, UsedSpaceResult } from '../../src/shared/plugin-api.js';
import { deviceSizeBytes } from './device-size.js';
import { deviceUse, parseExtentDump, type DeviceUse } from './extent-tree.js';
import { missingTool } from './filefrag.js';
import { deviceMismatch, mountsAt, readMountinfo } from './mount-check.js';
import { parseSuperblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, type Superblock } from './superblock.js';

type Unavailable = Extract<UsedSpaceResult, { available: false }>;

const DEFAULT_EXTENT_TREE_MAX_BYTES = 256 << 20;
const DUMP_TIMEOUT_MS = 10 * 60_000;
const PERMISSION_CODES = new Set(['EACCES', 'EPERM']);
// What dump-tree says on stderr (exit status 0) when a tree block it read was not the one its
// parent names: a commit overwrote it during the read, or the device is damaged.
const BAD_READ = /ERROR|fail|corrupt|mismatch|verify/i;

function said(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String((error as Error).message ?? error);
}

function exceededBuffer(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return cause?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' || /maxBuffer|MAXBUFFER/.test(String((error as Error).message));
}

export async function btrfsUsedSpace(request: UsedSpaceRequest, context: PluginContext): Promise<UsedSpaceResult> {
  const { device, mountPoint, signal } = request;
  signal?.throwIfAborted();
  if (request.fsType !== 'btrfs') return { available: false, reason: `${mountPoint} is ${request.fsType}, not btrfs` };
  const opened = await readDevice(device);
  if ('available' in opened) return opened;
  const { superblock, sizeBytes } = opened;
  const realMount = await realpath(mountPoint).catch(() => mountPoint);
  const mounts = await readMountinfo();
  const mismatch = await deviceMismatch(device, superblock.fsid, mounts ? mountsAt(mounts, realMount).own : undefined, mountPoint);
  if (mismatch) return { available: false, reason: mismatch };

  const configured = Number(context.config.extentTreeMaxBytes);
  const limit = Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_EXTENT_TREE_MAX_BYTES;
  let use: DeviceUse;
  try {
    use = await dumpAndCount(['-e'], true, limit, request, context, superblock, sizeBytes);
  } catch (error) {
    signal?.throwIfAborted();
    if (!exceededBuffer(error)) return failed(error, device);
    // A large filesystem's extent tree prints gigabytes; its device tree stays small.
    context.log(`the extent tree of ${device} prints more than ${limit} bytes: used space per chunk instead`);
    try {
      use = await dumpAndCount(['-t', 'dev'], false, DEFAULT_EXTENT_TREE_MAX_BYTES, request, context, superblock, sizeBytes);
    } catch (fallbackError) {
      signal?.throwIfAborted();
      return failed(fallbackError, device);
    }
  }
  const granularity = use.exactChunks === 0 ? 'chunk' : use.wholeChunks === 0 ? 'extent' : 'extent, striped chunks whole';
  return { available: true, sizeBytes, granularity, ranges: use.ranges };
}

async function readDevice(device: string): Promise<{ superblock: Superblock; sizeBytes: number } | Unavailable> {
  try {
    const handle = await open(device, 'r');
    try {
      const stats = await handle.stat();
      const block = Buffer.alloc(SUPERBLOCK_SIZE);
      const { bytesRead } = await handle.read(block, 0, SUPERBLOCK_SIZE, SUPERBLOCK_OFFSET);
      const superblock = bytesRead === SUPERBLOCK_SIZE ? parseSuperblock(block) : null;
      if (!superblock) return { available: false, reason: `no btrfs superblock on ${device}` };
      const size = await deviceSizeBytes(stats);
      if ('reason' in size) return { available: false, reason: `cannot tell the size of ${device}: ${size.reason}` };
      return { superblock, sizeBytes: size.bytes };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = `cannot read the btrfs superblock on ${device}: ${(error as Error).message}`;
    return PERMISSION_CODES.has(code) ? { available: false, reason, needs: 'root' } : { available: false, reason };
  }
}

/**
 * One dump-tree, read again once when a tree block it read had been overwritten by a commit
 * meanwhile. btrfs-progs drops the device's page cache when it opens it (fadvise DONTNEED, seen
 * with strace), so it reads what is on the device, not what an earlier dump left in the cache.
 */
async function dumpAndCount(
  selection: string[],
  exact: boolean,
  maxBuffer: number,
  request: UsedSpaceRequest,
  context: PluginContext,
  superblock: Superblock,
  sizeBytes: number,
): Promise<DeviceUse> {
  for (let attempt = 1; ; attempt++) {
    const { stdout, stderr } = await context.run('btrfs', ['inspect-internal', 'dump-tree', ...selection, request.device], {
      signal: request.signal,
      maxBuffer,
      timeoutMs: DUMP_TIMEOUT_MS,
    });
    if (BAD_READ.test(stderr)) {
      if (attempt < 2) continue;
      throw new Error(`dump-tree could not read every tree block: ${stderr.trim().split('\n').slice(0, 3).join('; ')}`);
    }
    return deviceUse(parseExtentDump(stdout, superblock.nodesize, exact), superblock.devid, sizeBytes, exact);
  }
}

function failed(error: unknown, device: string): Unavailable {
  const missing = missingTool(error, 'btrfs');
  if (missing) return { available: false, reason: missing.message, needs: 'btrfs' };
  const reason = said(error);
  if (/Permission denied|Operation not permitted/.test(reason)) return { available: false, reason: `cannot read the btrfs trees on ${device}: ${reason}`, needs: 'root' };
  return { available: false, reason: `cannot read the btrfs trees on ${device}: ${reason}` };
}
