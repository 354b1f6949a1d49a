// Recorded outputs in, Observations out: the same shape the detector builds from live tools,
// so the fixture tests exercise assemble() exactly as detect() does.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMountinfo } from '../../../src/domain/mountinfo.js';
import type { MountFacts } from '../../../src/shared/plugin-api.js';
import type { Observations } from '../assemble.js';
import { parseLsblkJson, type LsblkDevice } from '../lsblk.js';
import { mountVerdict } from '../mounts.js';

export const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');

export const testdata = (name: string) => readFileSync(join(TESTDATA, name), 'utf8');

/** mountinfo text → the MountFacts a caller of detect() hands over. */
export function mountFacts(text: string): MountFacts[] {
  return parseMountinfo(text).map((e) => ({
    mountPoint: e.mountPoint,
    root: e.root,
    fsType: e.fsType,
    source: e.source,
    options: e.options,
    devno: `${e.major}:${e.minor}`,
  }));
}

/** The hardware.mountinfo lines of one source, optionally only the given mount points. */
export function fixtureMounts(source: string, ...mountPoints: string[]): MountFacts[] {
  const found = mountFacts(testdata('hardware.mountinfo')).filter(
    (m) => m.source === source && (mountPoints.length === 0 || mountPoints.includes(m.mountPoint)),
  );
  if (found.length === 0) throw new Error(`no ${source} ${mountPoints.join(' ')} in hardware.mountinfo`);
  return found;
}

/** A host seen through one lsblk output only: no blkid answers, no udev, no sysfs (a container). */
export function observations(lsblk: string | LsblkDevice[], mounts: MountFacts[], extra: Partial<Observations> = {}): Observations {
  return {
    mounts: mounts.filter((m) => mountVerdict(m).handled),
    lsblk: typeof lsblk === 'string' ? parseLsblkJson(testdata(lsblk)) : lsblk,
    lsblkProblem: null,
    blkid: new Map(),
    blkidAsked: new Set(mounts.map((m) => m.source)),
    blkidProblem: null,
    udev: null,
    udevProblem: 'udevadm is not installed (no udev here, as in most containers)',
    sysfs: new Map(),
    devnoToKname: new Map(),
    sourceToKname: new Map(),
    btrfsMembers: new Map(),
    isRoot: true,
    ...extra,
  };
}
