// FIEMAP for many files through few `filefrag` processes.
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFilefrag, type FiemapFile } from '../../src/shared/fiemap.js';
import type { PluginContext } from '../../src/shared/plugin-api.js';

/** Per name: what FIEMAP said, or why it could not be asked. */
export type FiemapAnswer = FiemapFile | { error: string };

/** A tool that could not be started at all: nothing to blame on the files. */
export class ToolMissing extends Error {
  constructor(readonly tool: string, detail: string) {
    super(`${tool} cannot be started (${detail}): not installed, or not executable for this user`);
  }
}

const MAX_ARGUMENT_BYTES = 256 * 1024;
// -s writes back each file's dirty pages first: a batch of freshly written big files can take
// far longer than the runner's default two minutes on a slow disk.
const FILEFRAG_TIMEOUT_MS = 15 * 60_000;

/** Why a path cannot be handed to filefrag, or null. lstat: filefrag would follow a symlink, maybe off this device. */
export async function precheck(path: string): Promise<string | null> {
  // filefrag prints names as they are; a newline inside one would split its header line.
  if (path.includes('\n')) return 'the path holds a newline: filefrag output cannot be matched to it';
  try {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) return 'a symbolic link: map the file it points to instead';
    if (!stats.isFile()) return 'not a regular file';
    await access(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'vanished: no such file';
    if (code === 'EACCES') return 'cannot be opened by this user: FIEMAP needs read access to the file';
    return (error as Error).message;
  }
}

/** Argument lists of at most `maxCount` names and about `maxBytes`, far below ARG_MAX. */
export function batches(names: string[], maxCount: number, maxBytes = MAX_ARGUMENT_BYTES): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const size = Buffer.byteLength(name) + 1;
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

interface RunFailure {
  exitCode?: unknown;
  stderr?: unknown;
  cause?: { code?: unknown; syscall?: unknown };
}

/** The ToolMissing for an error that says the program never started, else null. */
export function missingTool(error: unknown, tool: string): ToolMissing | null {
  const { cause } = (error ?? {}) as RunFailure;
  if (typeof cause !== 'object' || cause === null || typeof cause.syscall !== 'string' || !cause.syscall.startsWith('spawn')) return null;
  return new ToolMissing(tool, String(cause.code));
}

// The runner's error for a tool that ran and exited non-zero carries the exit code; a timeout
// or a kill has none, and splitting the batch would only repeat it.
function ranAndFailed(error: unknown): boolean {
  const { exitCode } = (error ?? {}) as RunFailure;
  return typeof exitCode === 'number' || (exitCode === undefined && /\(exit \d+\)/.test(String(error)));
}

function complaint(error: unknown): string {
  const { stderr } = (error ?? {}) as RunFailure;
  const said = typeof stderr === 'string' ? stderr.trim() : '';
  if (/No such file or directory/.test(said)) return 'vanished: no such file';
  return said ? `filefrag: ${said}` : String((error as Error)?.message ?? error);
}

/**
 * One `filefrag -v -b1 -s` per batch of names relative to `cwd` (-s: data still only in the
 * page cache has no address yet). filefrag prints nothing for a file it cannot open (its
 * `open: …` does not name the file) and exits non-zero, and the runner then drops stdout: so a
 * failed batch is looked at again. Files gone since are taken out and the rest run once more;
 * if that still fails, the batch is halved until each failing file stands alone. k bad files in
 * n cost about 2k·log2(n/k) more processes, and usually k is 0.
 */
export async function fiemapBatch(names: string[], cwd: string, context: PluginContext, signal?: AbortSignal): Promise<Map<string, FiemapAnswer>> {
  const answers = new Map<string, FiemapAnswer>();
  const ask = async (batch: string[], mayRecheck: boolean): Promise<void> => {
    if (batch.length === 0) return;
    let failure: string;
    try {
      const { stdout } = await context.run('filefrag', ['-v', '-b1', '-s', '--', ...batch], { cwd, signal, timeoutMs: FILEFRAG_TIMEOUT_MS });
      try {
        const files = parseFilefrag(stdout, batch);
        for (const name of batch) answers.set(name, files.get(name) ?? { error: 'filefrag printed nothing about it' });
        return;
      } catch (error) {
        failure = `unreadable filefrag output: ${(error as Error).message}`;
      }
    } catch (error) {
      signal?.throwIfAborted();
      const missing = missingTool(error, 'filefrag');
      if (missing) throw missing;
      if (!ranAndFailed(error)) {
        for (const name of batch) answers.set(name, { error: `filefrag did not finish: ${(error as Error).message}` });
        return;
      }
      failure = complaint(error);
    }
    if (batch.length === 1) {
      answers.set(batch[0]!, { error: failure });
      return;
    }
    if (mayRecheck) {
      const problems = await Promise.all(batch.map((name) => precheck(join(cwd, name))));
      batch.forEach((name, i) => problems[i] !== null && answers.set(name, { error: problems[i]! }));
      const still = batch.filter((_, i) => problems[i] === null);
      if (still.length < batch.length) return ask(still, false);
    }
    const half = Math.ceil(batch.length / 2);
    await ask(batch.slice(0, half), false);
    await ask(batch.slice(half), false);
  };
  const configured = Number(context.config.filesPerCall);
  const perCall = Number.isInteger(configured) && configured > 0 ? configured : 500;
  for (const batch of batches(names, perCall)) {
    signal?.throwIfAborted();
    await ask(batch, true);
  }
  return answers;
}
