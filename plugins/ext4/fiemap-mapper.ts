// A sector mapper for filesystems whose FIEMAP "physical" is already a byte offset on the block
// device they are mounted from: ext2/3/4 and xfs (the xfs plugin imports this one). btrfs is not
// one of them: its FIEMAP answers btrfs logical addresses.
import { accessSync, constants, lstatSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseFilefrag } from '../../src/shared/fiemap.js';
import type { FileMapping, MapRequest, MapResult, PluginContext, SectorMapper } from '../../src/shared/plugin-api.js';
import { deviceMismatch } from './block-device.js';
import { chunkNames, toFileMapping } from './fiemap-mapping.js';
import { usedSpace } from './used-space.js';

const DEFAULT_FILES_PER_PROCESS = 500;
const MAX_ARGUMENT_BYTES = 256 * 1024;
// -s makes the kernel write back each file's dirty pages before mapping it: a chunk of freshly
// written large files can take minutes on a slow disk, far beyond the runner's default 2 minutes.
const FILEFRAG_TIMEOUT_MS = 15 * 60_000;

/** A file that passed the checks done here, and the name filefrag is given for it (relative to the mount point). */
interface Candidate {
  path: string;
  name: string;
}

export const fiemapMapper: SectorMapper = {
  async map(request: MapRequest, context: PluginContext): Promise<MapResult> {
    let mountStat: Stats;
    try {
      mountStat = await stat(request.mountPoint);
    } catch (error) {
      return { available: false, reason: `cannot open the mount point ${request.mountPoint}: ${(error as Error).message}` };
    }
    const wrongDevice = await deviceMismatch(request.device, mountStat);
    if (wrongDevice) return { available: false, reason: wrongDevice };

    const results = new Map<string, FileMapping>();
    const limit = filesPerProcess(context);
    const candidates: Candidate[] = [];
    for (const path of new Set(request.files)) {
      const checked = check(path, request.mountPoint, mountStat);
      if ('error' in checked) results.set(checked.path, checked);
      else candidates.push(checked);
    }
    // `/mnt/a` and `/mnt//a` are one file: filefrag is given each name once.
    const pathsByName = new Map<string, string[]>();
    for (const { name, path } of candidates) pathsByName.set(name, [...(pathsByName.get(name) ?? []), path]);
    const chunks = [...chunkNames([...pathsByName.keys()], limit, MAX_ARGUMENT_BYTES)];
    let unavailable: string | null = null;
    // Two filefrags at a time: each is mostly its own start-up and the kernel's work, one a core here.
    const worker = async () => {
      for (let names = chunks.shift(); names && !unavailable; names = chunks.shift()) {
        request.signal?.throwIfAborted();
        let mapped: Map<string, FileMapping>;
        try {
          mapped = await mapNames(names, request, context);
        } catch (error) {
          if (request.signal?.aborted) throw error;
          unavailable = cannotStart(error, request.mountPoint);
          if (unavailable) return;
          context.log(`filefrag did not finish for ${names.length} file(s): ${(error as Error).message}`);
          mapped = new Map(names.map((name) => [name, { path: name, error: `filefrag did not finish: ${(error as Error).message}` }]));
        }
        for (const [name, mapping] of mapped) {
          for (const path of pathsByName.get(name)!) results.set(path, { ...mapping, path });
        }
      }
    };
    await Promise.all([worker(), worker()]);
    if (unavailable) return { available: false, reason: unavailable, needs: 'filefrag' };
    return { available: true, files: request.files.map((path) => results.get(path) ?? { path, error: 'was not mapped' }) };
  },
  // GETFSMAP (xfs_io), or dumpe2fs on ext2/3/4: see used-space.ts.
  usedSpace,
};

function filesPerProcess(context: PluginContext): number {
  const configured = context.config.filesPerProcess;
  return typeof configured === 'number' && Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_FILES_PER_PROCESS;
}

/**
 * Maps `names` with one filefrag. filefrag goes on past a file it cannot open but then exits
 * non-zero, and the runner hands back no stdout for a failed process; its complaint
 * ("open: No such file or directory") names no file either. So a failed run is split in halves
 * and each half run again: one bad file among 500 costs about 2·log2(500) ≈ 18 extra short
 * processes instead of 500, and only the bad file ends up with an error.
 */
