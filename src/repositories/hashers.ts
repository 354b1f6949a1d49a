/**
 * One incremental hasher interface over the fastest library measured for each algorithm
 * (MEASURED.md): xxhash-addon for the XXH family, napi BLAKE3, OpenSSL for the rest.
 * A worker keeps one hasher and resets it per file, so small files cost no allocations.
 */
import { createHash, type Hash } from 'node:crypto';
import type xxhashModule from 'xxhash-addon';
import type { Blake3Hasher as Blake3HasherType } from '@napi-rs/blake-hash';
import type { Algorithm } from '../domain/algorithms.js';

type XxHash = InstanceType<typeof xxhashModule.XXHash128>;

export interface Hasher {
  update(chunk: Buffer): void;
  /** The digest of everything since the last reset; resets. */
  digest(): Buffer;
}

// xxhash-addon segfaults when constructed without a seed buffer.
const ZERO_SEED = Buffer.alloc(8);
const OPENSSL: Partial<Record<Algorithm, string>> = {
  sha256: 'sha256',
  sha512: 'sha512',
  sha1: 'sha1',
  md5: 'md5',
  blake2b: 'blake2b512',
};

class XxHasher implements Hasher {
  constructor(private readonly h: XxHash) {}
  update(chunk: Buffer) {
    this.h.update(chunk);
  }
  digest() {
    const d = this.h.digest();
    this.h.reset();
    return d;
  }
}

class Blake3 implements Hasher {
  private h: Blake3HasherType;
  constructor(private readonly make: () => Blake3HasherType) {
    this.h = make();
  }
  update(chunk: Buffer) {
    this.h.update(chunk);
  }
  digest() {
    const d = this.h.digestBuffer();
    this.h = this.make();
    return d;
  }
}

class OpenSslHasher implements Hasher {
  private h: Hash;
  constructor(private readonly name: string) {
    this.h = createHash(name);
  }
  update(chunk: Buffer) {
    this.h.update(chunk);
  }
  digest() {
    const d = this.h.digest();
    this.h = createHash(this.name);
    return d;
  }
}

/** Loads only the library the algorithm needs: each worker's start-up is part of every scan. */
export async function createHasher(algorithm: Algorithm): Promise<Hasher> {
  switch (algorithm) {
    case 'xxh3-128':
    case 'xxh64': {
      const { default: xxhash } = await import('xxhash-addon');
      return new XxHasher(algorithm === 'xxh64' ? new xxhash.XXHash64(ZERO_SEED) : new xxhash.XXHash128(ZERO_SEED));
    }
    case 'blake3': {
      const { Blake3Hasher } = await import('@napi-rs/blake-hash');
      return new Blake3(() => new Blake3Hasher());
    }
    default: {
      const name = OPENSSL[algorithm];
      if (!name) throw new Error(`no hasher for ${algorithm}`);
      return new OpenSslHasher(name);
    }
  }
}
