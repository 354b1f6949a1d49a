/** Which device and filesystem a scan root lives on: mountinfo for the mount, blkid for the UUID. */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { mountFor, parseMountinfo, type MountEntry } from '../domain/mountinfo.js';

const run = promisify(execFile);

export interface RootDevice {
  dev: bigint;
  mountPoint: string | null;
  /** Mount type from mountinfo (`fuseblk` for ntfs-3g and exfat-fuse). */
  mountType: string | null;
  /** Content type from blkid when it could be read (ntfs, exfat, vfat), else the mount type. */
  fsType: string | null;
  source: string | null;
  uuid: string | null;
  label: string | null;
  /** What could not be learned, and why. */
  note: string | null;
  /** The recorded storage device and mount, when a detector recognised them. */
  deviceId: number | null;
  mountId: number | null;
}

/** What a detector said of the root's device; without it, blkid is asked directly. */
export interface KnownDevice {
  deviceId: number | null;
  mountId: number | null;
  fsType: string;
  uuid: string | null;
  label: string | null;
  note: string | null;
}

export async function readMountTable() {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/**
 * `entries` without the bind mounts of single files. Docker puts the host's /etc/hosts,
 * /etc/hostname and /etc/resolv.conf into every container that way, from the host's disk: listed
 * as that disk's mounts they say nothing of where the files to verify live. Only block-backed
 * mount points are looked at (a stat of a network mount point can hang); one that cannot be
 * stat'ed is kept.
 */
export async function withoutFileMounts(entries: MountEntry[]): Promise<MountEntry[]> {
  const isFile = await Promise.all(entries.map((e) => (e.major > 0 ? stat(e.mountPoint).then((st) => !st.isDirectory(), () => false) : false)));
  return entries.filter((_, i) => !isFile[i]);
}

export async function describeRoot(path: string, known: KnownDevice | null = null): Promise<RootDevice> {
  const st = await stat(path, { bigint: true });
  const mount = mountFor(await readMountTable(), path);
  const out: RootDevice = {
    dev: st.dev,
    mountPoint: mount?.mountPoint ?? null,
    mountType: mount?.fsType ?? null,
    fsType: mount?.fsType ?? null,
    source: mount?.source ?? null,
    uuid: null,
    label: null,
    note: mount ? null : 'no mount found for this path in /proc/self/mountinfo',
    deviceId: known?.deviceId ?? null,
    mountId: known?.mountId ?? null,
  };
  if (known) return { ...out, fsType: known.fsType || out.fsType, uuid: known.uuid, label: known.label, note: known.note };
  if (mount?.source.startsWith('/dev/')) {
    try {
      const { stdout } = await run('blkid', ['-p', '-o', 'export', mount.source], { timeout: 10_000 });
      const kv = Object.fromEntries(
        stdout
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      out.uuid = kv.UUID ?? null;
      out.label = kv.LABEL ?? null;
      if (kv.TYPE) out.fsType = kv.TYPE;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      out.note =
        e.code === 'ENOENT'
          ? 'blkid is not installed: filesystem UUID unknown'
          : `blkid could not read ${mount.source} (${(e.stderr || e.message).trim() || 'exit ' + e.code})${process.getuid?.() === 0 ? '' : '; reading the device needs root or the disk group'}`;
    }
  } else if (mount) {
    out.note = `not a block device (${mount.fsType} from ${mount.source}): no filesystem UUID`;
  }
  return out;
}
