/**
 * Walks a scan root depth-first with opendir and dirent types. Symlinks are reported, never
 * followed; sockets, FIFOs and devices are reported as special; mount points below the root are
 * not entered (each device is scanned as its own root; btrfs subvolumes that are not mounted
 * are part of their filesystem and are walked). Only one directory's entries and the stack of
 * directories still to visit are in memory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Exclusions, IGNORE_FILE } from '../domain/exclusions.js';
import { decodedLossily, fsPath, textFromBytes } from '../domain/path-bytes.js';

export type WalkEntry =
  | { kind: 'file' | 'symlink'; path: string; rel: string }
  | { kind: 'special'; path: string; rel: string; what: string }
  /** Not walked (excluded, another filesystem, unreadable): its baselines must not turn missing. */
  | { kind: 'unwalked-dir'; path: string; rel: string; reason: 'excluded' | 'other-filesystem' | 'error'; code?: string; message?: string };

interface PendingDir {
  path: string;
  rel: string;
  exclusions: Exclusions;
}

/**
 * Yields each directory's entries as one array: a generator step per file was a visible share of
 * the main thread on small files (200k awaits), a step per directory is not.
 */
export async function* walk(root: string, mountPoints: ReadonlySet<string>, exclusions: Exclusions): AsyncGenerator<WalkEntry[]> {
  const stack: PendingDir[] = [{ path: root, rel: '', exclusions }];
  while (stack.length) {
    const dir = stack.pop()!;
    let names: Array<{ name: string; type: 'file' | 'dir' | 'symlink' | string }>;
    try {
      names = await readDir(dir.path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      yield [{ kind: 'unwalked-dir', path: dir.path, rel: dir.rel, reason: 'error', code: e.code, message: e.message }];
      continue;
    }
    let rules = dir.exclusions;
    if (names.some((n) => n.name === IGNORE_FILE && n.type === 'file')) {
      try {
        rules = rules.withIgnoreFile(dir.rel, await readFile(fsPath(join(dir.path, IGNORE_FILE)), 'utf8'));
      } catch {
        // An unreadable ignore file excludes nothing; the file itself is still verified below.
      }
    }
    const entries: WalkEntry[] = [];
    const subdirs: PendingDir[] = [];
    // Names never contain '/', and walked paths are already normal: no path.join per entry.
    const prefix = dir.path.endsWith('/') ? dir.path : dir.path + '/';
    for (const { name, type } of names) {
      const path = prefix + name;
      const rel = dir.rel ? `${dir.rel}/${name}` : name;
      const isDir = type === 'dir';
      if (rules.excludes(rel, isDir)) {
        entries.push({ kind: 'unwalked-dir', path, rel, reason: 'excluded' });
        continue;
      }
      if (isDir) {
        if (mountPoints.has(path)) entries.push({ kind: 'unwalked-dir', path, rel, reason: 'other-filesystem' });
        else subdirs.push({ path, rel, exclusions: rules });
      } else if (type === 'file' || type === 'symlink') {
        entries.push({ kind: type, path, rel });
      } else {
        entries.push({ kind: 'special', path, rel, what: type });
      }
    }
    if (entries.length) yield entries;
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}

async function readDir(path: string) {
  let out = await listDir(path, 'utf8');
  // Node decodes names as UTF-8 and replaces what is not with U+FFFD, which no open() finds:
  // such a directory is listed again as bytes, and those names escaped (domain/path-bytes.ts).
  if (out.some((e) => decodedLossily(e.name))) out = await listDir(path, 'buffer');
  // Byte order, so runs are repeatable and progress reads like a listing.
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** One readdir per directory: `for await` over an opendir handle cost a promise per entry (0.3 s of main thread on 200k files). */
async function listDir(path: string, encoding: 'utf8' | 'buffer') {
  const dirents = await readdir(fsPath(path) as string, { withFileTypes: true, encoding: encoding as BufferEncoding });
  const out = new Array<{ name: string; type: string }>(dirents.length);
  for (let i = 0; i < dirents.length; i++) {
    const d = dirents[i];
    const type = d.isFile()
      ? 'file'
      : d.isDirectory()
        ? 'dir'
        : d.isSymbolicLink()
          ? 'symlink'
          : d.isFIFO()
            ? 'fifo'
            : d.isSocket()
              ? 'socket'
              : 'device';
    const name = encoding === 'buffer' ? textFromBytes(d.name as unknown as Buffer) : d.name;
    out[i] = { name, type };
  }
  return out;
}
