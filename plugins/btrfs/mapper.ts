// The btrfs sector mapper: FIEMAP for btrfs logical addresses, the chunk tree for where those
// addresses are on the device.
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FileMapping, MapRequest, MapResult, PluginContext, SectorMapper } from '../../src/shared/plugin-api.js';
import { parseChunkTree, parseSuper, type BtrfsChunk } from './chunk-tree.js';
import { fiemapBatch, missingTool, precheck, ToolMissing } from './filefrag.js';
import { deviceMismatch, isBelow, mountsAt, readMountinfo } from './mount-check.js';
import { classify, describeMapping, toDevice, type ToTranslate } from './translate.js';
import { btrfsUsedSpace } from './used-space.js';

type Outcome = Omit<FileMapping, 'path'>;

const PERMISSION = /Permission denied|Operation not permitted|EACCES|EPERM/;

function said(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String((error as Error).message ?? error);
}

function nameUnder(path: string, mountPoint: string): string | null {
  const name = relative(mountPoint, resolve(path));
  if (!isAbsolute(path) || name === '' || name === '..' || name.startsWith(`..${sep}`) || isAbsolute(name)) return null;
  return name;
}

export const btrfsSectorMapper: SectorMapper = {
  async map(request: MapRequest, context: PluginContext): Promise<MapResult> {
    if (request.fsType !== 'btrfs') return { available: false, reason: `${request.mountPoint} is ${request.fsType}, not btrfs` };
    try {
      return await mapFiles(request, context);
    } catch (error) {
      if (error instanceof ToolMissing) return { available: false, reason: error.message, needs: error.tool };
      throw error;
    }
  },
  usedSpace: btrfsUsedSpace,
};

async function mapFiles(request: MapRequest, context: PluginContext): Promise<MapResult> {
  const { device, mountPoint, signal } = request;
  // The superblock first: the cheapest read of the raw device, so a user who may not open it
  // learns that before any file is looked at.
  let devid: number;
  let fsid: string;
  try {
    const { stdout } = await context.run('btrfs', ['inspect-internal', 'dump-super', device], { signal });
    ({ devid, fsid } = parseSuper(stdout));
  } catch (error) {
    signal?.throwIfAborted();
    const missing = missingTool(error, 'btrfs');
    if (missing) throw missing;
    const reason = said(error);
    if (PERMISSION.test(reason)) return { available: false, reason: `cannot read the btrfs superblock and chunk tree on ${device}: ${reason}`, needs: 'root' };
    return { available: false, reason: `no btrfs superblock readable on ${device}: ${reason}` };
  }
  const realMount = await realpath(mountPoint).catch(() => mountPoint);
  const mounts = await readMountinfo();
  const { own, foreignBelow } = mounts ? mountsAt(mounts, realMount) : { own: undefined, foreignBelow: [] };
  const mismatch = await deviceMismatch(device, fsid, own, mountPoint);
  if (mismatch) return { available: false, reason: mismatch };

  const outcomes = new Map<string, Outcome>();
  const pathsByName = new Map<string, string[]>();
  const checks = await Promise.all(
    request.files.map(async (path): Promise<[string, string | null]> => {
      const name = nameUnder(path, mountPoint);
      if (name === null) return [path, `not a file under the mount point ${mountPoint}`];
      const problem = (await whereItReallyIs(path, realMount, foreignBelow)) ?? (await precheck(path));
      if (problem === null) pathsByName.set(name, [...(pathsByName.get(name) ?? []), path]);
      return [path, problem];
    }),
  );
  for (const [path, problem] of checks) if (problem !== null) outcomes.set(path, { error: problem });

  const byName = new Map<string, Outcome>();
  const toTranslate = new Map<string, ToTranslate>();
  for (const [name, answer] of await fiemapBatch([...pathsByName.keys()], mountPoint, context, signal)) {
    if ('error' in answer) {
      byName.set(name, { error: answer.error });
      continue;
    }
    const classified = classify(answer);
    if (classified.kind === 'final') byName.set(name, classified.mapping);
    else toTranslate.set(name, classified);
  }
  if (toTranslate.size > 0) await translateAll(toTranslate, devid, request, context, byName);
  for (const [name, paths] of pathsByName) for (const path of paths) outcomes.set(path, byName.get(name) ?? { error: 'was not mapped' });
  return { available: true, files: request.files.map((path) => ({ path, ...outcomes.get(path)! }) as FileMapping) };
}

/**
 * A directory on the way may be a symlink, and a filesystem may be mounted below the mount
 * point: either way the file's FIEMAP addresses would belong to another filesystem, and on
 * another btrfs they would even look plausible.
 */
async function whereItReallyIs(path: string, realMount: string, foreignBelow: string[]): Promise<string | null> {
  let real: string;
  try {
    real = join(await realpath(dirname(resolve(path))), basename(path));
  } catch {
    return null;
  }
  if (nameUnder(real, realMount) === null) return `reached through a symbolic link, it lies outside ${realMount}`;
  const below = foreignBelow.find((mountPoint) => isBelow(real, mountPoint));
  return below ? `on another filesystem, mounted at ${below}` : null;
}

async function readChunks(request: MapRequest, context: PluginContext): Promise<BtrfsChunk[]> {
  const { stdout } = await context.run('btrfs', ['inspect-internal', 'dump-tree', '-t', 'chunk', request.device], { signal: request.signal });
  return parseChunkTree(stdout);
}

/**
 * The chunk tree is read after FIEMAP, so every chunk the extents were in existed before the
 * read. But dump-tree reads the device, which holds the last committed transaction: a chunk
 * allocated since (fsync writes the log tree, not the chunk tree) is not there yet. Logical
 * addresses are never reused, so an old chunk list lacks ranges but never maps one wrongly;
 * an address in no chunk means: commit (`btrfs filesystem sync`) and read it again, once.
 */
async function translateAll(files: Map<string, ToTranslate>, devid: number, request: MapRequest, context: PluginContext, outcomes: Map<string, Outcome>): Promise<void> {
  let readError = '';
  for (let attempt = 1; attempt <= 2 && files.size > 0; attempt++) {
    if (attempt === 2) {
      await context.run('btrfs', ['filesystem', 'sync', request.mountPoint], { signal: request.signal }).catch((error: unknown) => {
        request.signal?.throwIfAborted();
        context.log(`btrfs filesystem sync ${request.mountPoint} failed: ${said(error)}`);
      });
    }
    let chunks: BtrfsChunk[];
    try {
      chunks = await readChunks(request, context);
    } catch (error) {
      request.signal?.throwIfAborted();
      readError = `cannot read the btrfs chunk tree on ${request.device}: ${said(error)}`;
      continue;
    }
    readError = '';
    let unmapped = 0;
    for (const [name, file] of files) {
      const translated = toDevice(file.extents, chunks, devid);
      if (translated.kind === 'unmapped') {
        unmapped++;
        if (attempt === 2) outcomes.set(name, { error: `btrfs address ${translated.address} is in no chunk of ${request.device}, even after a commit (moved by a balance? map it again)` });
        continue;
      }
      outcomes.set(name, translated.kind === 'error' ? { error: translated.error } : describeMapping(translated, file.notes));
      files.delete(name);
    }
    if (unmapped > 0 && attempt === 1) context.log(`${unmapped} file(s) lie in chunks allocated after the last commit: committing and reading the chunk tree again`);
  }
  if (readError) for (const name of files.keys()) outcomes.set(name, { error: readError });
}
