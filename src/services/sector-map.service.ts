// Where files are on their disks: each file's mount and device, then one sector-mapper call per
// mount for all of its files (the plugins batch their child processes further).
import { realpathSync, statSync } from 'node:fs';
import type { FileMapping, MapResult, PhysicalExtent, UsedSpaceResult } from '../shared/plugin-api.js';
import { usageError } from '../domain/errors.js';
import { mountFor, type MountEntry } from '../domain/mountinfo.js';
import { displayPath, fsPath, hasEscapedBytes, textFromBytes } from '../domain/path-bytes.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';
import { readMountTable } from '../repositories/mount.repository.js';
import type { DeviceService } from './device.service.js';

export interface MappedFile {
  path: string;
  /** The block device the offsets count from (the partition or loop device), when known. */
  device: string | null;
  deviceId: number | null;
  fsType: string | null;
  mapper: string | null;
  extents: PhysicalExtent[];
  note: string | null;
  /** Why this file has no extents when it should have some. */
  error: string | null;
}

/** The mapper plugins take paths as text and hand them to tools as arguments, which cannot carry those bytes. */
const NOT_UTF8 = 'its name is not UTF-8, and the sector mappers take names as text: its bytes were verified, but where it lies on the disk is not known';

// A mapper that hangs (a stuck filefrag on a dying disk) must not hang Bitarr.
const MAP_TIMEOUT_MS = 10 * 60_000;

export class SectorMapService {
  constructor(
    private readonly plugins: PluginHost,
    private readonly devices: DeviceService,
    private readonly readMounts: () => Promise<MountEntry[]> = readMountTable,
  ) {}

  /** Every path must exist and be a regular file: that is checked before anything is mapped. */
  resolveFiles(paths: string[]): string[] {
    // Sync: a few µs of cached syscalls a path; awaiting each through the thread pool was most of a 10,000-file map.
    return paths.map((p) => {
      let real: string;
      try {
        // A name that is not UTF-8 is resolved as bytes (domain/path-bytes.ts).
        real = hasEscapedBytes(p) ? textFromBytes(realpathSync.native(fsPath(p), { encoding: 'buffer' })) : realpathSync(p);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw usageError(e.code === 'ENOENT' ? `no such file: ${displayPath(p)}` : `cannot open ${displayPath(p)}: ${e.message}`);
      }
      if (!statSync(fsPath(real)).isFile()) throw usageError(`not a regular file: ${displayPath(p)}`);
      return real;
    });
  }

  async map(files: string[]): Promise<MappedFile[]> {
    const table = await this.readMounts();
    const byMount = new Map<string, { mount: MountEntry | null; files: string[] }>();
    const results = new Map<string, MappedFile>();
    for (const f of files) {
      const mount = mountFor(table, f);
      if (hasEscapedBytes(f)) {
        results.set(f, { path: f, device: null, deviceId: null, fsType: mount?.fsType ?? null, mapper: null, extents: [], note: null, error: NOT_UTF8 });
        continue;
      }
      const key = mount ? `${mount.mountPoint}\0${mount.root}` : '';
      const group = byMount.get(key) ?? { mount, files: [] };
      group.files.push(f);
      byMount.set(key, group);
    }
    for (const { mount, files: group } of byMount.values()) {
      for (const r of await this.mapGroup(mount, group, table)) results.set(r.path, r);
    }
    return files.map((f) => results.get(f)!);
  }

  private async mapGroup(mount: MountEntry | null, files: string[], table: MountEntry[]): Promise<MappedFile[]> {
    const fail = (error: string, extra: Partial<MappedFile> = {}) =>
      files.map((path): MappedFile => ({ path, device: null, deviceId: null, fsType: mount?.fsType ?? null, mapper: null, extents: [], note: null, error, ...extra }));
    if (!mount) return fail('no mount holds this file in /proc/self/mountinfo');
    const loc = await this.devices.locate(files[0]!, table);
    // fuseblk says nothing of the filesystem: the detector's blkid type (ntfs, exfat) picks the mapper.
    const fsType = loc.device?.fsType || mount.fsType;
    const device = loc.device?.devicePath ?? (mount.source.startsWith('/dev/') ? mount.source : null);
    const base = { device, deviceId: loc.deviceId, fsType };
    const candidates = [...new Set([...this.plugins.mappersFor(fsType), ...this.plugins.mappersFor(mount.fsType)])];
    if (!candidates.length) return fail(`no sector mapper handles ${fsType}${fsType !== mount.fsType ? ` (mounted as ${mount.fsType})` : ''}: see bitarr plugins`, base);
    if (!device && !loc.device?.network) return fail(`the block device behind ${mount.mountPoint} is unknown (${mount.source})`, base);
    // The first mapper that can map this device answers; the others' reasons are kept for the error.
    const refusals: string[] = [];
    let record = candidates[0]!;
    let result: MapResult | null = null;
    for (const candidate of candidates) {
      record = candidate;
      try {
        const signal = AbortSignal.timeout(MAP_TIMEOUT_MS);
        const answer = await candidate.plugin!.sectorMapper!.map({ device: device ?? mount.source, mountPoint: mount.mountPoint, fsType, files, signal }, candidate.context!);
        if (answer.available) {
          result = answer;
          break;
        }
        refusals.push(`${answer.reason}${answer.needs ? ` (needs ${answer.needs})` : ''}`);
      } catch (err) {
        refusals.push(`the ${candidate.id} mapper failed: ${(err as Error).message}`);
      }
    }
    if (!result || !result.available) return fail(refusals.join('; '), { ...base, mapper: candidates.length === 1 ? record.id : null });
    const byPath = new Map<string, FileMapping>(result.files.map((f) => [f.path, f]));
    return files.map((path): MappedFile => {
      const f = byPath.get(path);
      if (!f) return { path, ...base, mapper: record.id, extents: [], note: null, error: `the ${record.id} mapper said nothing about this file` };
      if ('error' in f) return { path, ...base, mapper: record.id, extents: [], note: null, error: f.error };
      return { path, ...base, mapper: record.id, extents: [...f.extents].sort((a, b) => a.logical - b.logical), note: f.note ?? null, error: null };
    });
  }

  /**
   * Where on the device its filesystem has anything, from the first mapper that can say; null
   * with the reasons when none can (a share, a filesystem whose plugin does not tell, no privilege).
   */
  async usedSpace(device: string, mountPoint: string, fsType: string): Promise<{ result: UsedSpaceResult & { available: true }; mapper: string } | { result: null; reasons: string[] }> {
    const reasons: string[] = [];
    for (const record of this.plugins.mappersFor(fsType)) {
      const usedSpace = record.plugin!.sectorMapper!.usedSpace;
      if (!usedSpace) continue;
      try {
        const result = await usedSpace.call(record.plugin!.sectorMapper, { device, mountPoint, fsType, signal: AbortSignal.timeout(MAP_TIMEOUT_MS) }, record.context!);
        if (result.available) return { result, mapper: record.id };
        reasons.push(`${record.id}: ${result.reason}${result.needs ? ` (needs ${result.needs})` : ''}`);
      } catch (err) {
        reasons.push(`${record.id}: ${(err as Error).message}`);
      }
    }
    if (!reasons.length) reasons.push(`no plugin tells the used space of ${fsType}`);
    return { result: null, reasons };
  }
}
