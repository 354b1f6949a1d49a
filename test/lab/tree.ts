// Test content: random (so the raw-image search finds each block exactly once) and, given a
// seed, reproducible (so a failure can be replayed byte for byte).
import { createCipheriv, createHash, randomInt } from 'node:crypto';

// Sizes of the shared bitrot recipe: block-aligned and not, one block up to 4 MiB.
const TREE_SIZES = [4096, 5000, 8192, 12288, 16384, 33333, 65536, 100000, 131072, 262144, 500000, 1048576, 2097152, 3000000, 4194304];
const TREE_DIRS = 3;

/** AES-CTR keystream keyed by seed and name: fast, native, and different for every file. */
export function seededBytes(seed: number, name: string, size: number): Buffer {
  const key = createHash('sha256').update(`bitarr-lab:${seed}:${name}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export function randomTreeSpec(n: number, seed: number = randomInt(2 ** 31)): Record<string, Buffer> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`randomTree needs a positive file count, got ${n}`);
  const width = Math.max(2, String(n).length);
  const spec: Record<string, Buffer> = {};
  for (let i = 1; i <= n; i++) {
    const rel = `d${i % TREE_DIRS}/f${String(i).padStart(width, '0')}.bin`;
    spec[rel] = seededBytes(seed, rel, TREE_SIZES[i % TREE_SIZES.length]!);
  }
  return spec;
}
