import test from 'ava';
import { readFileSync } from 'node:fs';
import type { MountFacts } from '../../../src/shared/plugin-api.js';
import { parseMountinfo } from '../../../src/domain/mountinfo.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import plugin from '../index.js';
import { NETWORK_FILESYSTEMS, shareIdentity } from '../shares.js';

const mount = (fsType: string, source: string, mountPoint: string): MountFacts => ({ fsType, source, mountPoint, root: '/', options: 'rw', devno: '0:52' });
const ctx = createPluginContext(null);

test('plugin.json lists exactly the types the detector handles', (t) => {
  const manifest = JSON.parse(readFileSync(new URL('../plugin.json', import.meta.url), 'utf8')) as { filesystems: string[] };
  t.deepEqual(manifest.filesystems, [...NETWORK_FILESYSTEMS]);
});

test('NFS, SMB and sshfs mounts are network devices with the agent warning; local ones are left alone', async (t) => {
  const devices = await plugin.detector!.detect(
    {
      mounts: [
        mount('nfs4', 'tiko.lan:/export/photos', '/mnt/photos'),
        mount('nfs4', 'TIKO.lan:/export/photos', '/srv/photos-again'),
        mount('cifs', '//NAS/Media', '/mnt/media'),
        mount('fuse.sshfs', 'me@box:/data', '/mnt/box'),
        mount('ext4', '/dev/sda1', '/'),
      ],
    },
    ctx,
  );
  t.deepEqual(devices.map((d) => d.identity.value), ['tiko.lan:/export/photos', '//nas/Media', 'box:/data']);
  t.true(devices.every((d) => d.network && d.type === 'network'));
  t.true(devices.every((d) => d.warnings.some((w) => w.includes('agent on the machine that owns the disks'))));
  t.deepEqual(devices[0]!.mounts.map((m) => m.mountPoint), ['/mnt/photos', '/srv/photos-again'], 'two mounts of one export are one device');
});

test('mergerfs is a pool of local disks, not network storage', async (t) => {
  const [pool] = await plugin.detector!.detect({ mounts: [mount('fuse.mergerfs', 'disk1:disk2', '/mnt/user')] }, ctx);
  t.false(pool!.network);
  t.is(pool!.type, 'virtual');
});

test('a share has no sector map, and says so plainly', async (t) => {
  const result = await plugin.sectorMapper!.map({ device: '//nas/media', mountPoint: '/mnt/media', fsType: 'cifs', files: ['/mnt/media/a.jpg'] }, ctx);
  t.false(result.available);
  if (!result.available) t.regex(result.reason, /network storage/);
});

test('share names: case of the server does not split one share in two', (t) => {
  t.is(shareIdentity(mount('cifs', '\\\\Nas\\media\\sub', '/m')), '//nas/media/sub');
  t.is(shareIdentity(mount('9p', 'hostshare', '/m')), '9p:hostshare');
});

test('recorded mountinfo lines: every share found, the local root left alone', async (t) => {
  const entries = parseMountinfo(readFileSync(new URL('../testdata/mountinfo-shares.txt', import.meta.url), 'utf8'));
  const mounts: MountFacts[] = entries.map((e) => ({ mountPoint: e.mountPoint, root: e.root, fsType: e.fsType, source: e.source, options: e.options, devno: `${e.major}:${e.minor}` }));
  const devices = await plugin.detector!.detect({ mounts }, ctx);
  t.deepEqual(
    devices.map((d) => [d.identity.value, d.type, d.mounts[0]!.mountPoint]),
    [
      ['tiko.lan:/export/photos', 'network', '/mnt/photos'],
      ['//nas/Media', 'network', '/mnt/media'],
      ['box:/data', 'network', '/mnt/box'],
      ['disk1:disk2', 'virtual', '/mnt/user'],
    ],
  );
});
