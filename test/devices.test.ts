/**
 * Devices as a user meets them: `bitarr devices` names each disk by what survives a reboot, and
 * a disk that comes back under another loop number and at another mount point keeps its
 * identity, its history and its baselines — while another disk mounted where it was is never
 * compared with its files.
 */
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bitarr, byPath, scan, tempDir } from './helpers/bitarr.js';
import { Lab, fsNeeds, labTest, run } from './lab/index.js';

const ext4 = labTest(['root', ...fsNeeds('ext4'), 'blkid', 'lsblk']);

interface DevicesJson {
  hosts: Array<{
    id: string;
    displayName: string;
    local: boolean;
    devices: Array<{ id: number; identity: { kind: string; value: string }; fsType: string; uuid: string | null; type: string; network: boolean; devicePath: string | null; present: boolean; evidence: string[]; unknown: Array<{ fact: string; reason: string; needs?: string }>; mounts: Array<{ mountPoint: string; present: boolean }> }>;
  }>;
}

async function devices(cfg: string, all = false): Promise<DevicesJson> {
  const r = await bitarr(['devices', '--json', '--config-dir', cfg, ...(all ? ['--all'] : [])]);
  if (r.code !== 0) throw new Error(`devices exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DevicesJson;
}

const uuidOf = async (dev: string) => (await run('blkid', ['-p', '-s', 'UUID', '-o', 'value', dev])).stdout.trim();

ext4('bitarr devices: a loop-mounted ext4 is a loop device known by its filesystem UUID, with its mount', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(await tempDir(t), 'cfg');
  const uuid = await uuidOf(lab.loop!);
  const json = await devices(cfg);
  t.is(json.hosts.length, 1);
  t.true(json.hosts[0]!.local);
  const device = json.hosts[0]!.devices.find((d) => d.uuid === uuid);
  t.truthy(device, `a device with UUID ${uuid}`);
  t.deepEqual(device!.identity, { kind: 'fs-uuid', value: uuid });
  t.is(device!.type, 'loop');
  t.is(device!.fsType, 'ext4');
  t.false(device!.network);
  t.is(device!.devicePath, lab.loop);
  t.deepEqual(device!.mounts.map((m) => m.mountPoint), [lab.mnt]);
});

ext4('a bind mount of a single file (as Docker mounts /etc/hosts) is not listed as a mount of its disk; a bind-mounted folder is', async (t) => {
  // The temp dir first: teardowns run last-in first-out, and the mounts are inside it.
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  await mkdir(join(lab.mnt, 'photos'));
  await writeFile(join(lab.mnt, 'hosts'), '127.0.0.1 localhost\n');
  const folder = join(dir, 'photos-bound');
  const file = join(dir, 'hosts-bound');
  await mkdir(folder);
  await writeFile(file, '');
  await run('mount', ['--bind', join(lab.mnt, 'photos'), folder]);
  t.teardown(() => run('umount', [folder]).then(() => undefined));
  await run('mount', ['--bind', join(lab.mnt, 'hosts'), file]);
  t.teardown(() => run('umount', [file]).then(() => undefined));

  const json = await devices(join(dir, 'cfg'));
  const device = json.hosts[0]!.devices.find((d) => d.devicePath === lab.loop);
  t.truthy(device, `the device ${lab.loop}`);
  t.deepEqual(device!.mounts.map((m) => m.mountPoint).sort(), [lab.mnt, folder].sort());
});

ext4('a disk back under another loop number and mount point keeps its identity and its baselines', async (t) => {
  // The temp dir first: teardowns run last-in first-out, and the lab is mounted inside it.
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  const files = await lab.randomTree(30, { seed: 11 });
  const first = await scan(lab.mnt, cfg);
  t.is(first.code, 0, first.stderr);
  const oldLoop = lab.loop!;
  const oldMnt = lab.mnt;
  const before = (await devices(cfg)).hosts[0]!.devices.find((d) => d.devicePath === oldLoop)!;

  await lab.unmount();
  // Hold the old loop number so the disk must come back under another one.
  const holder = join(dir, 'holder.img');
  await writeFile(holder, Buffer.alloc(1 << 20));
  await run('losetup', [oldLoop, holder]);
  t.teardown(() => run('losetup', ['-d', oldLoop]).then(() => undefined));
  await lab.mount(join(dir, 'elsewhere', 'photos'));
  t.not(lab.loop, oldLoop);
  t.not(lab.mnt, oldMnt);

  const again = await scan(lab.mnt, cfg);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(byPath(again.json), {}, 'no file new, missing or changed: the baselines followed the disk');
  t.is(again.json.counts.ok, files.length);
  t.regex(JSON.stringify(again.json.roots[0]!.device), new RegExp(`mounted at ${oldMnt} before: ${files.length} baselines followed it`));

  const after = (await devices(cfg, true)).hosts[0]!.devices.find((d) => d.identity.value === before.identity.value)!;
  t.is(after.id, before.id, 'the same device record');
  t.is(after.devicePath, lab.loop);
  t.deepEqual(
    after.mounts.map((m) => [m.mountPoint, m.present]).sort(),
    [
      [lab.mnt, true],
      [oldMnt, false],
    ].sort(),
  );
});

ext4('two disks swapped between mount points are each verified against their own baselines', async (t) => {
  const dir = await tempDir(t);
  const a = await Lab.create('ext4');
  t.teardown(() => a.dispose());
  const b = await Lab.create('ext4');
  t.teardown(() => b.dispose());
  const cfg = join(dir, 'cfg');
  // The same names with other contents: compared with each other they would all be "modified".
  await a.writeFiles({ 'same.txt': Buffer.from('disk A'), 'only-a.txt': 100 });
  await b.writeFiles({ 'same.txt': Buffer.from('disk B'), 'only-b.txt': 100 });
  const slotA = join(dir, 'slot-a');
  const slotB = join(dir, 'slot-b');
  await a.unmount();
  await b.unmount();
  await a.mount(slotA);
  await b.mount(slotB);
  t.is((await scan([slotA, slotB], cfg)).code, 0);

  await a.unmount();
  await b.unmount();
  await a.mount(slotB);
  await b.mount(slotA);
  const swapped = await scan([slotA, slotB], cfg);
  t.is(swapped.code, 0, swapped.stderr);
  t.deepEqual(byPath(swapped.json), {}, 'nothing new, modified or missing');
  t.is(swapped.json.counts.ok, 4);
});

ext4('as an unprivileged user, bitarr devices still lists the disk and says which facts need root', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  await mkdir(cfg);
  await chown(cfg, 65534, 65534);
  await chmod(dir, 0o755);
  const r = await bitarr(['devices', '--json', '--config-dir', cfg], { uid: 65534, gid: 65534 });
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as DevicesJson;
  const device = json.hosts[0]!.devices.find((d) => d.mounts.some((m) => m.mountPoint === lab.mnt));
  t.truthy(device, 'the lab disk is listed');
  t.is(device!.type, 'loop');
  t.true(
    device!.unknown.some((u) => /uuid/i.test(u.fact) && u.needs === 'root'),
    `the UUID is an unknown that needs root: ${JSON.stringify(device!.unknown)}`,
  );
});
