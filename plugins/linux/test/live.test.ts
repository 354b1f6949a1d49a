// The detector on real filesystems: Lab images on loop devices, mounted here, described from
// this process's own /proc/self/mountinfo. Also as nobody, and with broken or missing tools.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import type { DetectedDevice, MountFacts, PluginContext } from '../../../src/shared/plugin-api.js';
import { Lab, fsNeeds, labTest, run } from '../../../test/lab/index.js';
import plugin from '../index.js';
import { mountFacts } from './fixtures.js';

const REPO = join(import.meta.dirname ?? '.', '..', '..', '..');
const detector = plugin.detector!;
const context = (): PluginContext => createPluginContext({ id: 'linux', config: {} }, {}, () => undefined);

async function mountsOf(device: string): Promise<MountFacts[]> {
  return mountFacts(await readFile('/proc/self/mountinfo', 'utf8')).filter((m) => m.source === device);
}

const blkidUuid = async (device: string) => (await run('blkid', ['-c', '/dev/null', '-s', 'UUID', '-o', 'value', device])).stdout.trim();

function theOne(devices: DetectedDevice[], loop: string): DetectedDevice {
  const matching = devices.filter((d) => d.devicePath === loop);
  if (matching.length !== 1) throw new Error(`expected one device for ${loop}, got ${JSON.stringify(devices, null, 1)}`);
  return matching[0]!;
}

labTest(fsNeeds('ext4'))('an ext4 image on a loop device: type loop, the UUID blkid reads, the mount, the size', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const mounts = await mountsOf(lab.loop!);
  t.is(mounts.length, 1);
  const proc: MountFacts = { mountPoint: '/proc', root: '/', fsType: 'proc', source: 'proc', options: 'rw', devno: '0:21' };

  const devices = await detector.detect({ mounts: [...mounts, proc] }, context());
  t.is(devices.length, 1);
  const device = theOne(devices, lab.loop!);
  t.is(device.type, 'loop');
  t.is(device.transport, 'loop');
  t.is(device.rotational, null);
  t.true(device.evidence.includes(`backed by file ${lab.img}`));
  const uuid = await blkidUuid(lab.loop!);
  t.regex(uuid, /^[0-9a-f-]{36}$/);
  t.is(device.fsUuid, uuid);
  t.deepEqual(device.identity, { kind: 'fs-uuid', value: uuid });
  t.is(device.fsType, 'ext4');
  t.deepEqual(device.mounts.map((m) => m.mountPoint), [lab.mnt]);
  t.is(device.sizeBytes, 256 * 1024 * 1024);
  t.deepEqual(device.unknown, []);
});

labTest(fsNeeds('btrfs'))('btrfs mounted whole, as a subvolume and bind-mounted: one device, three mounts', async (t) => {
  const lab = await Lab.create('btrfs');
  const subvolMount = join(lab.dir, 'sub1');
  const bindMount = join(lab.dir, 'bind2');
  const extra: string[] = [];
  t.teardown(async () => {
    // Ours first, by exact path, so the Lab never removes its directory through a live mount.
    for (const target of extra.reverse()) await run('umount', [target]);
    await lab.dispose();
  });
  await run('btrfs', ['subvolume', 'create', lab.path('sv1')]);
  await run('btrfs', ['subvolume', 'create', lab.path('sv2')]);
  await mkdir(subvolMount);
  await mkdir(bindMount);
  await run('mount', ['-t', 'btrfs', '-o', 'subvol=sv1', lab.loop!, subvolMount]);
  extra.push(subvolMount);
  await run('mount', ['--bind', lab.path('sv2'), bindMount]);
  extra.push(bindMount);

  const mounts = await mountsOf(lab.loop!);
  // btrfs gives the superblock an anonymous device number: /sys/dev/block does not know it.
  t.true(mounts.every((m) => m.devno!.startsWith('0:')));
  const device = theOne(await detector.detect({ mounts }, context()), lab.loop!);
  t.deepEqual(device.mounts.map((m) => [m.mountPoint, m.root]).sort(), [[bindMount, '/sv2'], [lab.mnt, '/'], [subvolMount, '/sv1']].sort());
  t.is(device.type, 'loop');
  t.is(device.fsUuid, await blkidUuid(lab.loop!));
  t.is(device.fsType, 'btrfs');
});

labTest([...fsNeeds('ext4'), 'setpriv'])('as nobody: still detected, and the UUID is an unknown that needs root', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const mounts = await mountsOf(lab.loop!);
  const { stdout } = await promisify(execFile)(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--import=tsx', 'plugins/linux/test/detect-cli.ts', JSON.stringify(mounts)],
    { cwd: REPO, env: { ...process.env, HOME: '/nonexistent' } },
  );
  const { uid, devices } = JSON.parse(stdout) as { uid: number; devices: DetectedDevice[] };
  t.not(uid, 0);
  const device = theOne(devices, lab.loop!);
  t.is(device.type, 'loop');
  t.is(device.fsUuid, null);
  const unknown = device.unknown.find((u) => u.fact === 'filesystem UUID');
  t.is(unknown?.needs, 'root');
  t.regex(unknown!.reason, new RegExp(`blkid could not read ${lab.loop}`));
  // The backing file names the loop across reboots better than loopN does.
  t.deepEqual(device.identity, { kind: 'kernel-name', value: lab.img });
  t.true(device.warnings.length > 0);
});

labTest(fsNeeds('ext4'))('a broken lsblk and a missing blkid degrade to sysfs facts and say so, never a failed detection', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const real = context();
  const broken: PluginContext = {
    ...real,
    run: async (command, args, options) => {
      if (command === 'lsblk') return { stdout: '{"blockdevices": [ {"name": "loop', stderr: '' };
      if (command === 'blkid') throw Object.assign(new Error('spawn blkid ENOENT'), { code: 'ENOENT' });
      return real.run(command, args, options);
    },
  };
  const device = theOne(await detector.detect({ mounts: await mountsOf(lab.loop!) }, broken), lab.loop!);
  t.is(device.type, 'loop');
  t.is(device.sizeBytes, 256 * 1024 * 1024);
  t.true(device.evidence.includes(`backed by file ${lab.img}`));
  t.regex(device.unknown.find((u) => u.fact.startsWith('lsblk facts'))!.reason, /not JSON/);
  t.regex(device.unknown.find((u) => u.fact === 'filesystem UUID')!.reason, /blkid is not installed/);
  t.true(device.warnings.includes('blkid is not installed'));
});

labTest(['lsblk'])('a mount whose /dev source does not exist here is reported with what is missing', async (t) => {
  const ghost: MountFacts = { mountPoint: '/mnt/ghost', root: '/', fsType: 'ext4', source: '/dev/bitarr-no-such-disk', options: 'rw', devno: null };
  // A FUSE filesystem naming a character device as its source has no disk to describe.
  const charDevice: MountFacts = { ...ghost, mountPoint: '/mnt/fuse', fsType: 'fuse.lxcfs', source: '/dev/null', devno: '0:60' };
  const devices = await detector.detect({ mounts: [ghost, charDevice] }, context());
  t.is(devices.length, 1);
  const [device] = devices;
  t.is(device!.type, 'unknown');
  t.deepEqual(device!.mounts, [ghost]);
  t.is(device!.unknown.find((u) => u.fact === 'device')?.needs, 'the device passed through');
  t.is(device!.identity.kind, 'kernel-name');
});
