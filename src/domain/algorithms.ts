/**
 * The hash algorithms a baseline can be made with: the original Bitarr's set plus XXH3-128.
 * The default is XXH3-128: ~18 GB/s per core in memory (MEASURED.md), so reading is always the
 * limit, and its native hasher keeps a flat RSS where the napi BLAKE3 hasher was seen to balloon.
 */
export const ALGORITHMS = ['xxh3-128', 'blake3', 'sha256', 'sha512', 'sha1', 'md5', 'blake2b', 'xxh64'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const DEFAULT_ALGORITHM: Algorithm = 'xxh3-128';

const ALIASES: Record<string, Algorithm> = {
  xxh3: 'xxh3-128',
  xxh128: 'xxh3-128',
  'xxh3-128': 'xxh3-128',
  xxh3_128: 'xxh3-128',
  blake3: 'blake3',
  b3: 'blake3',
  sha256: 'sha256',
  'sha-256': 'sha256',
  sha512: 'sha512',
  'sha-512': 'sha512',
  sha1: 'sha1',
  'sha-1': 'sha1',
  md5: 'md5',
  blake2b: 'blake2b',
  blake2b512: 'blake2b',
  xxh64: 'xxh64',
  xxhash64: 'xxh64',
};

/** Returns the canonical algorithm for a user-typed name, or null when unknown. */
export function parseAlgorithm(name: string): Algorithm | null {
  return ALIASES[name.trim().toLowerCase()] ?? null;
}
