/**
 * The native file reader (native/file-reader): open → fstat → read → hash → fstat → close in one
 * call, where hash.worker.ts's JavaScript makes five binding calls and builds two BigIntStats a
 * file. Only for the XXH algorithms: the C side compiles the xxHash that xxhash-addon vendors, so
 * a digest is the same bytes either way. Absent (not built, or not loadable), the worker reads
 * the JavaScript way.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorMap } from 'node:util';
import type { Algorithm } from '../domain/algorithms.js';

const ADDON = join('native', 'file-reader', 'build', 'Release', 'file_reader.node');
const ALGORITHM_IDS: Partial<Record<Algorithm, number>> = { 'xxh3-128': 1, xxh64: 2 };
// The C side's result slots and error phases (file_reader.c).
const SIZE = 0, MTIME_NS = 1, CTIME_NS = 2, INODE = 3, DEV = 4, BYTES_READ = 5, CHANGED = 6, PHASE = 7, MATCHED = 8, SLOTS = 9;
const SYSCALL_OF_PHASE = ['', 'open', 'fstat', 'read', 'fstat'];
const NOT_REGULAR = 1;
const TOO_LARGE = 2;

interface Addon {
  bind(algorithm: number, buffer: Buffer, results: BigInt64Array, digest: Buffer): void;
  read(path: string | Buffer, flags: number, expected: Buffer | null, maxSize: number): number;
}

export interface NativeRead {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  dev: bigint;
  hash: Buffer;
  bytesRead: number;
  changedWhileReading: boolean;
  /** Equal to the expected fingerprint: the second fstat was skipped, the stats are the first's. */
  matched: boolean;
}

/** The addon's file, from src/repositories or dist/src/repositories alike; null when not built. */
export function nativeReaderPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, ADDON))) return join(dir, ADDON);
    const up = dirname(dir);
    if (up === dir || existsSync(join(dir, 'package.json'))) return null;
    dir = up;
  }
}

/** The reader the addon writes results for in this thread. */
let bound: NativeReader | null = null;

export class NativeReader {
  private readonly results = new BigInt64Array(SLOTS);
  private readonly digest = Buffer.alloc(16);

  private constructor(
    private readonly addon: Addon,
    private readonly digestLength: number,
  ) {}

  /**
   * This thread's reader, reading through `buffer`; null when the addon is absent or does not
   * hash `algorithm`. The addon keeps one state per thread: opening another replaces this one.
   */
  static open(algorithm: Algorithm, buffer: Buffer): NativeReader | null {
    const id = ALGORITHM_IDS[algorithm];
    const path = id === undefined ? null : nativeReaderPath();
    if (!path) return null;
    let addon: Addon;
    try {
      addon = createRequire(import.meta.url)(path) as Addon;
    } catch {
      // Built for another Node or libc: reading the JavaScript way is only slower.
      return null;
    }
    const reader = new NativeReader(addon, algorithm === 'xxh64' ? 8 : 16);
    addon.bind(id!, buffer, reader.results, reader.digest);
    bound = reader;
    return reader;
  }

  /**
   * A regular file of at most `maxSize` bytes, read and hashed; 'not-regular' or 'too-large' hand
   * it back unread. An OS error is thrown as fs would throw it (code, errno, syscall, path).
   */
  read(path: string | Buffer, flags: number, expected: Buffer | null, maxSize: number): NativeRead | 'not-regular' | 'too-large' {
    // The addon writes into the arrays of the reader bound last in this thread.
    if (bound !== this) throw new Error('this native reader was replaced by a newer one in this thread');
    const rc = this.addon.read(path, flags, expected, maxSize);
    if (rc === NOT_REGULAR) return 'not-regular';
    if (rc === TOO_LARGE) return 'too-large';
    const r = this.results;
    if (rc < 0) throw errnoException(rc, SYSCALL_OF_PHASE[Number(r[PHASE])] ?? 'read', path);
    return {
      size: r[SIZE],
      mtimeNs: r[MTIME_NS],
      ctimeNs: r[CTIME_NS],
      // Unsigned, as fs reports them.
      inode: BigInt.asUintN(64, r[INODE]),
      dev: BigInt.asUintN(64, r[DEV]),
      hash: Buffer.from(this.digest.subarray(0, this.digestLength)),
      bytesRead: Number(r[BYTES_READ]),
      changedWhileReading: r[CHANGED] !== 0n,
      matched: r[MATCHED] !== 0n,
    };
  }
}

/** The error fs itself throws for a failed sync call: `EACCES: permission denied, open '/x'`. */
function errnoException(errno: number, syscall: string, path: string | Buffer): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(errno) ?? [`Unknown system error ${errno}`, 'unknown error'];
  const withPath = syscall === 'open';
  const e = new Error(`${code}: ${description}, ${syscall}${withPath ? ` '${path.toString()}'` : ''}`) as NodeJS.ErrnoException;
  e.errno = errno;
  e.code = code;
  e.syscall = syscall;
  if (withPath) e.path = path.toString();
  return e;
}
