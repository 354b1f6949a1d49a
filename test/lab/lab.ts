// A real filesystem in an image file, on a loop device we attached, under a temp dir we made.
// Everything it creates it removes by that exact name; nothing else on the host is touched.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { attachLoop, detachLoop, isMountpoint, waitForMount, waitUntilImageUnused, waitUntilReleased } from './device.js';
import { defaultSizeMiB, isFuse, makeFilesystem, mountDevice, type Extent, type LabFs } from './filesystems.js';
import { run } from './host.js';
import { bandRange, findNeighbours, imageRanges, type FileLayout, type ImageRange } from './layout.js';
import { btrfsToDevice, fiemap, ntfsExtents, readBtrfsChunks } from './mapping.js';
import { ImageSearch, fatGeometry } from './scan.js';
import { randomTreeSpec } from './tree.js';

// If a worker dies without dispose() (timeout, crash), 'exit' still runs synchronously:
// a lazy umount, a detach and an rm are enough to not leave mounts and loop devices behind.
const abandoned = new Map<Lab, () => void>();
let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.once('exit', () => abandoned.forEach((cleanUp) => cleanUp()));
}

export class Lab {
  readonly fs: LabFs;
  readonly dir: string;
  readonly img: string;
  #mnt: string;
  #loop: string | null = null;
  #mounted = false;
  #createdMountpoints: { top: string; target: string }[] = [];
  #disposal: Promise<void> | undefined;

  private constructor(fs: LabFs, dir: string) {
    this.fs = fs;
    this.dir = dir;
    this.img = join(dir, `${fs}.img`);
    this.#mnt = join(dir, 'mnt');
  }

