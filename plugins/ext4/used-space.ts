// Where on the device the filesystem has anything (data and metadata), for the device map: the
// GETFSMAP ioctl through xfs_io, which ext4 and xfs both answer; for ext2/3/4 without it, the
// block groups' free lists from dumpe2fs. Both tools are optional: map() never needs them.
import { type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PluginContext, UsedSpaceRequest, UsedSpaceResult } from '../../src/shared/plugin-api.js';
import { blockDeviceBytes, deviceMismatch, major, minor } from './block-device.js';
import { parseDumpe2fs, parseFsmap, usedFromDumpe2fs, usedFromFsmap, type FsmapRecord } from './space-map.js';

// Both walk the whole filesystem's free-space metadata: minutes on a large, slow, busy disk.
const TOOL_TIMEOUT_MS = 15 * 60_000;
const EXT_TYPES: ReadonlySet<string> = new Set(['ext2', 'ext3', 'ext4']);

type Unavailable = UsedSpaceResult & { available: false };

interface Target {
  request: UsedSpaceRequest;
  context: PluginContext;
  mountStat: Stats;
  major: number;
  minor: number;
  sizeBytes: number;
}

export async function usedSpace(request: UsedSpaceRequest, context: PluginContext): Promise<UsedSpaceResult> {
  request.signal?.throwIfAborted();
  let mountStat: Stats;
  try {
    mountStat = await stat(request.mountPoint);
  } catch (error) {
    return { available: false, reason: `cannot open the mount point ${request.mountPoint}: ${(error as Error).message}` };
  }
  const wrongDevice = await deviceMismatch(request.device, mountStat);
  if (wrongDevice) return { available: false, reason: wrongDevice };
  const target = { request, context, mountStat, major: major(mountStat.dev), minor: minor(mountStat.dev), sizeBytes: 0 };
  try {
    target.sizeBytes = await blockDeviceBytes(target.major, target.minor);
  } catch (error) {
    return { available: false, reason: `cannot tell the size of device ${target.major}:${target.minor}: ${(error as Error).message}` };
  }

  const fsmap = await fromFsmap(target);
  if (fsmap.available || !EXT_TYPES.has(request.fsType)) return fsmap;
  const groups = await fromDumpe2fs(target);
  if (groups.available) {
    context.log(`used space of ${request.mountPoint} read with dumpe2fs: ${fsmap.reason}`);
    return groups;
  }
  return { available: false, reason: `${fsmap.reason}; dumpe2fs could not tell either: ${groups.reason}`, needs: fsmap.needs ?? groups.needs };
}

/**
 * `xfs_io -r -c syncfs -c 'fsmap -m' MOUNTPOINT`, one process. syncfs first, so that data still
 * waiting for delayed allocation gets its place and blocks freed a moment ago are free (ext4
 * hands them back only when the journal commits). No `-d`: xfs_io 6.1 takes the data device
 * from its table of xfs mounts and asks ext4 about device 0, which answers nothing; records of
 * other devices are filtered out instead.
 */
async function fromFsmap(target: Target): Promise<UsedSpaceResult> {
  const { request, context } = target;
  const args = (sync: boolean) => ['-r', ...(sync ? ['-c', 'syncfs'] : []), '-c', 'fsmap -m', resolve(request.mountPoint)];
  let stdout: string;
  try {
    stdout = (await context.run('xfs_io', args(true), { signal: request.signal, timeoutMs: TOOL_TIMEOUT_MS })).stdout;
  } catch (error) {
    if (request.signal?.aborted) throw error;
    // xfs_io goes on to fsmap after a failed syncfs but exits 1, and the runner keeps no stdout.
    // Writeback errors are what a failing disk has: the map is wanted all the more then.
    if (!/^syncfs: /m.test(stderrOf(error))) return fsmapFailure(error);
    context.log(`syncfs failed on ${request.mountPoint} (${stderrOf(error).trim()}); reading the used space without it`);
    try {
      stdout = (await context.run('xfs_io', args(false), { signal: request.signal, timeoutMs: TOOL_TIMEOUT_MS })).stdout;
    } catch (retryError) {
      if (request.signal?.aborted) throw retryError;
      return fsmapFailure(retryError);
    }
  }
  let records: FsmapRecord[];
  try {
    records = parseFsmap(stdout);
  } catch (error) {
    return { available: false, reason: `xfs_io printed an fsmap it could not be read from: ${(error as Error).message}` };
  }
  if (!records.some((r) => r.major === target.major && r.minor === target.minor)) {
    const seen = [...new Set(records.map((r) => `${r.major}:${r.minor}`))];
    return { available: false, reason: `GETFSMAP said nothing about device ${target.major}:${target.minor} mounted there (it answered for ${seen.length ? seen.join(', ') : 'no device'})` };
  }
  return { available: true, sizeBytes: target.sizeBytes, granularity: 'block', ranges: usedFromFsmap(records, target.major, target.minor, target.sizeBytes) };
}

