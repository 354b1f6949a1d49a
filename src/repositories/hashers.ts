/**
 * One incremental hasher interface over the fastest library measured for each algorithm
 * (MEASURED.md): xxhash-addon for the XXH family, napi BLAKE3, OpenSSL for the rest.
 * A worker keeps one hasher and resets it per file, so small files cost no allocations.
 */
import { createHash, type Hash } from 'node:crypto';
import xxhash from 'xxhash-addon';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import type { Algorithm } from '../domain/algorithms.js';

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
  constructor(private readonly h: xxhash.XXHash) {}
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
  private h = new Blake3Hasher();
  update(chunk: Buffer) {
    this.h.update(chunk);
  }
  digest() {
    const d = this.h.digestBuffer();
    this.h = new Blake3Hasher();
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

export function createHasher(algorithm: Algorithm): Hasher {
  switch (algorithm) {
    case 'xxh3-128':
      return new XxHasher(new xxhash.XXHash128(ZERO_SEED));
    case 'xxh64':
      return new XxHasher(new xxhash.XXHash64(ZERO_SEED));
    case 'blake3':
      return new Blake3();
    default: {
      const name = OPENSSL[algorithm];
      if (!name) throw new Error(`no hasher for ${algorithm}`);
      return new OpenSslHasher(name);
    }
  }
}
