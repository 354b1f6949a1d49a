/**
 * The two trees every tool reads. Generation must take seconds, not minutes: random bytes are
 * made once (crypto.randomBytes at ~1 GB/s would cost seconds per GB) and then copied with a
 * counter stamped in, so every file and every MiB differs and no hash can be memoised, while
 * the data stays incompressible for any layer that might compress.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Dataset {
  name: 'large' | 'small';
  root: string;
  files: number;
  bytes: number;
  /** The files themselves, only for the large set (`cat` takes them as arguments). */
  paths: string[];
  describe: string;
  createdS: number;
}

const MiB = 1 << 20;

/** A small seeded PRNG (mulberry32): the same sizes on every run, so runs are comparable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeLarge(root: string, totalGb: number, count: number): Dataset {
  const t0 = performance.now();
  mkdirSync(root, { recursive: true });
  const mibPerFile = Math.max(1, Math.round((totalGb * 1024) / count));
  // 16 MiB per write: few syscalls, and the copy of the random block is cheaper than the write.
  const block = randomBytes(MiB);
  const chunkMiB = 16;
  const buf = Buffer.allocUnsafe(chunkMiB * MiB);
  for (let i = 0; i < chunkMiB; i++) block.copy(buf, i * MiB);
  const paths: string[] = [];
  for (let f = 0; f < count; f++) {
    const path = join(root, `large-${String(f).padStart(2, '0')}.bin`);
    paths.push(path);
    const fd = openSync(path, 'w');
    try {
      for (let done = 0; done < mibPerFile; done += chunkMiB) {
        const n = Math.min(chunkMiB, mibPerFile - done);
        for (let i = 0; i < n; i++) {
          // The stamp makes each MiB of each file unique.
          buf.writeUInt32LE(f, i * MiB);
          buf.writeUInt32LE(done + i, i * MiB + 4);
        }
        writeSync(fd, buf, 0, n * MiB);
      }
    } finally {
      closeSync(fd);
    }
  }
  const bytes = count * mibPerFile * MiB;
  return {
    name: 'large',
    root,
    files: count,
    bytes,
    paths,
    describe: `${count} files × ${mibPerFile} MiB = ${(bytes / 2 ** 30).toFixed(2)} GiB`,
    createdS: (performance.now() - t0) / 1000,
  };
}

export function makeSmall(root: string, count: number, perDir: number): Dataset {
  const t0 = performance.now();
  const rand = prng(0xb17a77);
  const pool = randomBytes(MiB);
  const scratch = Buffer.allocUnsafe(16 * 1024);
  let bytes = 0;
  const dirs = Math.ceil(count / perDir);
  for (let d = 0, n = 0; d < dirs; d++) {
    // Two levels (gNN/dNNNN) so the walk sees nesting, not one flat list of folders.
    const dir = join(root, `g${String(d % 16).padStart(2, '0')}`, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perDir && n < count; i++, n++) {
      const size = 1024 + Math.floor(rand() * (15 * 1024 + 1)); // 1–16 KiB, uniform
      const at = Math.floor(rand() * (pool.length - size));
      pool.copy(scratch, 0, at, at + size);
      scratch.writeUInt32LE(n, 0); // unique content per file
      writeFileSync(join(dir, `f${String(i).padStart(4, '0')}.bin`), scratch.subarray(0, size));
      bytes += size;
    }
  }
  return {
    name: 'small',
    root,
    files: count,
    bytes,
    paths: [],
    describe: `${count} files of 1–16 KiB in ${dirs} dirs (${(bytes / 2 ** 30).toFixed(2)} GiB)`,
    createdS: (performance.now() - t0) / 1000,
  };
}