function fsmapFailure(error: unknown): Unavailable {
  const notStarted = spawnCode(error);
  if (notStarted === 'ENOENT') return { available: false, reason: 'xfs_io (xfsprogs) is not installed: the used space is read through it', needs: 'xfs_io' };
  if (notStarted !== null) return { available: false, reason: `xfs_io cannot be started (${notStarted})`, needs: 'xfs_io' };
  const said = stderrOf(error);
  if (/Inappropriate ioctl for device/.test(said)) {
    return { available: false, reason: 'this kernel does not answer GETFSMAP for this filesystem (ext4 and xfs do since Linux 4.12)', needs: 'Linux 4.12' };
  }
  if (/Operation not permitted/.test(said)) return { available: false, reason: `GETFSMAP was refused: ${said.trim()}`, needs: 'CAP_SYS_ADMIN' };
  return { available: false, reason: `xfs_io fsmap failed: ${said.trim() || (error as Error).message}` };
}

/**
 * `dumpe2fs DEVICE`: the free-block list of every block group, read through the device's page
 * cache, where the mounted ext4 keeps its bitmaps, so it is current. It needs the device itself
 * open for reading, which is root's (or the disk group's).
 */
async function fromDumpe2fs(target: Target): Promise<UsedSpaceResult> {
  const { request, context } = target;
  let device: Stats | null = null;
  try {
    device = await stat(request.device);
  } catch {
    // Told below.
  }
  if (!device?.isBlockDevice() || device.rdev !== target.mountStat.dev) {
    return { available: false, reason: `dumpe2fs reads the block device itself, and ${request.device} is not the one mounted there` };
  }
  let stdout: string;
  try {
    stdout = (await context.run('dumpe2fs', ['--', request.device], { signal: request.signal, timeoutMs: TOOL_TIMEOUT_MS })).stdout;
  } catch (error) {
    if (request.signal?.aborted) throw error;
    const notStarted = spawnCode(error);
    if (notStarted === 'ENOENT') return { available: false, reason: 'dumpe2fs (e2fsprogs) is not installed', needs: 'dumpe2fs' };
    if (notStarted !== null) return { available: false, reason: `dumpe2fs cannot be started (${notStarted})`, needs: 'dumpe2fs' };
    // Its first line is only its version banner.
    const said = stderrOf(error).split('\n').filter((line) => line.trim() && !/^dumpe2fs \d+\.\d+/.test(line)).join(' ') || (error as Error).message;
    if (/Permission denied/.test(said)) return { available: false, reason: `dumpe2fs cannot open ${request.device}: ${said}`, needs: 'root' };
    return { available: false, reason: `dumpe2fs failed: ${said}` };
  }
  try {
    const space = parseDumpe2fs(stdout);
    if (space.blockCount * space.blockSize > target.sizeBytes) {
      return { available: false, reason: `dumpe2fs describes ${space.blockCount} blocks of ${space.blockSize} bytes, more than the ${target.sizeBytes}-byte device` };
    }
    return { available: true, sizeBytes: target.sizeBytes, granularity: 'block', ranges: usedFromDumpe2fs(space, target.sizeBytes) };
  } catch (error) {
    return { available: false, reason: `dumpe2fs printed what could not be read: ${(error as Error).message}` };
  }
}

interface RunFailure {
  stderr?: unknown;
  cause?: { code?: unknown; syscall?: unknown };
}

function stderrOf(error: unknown): string {
  const { stderr } = error as RunFailure;
  return typeof stderr === 'string' ? stderr : '';
}

// The runner's error for a process that never started carries the spawn error as its cause.
function spawnCode(error: unknown): string | null {
  const { cause } = error as RunFailure;
  if (typeof cause !== 'object' || cause === null || typeof cause.syscall !== 'string' || !cause.syscall.startsWith('spawn')) return null;
  return String(cause.code);
}
