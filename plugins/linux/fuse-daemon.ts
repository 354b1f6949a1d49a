// FUSE drivers that serve a block device (fusefat, older exfat-fuse builds) often leave no trace
// of it in mountinfo: the source is the driver's name and the device number is anonymous. The
// daemon's own command line names both the device and the mount point, so it is asked instead.
import { readdir, readFile, stat } from 'node:fs/promises';
import type { MountFacts } from '../../src/shared/plugin-api.js';
import { isBlockDevno } from './mounts.js';

/** A FUSE mount whose source does not name a device: the ones worth asking the daemon about. */
export const needsDaemonLookup = (m: MountFacts) => m.fsType.startsWith('fuse') && !m.source.startsWith('/dev/') && !isBlockDevno(m.devno);

/** Pure: the block device a daemon's arguments name for `mountPoint`, given which of its arguments are block devices. */
export function deviceFromArgs(args: string[], mountPoint: string, isBlock: (arg: string) => boolean): string | null {
  if (!args.includes(mountPoint)) return null;
  return args.find((a) => a !== mountPoint && a.startsWith('/dev/') && isBlock(a)) ?? null;
}

/** mountPoint → the block device its FUSE daemon serves, for the mounts that need it. */
export async function fuseDaemonDevices(mounts: MountFacts[]): Promise<Map<string, string>> {
  const wanted = mounts.filter(needsDaemonLookup);
  const found = new Map<string, string>();
  if (!wanted.length) return found;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const blockCache = new Map<string, boolean>();
  for (const pid of pids) {
    // A process may end, or hide its command line (hidepid): either way it is not the one.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline) continue;
    const args = cmdline.split('\0').filter(Boolean);
    for (const m of wanted) {
      if (found.has(m.mountPoint) || !args.includes(m.mountPoint)) continue;
      for (const a of args) {
        if (a.startsWith('/dev/') && !blockCache.has(a)) blockCache.set(a, await stat(a).then((s) => s.isBlockDevice(), () => false));
      }
      const device = deviceFromArgs(args, m.mountPoint, (a) => blockCache.get(a) === true);
      if (device) found.set(m.mountPoint, device);
    }
  }
  return found;
}