async function mapNames(names: string[], request: MapRequest, context: PluginContext): Promise<Map<string, FileMapping>> {
  let failure: string;
  try {
    const { stdout } = await context.run('filefrag', ['-v', '-b1', '-s', '--', ...names], {
      cwd: request.mountPoint,
      signal: request.signal,
      timeoutMs: FILEFRAG_TIMEOUT_MS,
    });
    // Headers are matched to names by position; it throws when a file is missing from the output.
    const files = parseFilefrag(stdout, names);
    return new Map(names.map((name) => [name, toFileMapping(name, files.get(name))]));
  } catch (error) {
    if (!isFileFailure(error)) throw error;
    failure = describeFailure(error);
  }
  if (names.length === 1) return new Map([[names[0]!, { path: names[0]!, error: failure }]]);
  const half = Math.ceil(names.length / 2);
  const first = await mapNames(names.slice(0, half), request, context);
  const second = await mapNames(names.slice(half), request, context);
  return new Map([...first, ...second]);
}

interface RunFailure {
  exitCode?: unknown;
  stderr?: unknown;
  cause?: { code?: unknown; syscall?: unknown };
}

// filefrag ran and said no (an exit status), or printed something the parser could not follow:
// something about one of the files. A kill (timeout, abort) or a spawn failure is about the run.
function isFileFailure(error: unknown): boolean {
  if (!(error instanceof Error) || cannotStart(error, '') !== null) return false;
  const { exitCode } = error as RunFailure;
  return typeof exitCode === 'number' || !('exitCode' in error);
}

function describeFailure(error: unknown): string {
  const { stderr } = error as RunFailure;
  const said = typeof stderr === 'string' ? stderr.trim() : '';
  return said ? `filefrag: ${said}` : (error as Error).message;
}

// The process never started: nothing to blame on the files. execvp says EACCES rather than
// ENOENT when a directory on PATH is closed to this user, so both mean "not installed" or so.
function cannotStart(error: unknown, mountPoint: string): string | null {
  const { cause } = error as RunFailure;
  if (typeof cause !== 'object' || cause === null || typeof cause.syscall !== 'string' || !cause.syscall.startsWith('spawn')) return null;
  if (cause.code === 'ENOENT') return 'filefrag (e2fsprogs) is not installed';
  return `filefrag cannot be started (${String(cause.code)}): not installed or not executable for this user, or ${mountPoint} cannot be entered`;
}

/**
 * What can be learnt before running anything, so that filefrag is rarely handed a file it cannot
 * open. Symlinks are refused: filefrag would follow them, possibly off this device.
 */
function check(path: string, mountPoint: string, mountStat: Stats): Candidate | { path: string; error: string } {
  const name = relative(mountPoint, resolve(path));
  if (!isAbsolute(path) || name === '' || name === '..' || name.startsWith(`..${sep}`) || isAbsolute(name)) {
    return { path, error: `not a file under the mount point ${mountPoint}` };
  }
  // Headers in filefrag's output are one line each: such a name would break the line apart.
  if (name.includes('\n')) return { path, error: 'its name holds a newline, which filefrag output cannot carry' };
  let info: Stats;
  try {
    // Sync: two cached syscalls of a few µs; awaiting them through the thread pool cost ~20× more a file.
    info = lstatSync(path);
    accessSync(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, error: 'no longer exists' };
    if (code === 'EACCES') return { path, error: 'cannot be opened by this user: FIEMAP needs read access to the file' };
    return { path, error: (error as Error).message };
  }
  if (info.isSymbolicLink()) return { path, error: 'is a symbolic link: map the file it points to instead' };
  if (!info.isFile()) return { path, error: 'not a regular file' };
  // Another filesystem mounted below mountPoint: its offsets would be on another device.
  if (info.dev !== mountStat.dev) return { path, error: `on another filesystem mounted below ${mountPoint}` };
  return { path, name };
}
