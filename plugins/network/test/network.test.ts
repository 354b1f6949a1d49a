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

function recorded(file: string): MountFacts[] {
  const entries = parseMountinfo(readFileSync(new URL(`../testdata/${file}`, import.meta.url), 'utf8'));
  return entries.map((e) => ({ mountPoint: e.mountPoint, root: e.root, fsType: e.fsType, source: e.source, options: e.options, devno: `${e.major}:${e.minor}` }));
}

test('recorded mountinfo lines: every share found, the local root left alone', async (t) => {
  const devices = await plugin.detector!.detect({ mounts: recorded('mountinfo-shares.txt') }, ctx);
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

test('recorded smbnetfs mounts: the whole network, one server and one share are three devices, named by their root', async (t) => {
  const devices = await plugin.detector!.detect({ mounts: recorded('mountinfo-smbnetfs.txt') }, ctx);
  t.deepEqual(
    devices.map((d) => [d.identity.value, d.mounts.map((m) => m.mountPoint)]),
    [
      ['smbnetfs:/tmp/nsx/r-t0Hf/mnt', ['/tmp/nsx/r-t0Hf/mnt']],
      ['//127.0.0.1/Media', ['/tmp/nsx/r-t0Hf/smb']],
      ['//127.0.0.1', ['/tmp/nsx/r-t0Hf/mnt2']],
    ],
  );
  t.true(devices.every((d) => d.network && d.type === 'network' && d.fsType === 'fuse.smbnetfs'));
});

test('recorded loopback fixture: smbnetfs share on a non-default port and an sshfs export', async (t) => {
  const devices = await plugin.detector!.detect({ mounts: recorded('mountinfo-netshares-fixture.txt') }, ctx);
  t.deepEqual(devices.map((d) => d.identity.value), [
    'smbnetfs:/tmp/bitarr-net-MIUqLC/smbnetfs',
    '//127.0.0.1:36563/share',
    '127.0.0.1:/tmp/bitarr-net-MIUqLC/served-ssh',
  ]);
});

test('smbnetfs share names: no password stored, default port and server case folded, sub-folders are the same share', async (t) => {
  const smbnetfs = (root: string, mountPoint = '/m') => ({ ...mount('fuse.smbnetfs', 'smbnetfs', mountPoint), root });
  t.is(shareIdentity(smbnetfs('/me:s3cret@NAS/Media')), '//nas/Media');
  t.is(shareIdentity(smbnetfs('/nas:445/Media')), '//nas/Media');
  t.is(shareIdentity(smbnetfs('/nas:4450/Media')), '//nas:4450/Media', 'another port is another server');
  t.is(shareIdentity(smbnetfs('/')), 'smbnetfs:/m');
  const devices = await plugin.detector!.detect({ mounts: [smbnetfs('/nas/Media', '/srv/media'), smbnetfs('/NAS/Media/2024', '/srv/2024')] }, ctx);
  t.is(devices.length, 1);
  t.deepEqual(devices[0]!.mounts.map((m) => [m.mountPoint, m.root]), [['/srv/media', '/nas/Media'], ['/srv/2024', '/NAS/Media/2024']]);
});
