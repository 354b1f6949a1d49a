// Positional reads of the raw device through a small page cache. Walking a FAT chain reads one
// 2- or 4-byte entry per cluster, and directories are read one cluster at a time: without a
// cache that is a system call per cluster. Shared with the exfat plugin (see its README).
import { readSync } from 'node:fs';

const PAGE_SIZE = 64 * 1024;
const MAX_PAGES = 256; // 16 MiB: the FAT region a batch of files touches, and then some
const DIRECT_READ_FROM = 4 * PAGE_SIZE;

export class DeviceReader {
  readonly #fd: number;
  readonly #pages = new Map<number, Buffer>();

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** Exactly `length` bytes at `offset`; a device that ends sooner is an error, not a short buffer. */
  read(offset: number, length: number): Buffer {
    if (length >= DIRECT_READ_FROM) return this.#readDirect(offset, length);
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const page = this.#page(Math.floor(at / PAGE_SIZE));
      const inPage = at % PAGE_SIZE;
      const copied = page.copy(out, done, inPage, Math.min(page.length, inPage + length - done));
      if (copied === 0) throw new Error(`the device ends before byte ${at}`);
      done += copied;
    }
    return out;
  }

  u16(offset: number): number {
    const inPage = offset % PAGE_SIZE;
    if (inPage + 2 <= PAGE_SIZE) {
      const page = this.#page(Math.floor(offset / PAGE_SIZE));
      if (inPage + 2 <= page.length) return page.readUInt16LE(inPage);
    }
    return this.read(offset, 2).readUInt16LE(0);
  }

  u32(offset: number): number {
    const inPage = offset % PAGE_SIZE;
    if (inPage + 4 <= PAGE_SIZE) {
      const page = this.#page(Math.floor(offset / PAGE_SIZE));
      if (inPage + 4 <= page.length) return page.readUInt32LE(inPage);
    }
    return this.read(offset, 4).readUInt32LE(0);
  }

  #page(index: number): Buffer {
    const cached = this.#pages.get(index);
    if (cached) {
      // Re-inserting keeps the Map in least-recently-used order for eviction.
      this.#pages.delete(index);
      this.#pages.set(index, cached);
      return cached;
    }
    const page = this.#readUpTo(index * PAGE_SIZE, PAGE_SIZE);
    if (this.#pages.size >= MAX_PAGES) this.#pages.delete(this.#pages.keys().next().value!);
    this.#pages.set(index, page);
    return page;
  }

  #readDirect(offset: number, length: number): Buffer {
    const out = this.#readUpTo(offset, length);
    if (out.length < length) throw new Error(`the device ends before byte ${offset + out.length}`);
    return out;
  }

  // The last page of a device may be short; callers decide whether that is an error.
  #readUpTo(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }
}
