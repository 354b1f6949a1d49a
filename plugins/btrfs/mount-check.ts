// Is the device really the filesystem mounted at the mount point, and which paths below it are
// on another filesystem? Offsets are only worth something on the right device.
// stat().dev cannot answer either on btrfs: every subvolume has a device number of its own.
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename } from 'node:path';

export interface MountLine {
  /** `major:minor` of the superblock: the same for every mount of one btrfs filesystem. */
  devno: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

const unescape = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** /proc/self/mountinfo lines (proc(5)). Pure. */
export function parseMountinfo(text: string): MountLine[] {
  const lines: MountLine[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    if (before.length < 5 || after.length < 2) continue;
    lines.push({ devno: before[2]!, mountPoint: unescape(before[4]!), fsType: after[0]!, source: unescape(after[1]!) });
  }
  return lines;
}

/** The mount at `mountPoint` (the last one when mounts are stacked) and the mount points of other filesystems below it. */
export function mountsAt(lines: MountLine[], mountPoint: string): { own: MountLine | undefined; foreignBelow: string[] } {
  const own = lines.filter((line) => line.mountPoint === mountPoint).at(-1);
  const prefix = mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`;
  const foreignBelow = lines
    .filter((line) => line.mountPoint.startsWith(prefix) && line.devno !== own?.devno)
    .map((line) => line.mountPoint);
  return { own, foreignBelow };
}

export function isBelow(path: string, mountPoint: string): boolean {
  return path.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
}

export async function readMountinfo(): Promise<MountLine[] | null> {
  try {
    return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
}

async function sysName(device: string): Promise<string | null> {
  try {
    return basename(await realpath(device));
  } catch {
    return null;
  }
}

/**
 * The kernel lists the member devices of each mounted btrfs in /sys/fs/btrfs/FSID/devices/.
 * Both the requested device and the mount's source must be there. Where sysfs or the mount line
 * cannot be read (a container without them), the device is taken on trust.
 */
export async function deviceMismatch(device: string, fsid: string, own: MountLine | undefined, mountPoint: string): Promise<string | null> {
  let mounted: string[];
  try {
    mounted = await readdir('/sys/fs/btrfs');
  } catch {
    return null;
  }
  if (!mounted.includes(fsid)) return `${device} holds btrfs ${fsid}, which is not mounted`;
  let members: string[];
  try {
    members = await readdir(`/sys/fs/btrfs/${fsid}/devices`);
  } catch {
    return null;
  }
  const name = await sysName(device);
  if (name !== null && !members.includes(name)) {
    return `${device} holds btrfs ${fsid}, which is not mounted here (its devices: ${members.join(', ') || 'none'})`;
  }
  if (own === undefined || own.fsType !== 'btrfs') return own ? `${mountPoint} is ${own.fsType}, not btrfs` : null;
  const source = await sysName(own.source);
  if (source !== null && !members.includes(source)) {
    return `${device} is not the device mounted at ${mountPoint}: that is ${own.source}, not a device of btrfs ${fsid}`;
  }
  return null;
}
