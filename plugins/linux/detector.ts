// Gathers the facts (one lsblk, one blkid per 500 devices, one udevadm, sysfs reads) and hands
// them to assemble(), which is pure. Every source is optional: a missing tool or privilege
// becomes an UnknownFact on the devices it would have described, never a failed detection.
import { stat } from 'node:fs/promises';
import type { DetectedDevice, DetectRequest, Detector, PluginContext } from '../../src/shared/plugin-api.js';
import { assemble, type Observations } from './assemble.js';
import { blkidCalls, parseBlkidExport, type BlkidRecords } from './blkid.js';
import { parseLsblkJson, type LsblkDevice } from './lsblk.js';
import { fuseDaemonDevices } from './fuse-daemon.js';
import { isBlockDevno, mountVerdict } from './mounts.js';
import { knameForDevno, readBtrfsMembers, readSysfs, type SysfsFacts } from './sysfs.js';
import { parseUdevDb, type UdevRecords } from './udev.js';

// The shared runner wraps spawn errors; the ENOENT of a missing executable is on the cause.
const missingTool = (error: unknown) =>
  [error, (error as { cause?: unknown }).cause].some((e) => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT');
const why = (error: unknown) => ((error as { stderr?: string }).stderr || (error as Error).message || String(error)).trim().split('\n')[0]!;

async function runLsblk(context: PluginContext): Promise<{ devices: LsblkDevice[] | null; problem: string | null }> {
  try {
    const { stdout } = await context.run('lsblk', ['-J', '-b', '-O'], { timeoutMs: 30_000 });
    return { devices: parseLsblkJson(stdout), problem: null };
  } catch (error) {
    return { devices: null, problem: missingTool(error) ? 'lsblk is not installed' : `lsblk failed: ${why(error)}` };
  }
}

async function runBlkid(context: PluginContext, devices: string[]): Promise<{ records: BlkidRecords; problem: string | null }> {
  const records: BlkidRecords = new Map();
  let problem: string | null = null;
  for (const args of blkidCalls(devices)) {
    try {
      const { stdout } = await context.run('blkid', args, { timeoutMs: 60_000 });
      for (const [dev, rec] of parseBlkidExport(stdout)) records.set(dev, rec);
    } catch (error) {
      // Exit 2 means "nothing found for any device": the same as every device unanswered.
      const code = (error as { exitCode?: number | null }).exitCode;
      if (missingTool(error)) return { records, problem: 'blkid is not installed' };
      if (code !== 2) problem = `blkid failed: ${why(error)}`;
    }
  }
  return { records, problem };
}

async function runUdev(context: PluginContext): Promise<{ records: UdevRecords | null; problem: string | null }> {
  try {
    const { stdout } = await context.run('udevadm', ['info', '--export-db'], { timeoutMs: 30_000 });
    const records = parseUdevDb(stdout);
    return records.size > 0 ? { records, problem: null } : { records: null, problem: 'the udev database is empty (no udevd here, as in most containers)' };
  } catch (error) {
    return { records: null, problem: missingTool(error) ? 'udevadm is not installed (no udev here, as in most containers)' : `udevadm failed: ${why(error)}` };
  }
}

/** The kernel name of a block device node; 'not-block' for anything else that exists. */
async function sourceKname(source: string): Promise<string | 'not-block' | null> {
  try {
    const st = await stat(source);
    if (!st.isBlockDevice()) return 'not-block';
    // Linux dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
    const rdev = BigInt(st.rdev);
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    return knameForDevno(`${major}:${minor}`);
  } catch {
    return null;
  }
}

/** Every kernel name from the mounted devices down to their disks. */
async function readChains(start: string[], lsblk: LsblkDevice[] | null): Promise<Map<string, SysfsFacts>> {
  const lsblkParents = new Map((lsblk ?? []).map((d) => [d.kname, d.parents]));
  const sysfs = new Map<string, SysfsFacts>();
  const queue = [...start];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const kname = queue.shift()!;
    if (seen.has(kname)) continue;
    seen.add(kname);
    const facts = await readSysfs(kname);
    if (facts) sysfs.set(kname, facts);
    queue.push(...(facts?.parents ?? []), ...(lsblkParents.get(kname) ?? []));
  }
  return sysfs;
}

export const linuxDetector: Detector = {
  async detect(request: DetectRequest, context: PluginContext): Promise<DetectedDevice[]> {
    // A FUSE daemon's device stands in for a source that names only the driver (fusefat).
    const daemonDevices = await fuseDaemonDevices(request.mounts);
    const mounts = request.mounts.map((m) => (daemonDevices.has(m.mountPoint) ? { ...m, source: daemonDevices.get(m.mountPoint)! } : m)).filter((m) => mountVerdict(m).handled);
    if (mounts.length === 0) return [];

    const devnoToKname = new Map<string, string>();
    const sourceToKname = new Map<string, string>();
    const nonBlockSources = new Set<string>();
    for (const mount of mounts) {
      if (isBlockDevno(mount.devno) && !devnoToKname.has(mount.devno)) {
        const kname = await knameForDevno(mount.devno);
        if (kname) devnoToKname.set(mount.devno, kname);
      }
      if (mount.source.startsWith('/dev/') && !sourceToKname.has(mount.source) && !nonBlockSources.has(mount.source)) {
        const kname = await sourceKname(mount.source);
        if (kname === 'not-block') nonBlockSources.add(mount.source);
        else if (kname) sourceToKname.set(mount.source, kname);
      }
    }

    const lsblk = await runLsblk(context);
    const tops = new Set([...devnoToKname.values(), ...sourceToKname.values()]);
    const btrfs = mounts.some((m) => m.fsType === 'btrfs') ? await readBtrfsMembers() : new Map<string, string[]>();
    for (const members of btrfs.values()) if (members.some((k) => tops.has(k))) members.forEach((k) => tops.add(k));
    const sysfs = await readChains([...tops], lsblk.devices);

    const lsblkPath = new Map((lsblk.devices ?? []).map((d) => [d.kname, d.path]));
    const blkidTargets = [...tops].map((k) => lsblkPath.get(k) ?? `/dev/${k}`);
    for (const m of mounts) if (m.source.startsWith('/dev/') && !sourceToKname.has(m.source) && !nonBlockSources.has(m.source)) blkidTargets.push(m.source);
    const blkid = await runBlkid(context, [...new Set(blkidTargets)]);
    const udev = await runUdev(context);

    const observations: Observations = {
      mounts,
      lsblk: lsblk.devices,
      lsblkProblem: lsblk.problem,
      blkid: blkid.records,
      blkidAsked: new Set(blkidTargets),
      blkidProblem: blkid.problem,
      udev: udev.records,
      udevProblem: udev.problem,
      sysfs,
      devnoToKname,
      sourceToKname,
      nonBlockSources,
      btrfsMembers: btrfs,
      isRoot: context.isRoot,
    };
    return assemble(observations);
  },
};
