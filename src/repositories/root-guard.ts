/**
 * Watches a scan root for the faults that must never turn into `missing` or `vanished`: the
 * mount disappearing (even lazily, while open directory handles keep working), the root going
 * unreadable, or a root that had files turning empty.
 */
import { existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';

export class RootGuard {
  private lastCheck = 0;
  private lastResult: string | null = null;

  private constructor(
    readonly path: string,
    readonly dev: bigint,
    readonly ino: bigint,
    private readonly hadEntries: boolean,
    /** The block device's sysfs entry: it disappears when a USB disk is pulled, while the mount stays. */
    private readonly sysfs: { device: string; entry: string } | null,
  ) {}

  static async watch(path: string, source: string | null): Promise<RootGuard> {
    const st = await stat(path, { bigint: true });
    const entries = await readdir(path);
    let sysfs: { device: string; entry: string } | null = null;
    if (source?.startsWith('/dev/')) {
      const entry = `/sys/class/block/${basename(await realpath(source).catch(() => source))}`;
      if (existsSync(entry)) sysfs = { device: source, entry };
    }
    return new RootGuard(path, st.dev, st.ino, entries.length > 0, sysfs);
  }

  get startedEmpty(): boolean {
    return !this.hadEntries;
  }

  /** Null while the root is what it was; otherwise why the scan must stop as interrupted. */
  async problem(maxAgeMs = 250): Promise<string | null> {
    const now = Date.now();
    if (this.lastResult !== null) return this.lastResult;
    if (now - this.lastCheck < maxAgeMs) return null;
    this.lastCheck = now;
    this.lastResult = await this.inspect();
    return this.lastResult;
  }

  private async inspect(): Promise<string | null> {
    if (this.sysfs && !existsSync(this.sysfs.entry)) return `the device ${this.sysfs.device} disappeared during the scan`;
    let st;
    try {
      st = await stat(this.path, { bigint: true });
    } catch (err) {
      return `the scan root ${this.path} became unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (st.dev !== this.dev || st.ino !== this.ino) return `the filesystem at ${this.path} was unmounted or replaced during the scan`;
    if (this.hadEntries) {
      try {
        if ((await readdir(this.path)).length === 0) return `the scan root ${this.path} turned empty during the scan`;
      } catch (err) {
        return `the scan root ${this.path} became unreadable (${(err as NodeJS.ErrnoException).code})`;
      }
    }
    return null;
  }
}