  static async create(fs: LabFs, opts: { sizeMiB?: number } = {}): Promise<Lab> {
    // Real paths, because that is what /proc/self/mountinfo will say once it is mounted.
    const lab = new Lab(fs, await realpath(await mkdtemp(join(tmpdir(), `bitarr-lab-${fs}-`))));
    installSafetyNet();
    abandoned.set(lab, () => lab.#abandonSync());
    try {
      await makeFilesystem(fs, lab.img, opts.sizeMiB ?? defaultSizeMiB(fs));
      await mkdir(lab.#mnt);
      await lab.mount();
      return lab;
    } catch (error) {
      await lab.dispose().catch(() => undefined);
      throw error;
    }
  }

  get mnt(): string {
    return this.#mnt;
  }

  get loop(): string | null {
    return this.#loop;
  }

  get mounted(): boolean {
    return this.#mounted;
  }

  path(rel: string): string {
    const clean = normalize(rel);
    if (isAbsolute(clean) || clean === '..' || clean.startsWith('../')) throw new Error(`${rel} is not a path inside the lab`);
    return join(this.#mnt, clean);
  }

  async mount(at?: string): Promise<void> {
    if (this.#mounted) throw new Error(`${this.fs} lab is already mounted at ${this.#mnt}`);
    if (at !== undefined) {
      const target = resolve(at);
      const top = await mkdir(target, { recursive: true });
      if (top !== undefined) this.#createdMountpoints.push({ top, target });
      this.#mnt = await realpath(target);
    }
    await waitUntilImageUnused(this.img, 3000);
    const loop = await attachLoop(this.img);
    this.#loop = loop;
    try {
      await mountDevice(this.fs, loop, this.#mnt, join(this.dir, 'mount-helper.log'));
      await waitForMount(this.#mnt, 5000);
    } catch (error) {
      await detachLoop(loop).catch(() => undefined);
      this.#loop = null;
      throw error;
    }
    this.#mounted = true;
  }

  async unmount(opts: { lazy?: boolean } = {}): Promise<void> {
    const loop = this.#loop;
    if (!this.#mounted || loop === null) throw new Error(`${this.fs} lab is not mounted`);
    // A dead FUSE daemon makes sync fail too; lazy unmount is the way out of that, so it goes on.
    await run('sync', ['-f', this.#mnt]).catch((error: unknown) => {
      if (!opts.lazy) throw error;
    });
    await this.#umount(opts.lazy === true);
    this.#mounted = false;
    // A lazily unmounted filesystem may stay busy indefinitely; detaching then only sets autoclear.
    const released = isFuse(this.fs) ? await waitUntilReleased(loop, opts.lazy ? 2000 : 10_000) : true;
    await detachLoop(loop);
    this.#loop = null;
    if (!released && !opts.lazy) throw new Error(`${loop} was still open by the ${this.fs} FUSE daemon 10 s after umount`);
  }

  // A FUSE daemon (ntfs-3g) can hold its mount for a moment after the last file is closed: a busy
  // mount is retried briefly, and if it stays busy the error names who holds it.
  async #umount(lazy: boolean): Promise<void> {
    if (lazy) return void (await run('umount', ['-l', this.#mnt]));
    for (let attempt = 1; ; attempt++) {
      try {
        await run('umount', [this.#mnt]);
        return;
      } catch (error) {
        if (!/busy/i.test(String(error))) throw error;
        if (attempt >= 5) {
          const holders = await run('fuser', ['-vm', this.#mnt]).then((r) => r.stderr.trim() || r.stdout.trim(), () => 'fuser could not tell');
          throw new Error(`${String(error)}; held by: ${holders}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** number = that many random bytes. Each file is fsynced; parent dirs are created. */
  async writeFiles(spec: Record<string, Buffer | number>): Promise<void> {
    for (const [rel, content] of Object.entries(spec)) {
      const target = this.path(rel);
      await mkdir(dirname(target), { recursive: true });
      const handle = await open(target, 'w');
      try {
        await handle.writeFile(typeof content === 'number' ? randomBytes(content) : content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async randomTree(n: number, opts: { seed?: number } = {}): Promise<string[]> {
    const spec = randomTreeSpec(n, opts.seed);
    await this.writeFiles(spec);
    return Object.keys(spec).sort();
  }

  /** Physical extents, allocation-rounded (clip the last one to the file size before comparing bytes). */
  async mapFiles(rels: string[]): Promise<Map<string, Extent[]>> {
    const names = rels.map((rel) => relative(this.#mnt, this.path(rel)));
    let byName: Map<string, Extent[]>;
    switch (this.fs) {
      case 'ext4':
      case 'xfs':
      case 'btrfs':
        byName = await this.#whileMounted(async () => {
          // FIEMAP has nothing to say about delayed allocations: get them placed first.
          await run('sync', ['-f', this.#mnt]);
          const files = await fiemap(this.#mnt, names);
          const chunks = this.fs === 'btrfs' ? await readBtrfsChunks(this.img) : null;
          return new Map([...files].map(([rel, f]) => [rel, chunks ? btrfsToDevice(f.extents, chunks) : f.extents]));
        });
        break;
      case 'ntfs':
        byName = await this.#whileUnmounted(() => ntfsExtents(this.img, names));
        break;
      case 'vfat':
      case 'exfat':
        // Unmounting is the only dependable flush through fusefat/exfat-fuse.
        if (this.#mounted) await this.#remount();
        byName = await this.#whileMounted(async () => {
          const image = await readFile(this.img);
          const search = new ImageSearch(image, fatGeometry(image.subarray(0, 512)));
          const map = new Map<string, Extent[]>();
          for (const rel of names) map.set(rel, search.locate(await readFile(this.path(rel)), rel));
          return map;
        });
        break;
    }
    return new Map(rels.map((rel, i) => [rel, byName.get(names[i]!) ?? []]));
  }

  /** XOR bytes of the image directly, the way a failing disk would change them. */
  async flip(physical: number, length: number, xorMask = 0xff): Promise<void> {
    if (this.#mounted || this.#loop !== null) {
      throw new Error('flip() needs the lab unmounted: a mounted filesystem would serve or write back what it cached');
    }
    if (!Number.isInteger(xorMask) || xorMask < 1 || xorMask > 0xff) throw new Error(`xorMask must be 1..255, got ${xorMask}`);
    const { size } = await stat(this.img);
    if (!Number.isInteger(physical) || !Number.isInteger(length) || physical < 0 || length < 1 || physical + length > size) {
      throw new Error(`cannot flip ${length} bytes at ${physical} of a ${size}-byte image`);
    }
    const handle = await open(this.img, 'r+');
    try {
      const bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, physical);
      for (let i = 0; i < length; i++) bytes[i]! ^= xorMask;
      await handle.write(bytes, 0, length, physical);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Flips `length` bytes at file offset `at` (default 4 bytes at 12345, one bit each). */
  async corrupt(rel: string, opts: { at?: number; length?: number; mask?: number } = {}): Promise<{ physical: number }> {
    const [file] = await this.#layouts([rel]);
    const ranges = imageRanges(file!, opts.at ?? 12345, opts.length ?? 4);
    await this.#whileUnmounted(() => this.#flipAll(ranges, opts.mask ?? 0x01));
    return { physical: ranges[0]!.physical };
  }

  async corruptBand(rels: [string, string, string]): Promise<{ start: number; length: number }> {
    const [first, middle, last] = await this.#layouts(rels);
    const band = bandRange([first!, middle!, last!]);
    await this.#whileUnmounted(() => this.#flipAll([band], 0xff));
    return { start: band.physical, length: band.length };
  }

  /** Defaults to every file in the lab, so the chosen band cannot cover an unlisted file. */
  async neighbours(count: number, candidates?: string[]): Promise<string[]> {
    const rels = candidates ?? (await this.#whileMounted(() => this.#listFiles()));
    const found = findNeighbours(await this.#layouts(rels), count);
    if (!found) throw new Error(`no ${count} files of ${rels.length} in the ${this.fs} lab lie back to back`);
    return found;
  }

  /** Unmounts, detaches, removes the temp dir. Idempotent; safe after any failure. */
  dispose(): Promise<void> {
    this.#disposal ??= this.#cleanUp();
    return this.#disposal;
  }

  async #cleanUp(): Promise<void> {
    const problems: unknown[] = [];
    if (this.#mounted) {
      await this.unmount().catch(async (error: unknown) => {
        problems.push(error);
        if (this.#mounted) await this.unmount({ lazy: true }).catch((lazyError: unknown) => problems.push(lazyError));
      });
    }
    if (this.#loop !== null) {
      try {
        await detachLoop(this.#loop);
        this.#loop = null;
      } catch (error) {
        problems.push(error);
      }
    }
    // Never recurse into a filesystem that is still mounted: that would be deleting through it.
    if (!this.#mounted) {
      for (const { top, target } of this.#createdMountpoints) removeEmptyDirs(target, top);
      await rm(this.dir, { recursive: true, force: true }).catch((error: unknown) => problems.push(error));
    }
    abandoned.delete(this);
    if (problems.length > 0) throw new AggregateError(problems, `${this.fs} lab in ${this.dir} was not fully cleaned up`);
  }

  #abandonSync(): void {
    if (this.#mounted) spawnSync('umount', ['-l', this.#mnt], { stdio: 'ignore' });
    if (this.#loop !== null) spawnSync('losetup', ['-d', this.#loop], { stdio: 'ignore' });
    if (isMountpoint(this.#mnt)) return;
    for (const { top, target } of this.#createdMountpoints) removeEmptyDirs(target, top);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #remount(): Promise<void> {
    await this.unmount();
    await this.mount();
  }

  async #whileMounted<T>(work: () => Promise<T>): Promise<T> {
    if (this.#mounted) return work();
    await this.mount();
    try {
      return await work();
    } finally {
      await this.unmount();
    }
  }

  async #whileUnmounted<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#mounted) return work();
    await this.unmount();
    try {
      return await work();
    } finally {
      await this.mount();
    }
  }

  async #flipAll(ranges: ImageRange[], mask: number): Promise<void> {
    for (const range of ranges) await this.flip(range.physical, range.length, mask);
  }

  async #layouts(rels: string[]): Promise<FileLayout[]> {
    const sizes = await this.#whileMounted(() => Promise.all(rels.map(async (rel) => (await stat(this.path(rel))).size)));
    const maps = await this.mapFiles(rels);
    return rels.map((rel, i) => ({ rel, size: sizes[i]!, extents: maps.get(rel) ?? [] }));
  }

  async #listFiles(dir = ''): Promise<string[]> {
    const files: string[] = [];
    for (const entry of await readdir(join(this.#mnt, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) files.push(...(await this.#listFiles(rel)));
      else if (entry.isFile()) files.push(rel);
    }
    return files.sort();
  }
}

// Mountpoints that mount(at) created, removed only while empty: a user's files are never at risk.
function removeEmptyDirs(from: string, upTo: string): void {
  for (let dir = from; dir.startsWith(upTo); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === upTo) return;
  }
}
