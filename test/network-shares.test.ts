/**
 * Network storage as a user meets it: a samba share read through smbnetfs and a directory read
 * through sshfs, both served from 127.0.0.1 by daemons the test starts. Bitarr must call them
 * network devices and say an agent on the server is the place to check bitrot, scan them without
 * false alarms, see a change made on the server as a change, and decline to map their files to
 * sectors it cannot see.
 */
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { alarms, bitarr, byPath, scan, tempDir } from './helpers/bitarr.js';
import { NET_SHARE_NEEDS, NetShares, labTest } from './lab/index.js';
import { isMountpoint } from './lab/device.js';

const netTest = labTest(NET_SHARE_NEEDS);
const AGENT_ADVICE = 'agent on the machine that owns the disks';
const FILES = ['a.txt', 'photos/b.jpg', 'photos/2024/c.raw'];
const LONG_AGO = new Date('2024-03-01T12:00:00Z');

interface Kind {
  name: string;
  mount: (s: NetShares) => string;
  served: (s: NetShares) => string;
}

const KINDS: Kind[] = [
  { name: 'sshfs', mount: (s) => s.sshfs, served: (s) => s.sshServed },
  { name: 'smbnetfs share', mount: (s) => s.smbShare, served: (s) => s.smbServed },
];

async function shares(t: ExecutionContext): Promise<NetShares> {
  const s = await NetShares.create();
  t.teardown(() => s.close());
  return s;
}

/**
 * Written on the server, as its owner would, with an old mtime: a baseline read right after a
 * write is rightly not trusted to prove rot, and these files are meant to be settled.
 */
async function serve(dir: string, files = FILES): Promise<void> {
  for (const [i, rel] of files.entries()) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, Buffer.alloc(20_000 + i * 7_001, `${rel} `));
    await utimes(path, LONG_AGO, LONG_AGO);
  }
}

interface DeviceJson {
  id: number;
  identity: { kind: string; value: string };
  fsType: string;
  uuid: string | null;
  type: string;
  network: boolean;
  warnings: string[];
  mounts: Array<{ mountPoint: string; fsRoot: string; present: boolean }>;
}

netTest('devices lists the sshfs mount and the smbnetfs share as network devices, with the agent advice', async (t) => {
  const s = await shares(t);
  const cfg = join(await tempDir(t), 'cfg');
  const r = await bitarr(['devices', '--json', '--config-dir', cfg]);
  t.is(r.code, 0, r.stderr);
  const devices = (JSON.parse(r.stdout) as { hosts: Array<{ devices: DeviceJson[] }> }).hosts.flatMap((h) => h.devices);
  const at = (mountPoint: string) => devices.find((d) => d.mounts.some((m) => m.mountPoint === mountPoint));

  const sshfs = at(s.sshfs);
  const share = at(s.smbShare);
  const network = at(s.smbNetwork);
  t.truthy(sshfs, `no device mounted at ${s.sshfs}`);
  t.truthy(share, `no device mounted at ${s.smbShare}`);
  t.is(sshfs!.identity.value, `127.0.0.1:${s.sshServed}`, 'named by server and path, not by the user@ that mounted it');
  t.is(share!.identity.value, `//127.0.0.1:${s.smbPort}/share`);
  t.is(sshfs!.fsType, 'fuse.sshfs');
  t.is(share!.fsType, 'fuse.smbnetfs');
  t.deepEqual(share!.mounts.map((m) => m.fsRoot), [`/127.0.0.1:${s.smbPort}/share`]);
  for (const d of [sshfs!, share!]) {
    t.true(d.network);
    t.is(d.type, 'network');
    t.is(d.uuid, null);
    t.true(d.warnings.some((w) => w.includes(AGENT_ADVICE)), d.warnings.join('; '));
  }
  // The whole-network mount is a different thing from the share bind-mounted out of it.
  t.is(network?.identity.value, `smbnetfs:${s.smbNetwork}`);
  t.not(network?.id, share!.id);
});

for (const kind of KINDS) {
  netTest(`${kind.name}: first scan finds every file new and warns it is network storage; the second finds all ok`, async (t) => {
    const s = await shares(t);
    const cfg = join(await tempDir(t), 'cfg');
    await serve(kind.served(s));

    const first = await scan(kind.mount(s), cfg);
    t.is(first.code, 0, first.stderr);
    t.is(first.json.status, 'completed');
    t.deepEqual(byPath(first.json), Object.fromEntries(FILES.map((f) => [f, 'new'])));
    // The helper's type predates the note; the CLI prints it.
    const device: { fsType: string | null; note?: string | null } = first.json.roots[0]!.device;
    t.is(device.fsType, kind.name === 'sshfs' ? 'fuse.sshfs' : 'fuse.smbnetfs');
    t.true(device.note?.includes(AGENT_ADVICE), `root device note: ${device.note}`);

    const second = await scan(kind.mount(s), cfg);
    t.is(second.code, 0, second.stderr);
    t.is(second.json.counts.ok, FILES.length);
    t.deepEqual(second.json.findings, [], 'nothing but ok through the network');
  });

  netTest(`${kind.name}: files changed on the server between scans are modified, never corrupted`, async (t) => {
    const s = await shares(t);
    const cfg = join(await tempDir(t), 'cfg');
    const served = kind.served(s);
    await serve(served);
    const first = await scan(kind.mount(s), cfg);
    t.is(first.json.counts.new, FILES.length, first.stderr);

    // Straight after a scan that stat()ed everything: sshfs keeps attributes up to 20 s, so a
    // same-size rewrite is where a stale size and mtime next to fresh bytes would cry "corrupted".
    await writeFile(join(served, 'a.txt'), Buffer.alloc(20_000, 'rewritten on the server '));
    await writeFile(join(served, 'photos/b.jpg'), 'shorter now');

    const second = await scan(kind.mount(s), cfg);
    t.is(second.code, 0, second.stderr);
    t.deepEqual(alarms(second.json), []);
    t.deepEqual(byPath(second.json), { 'a.txt': 'modified', 'photos/b.jpg': 'modified' });
    t.is(second.json.counts.ok, 1);
  });
}

netTest('map: a file on a share is network storage with no sector map, per file, without a crash', async (t) => {
  const s = await shares(t);
  const cfg = join(await tempDir(t), 'cfg');
  await serve(s.sshServed);
  await serve(s.smbServed);
  const files = [join(s.sshfs, 'a.txt'), join(s.smbShare, 'photos/b.jpg'), join(s.smbNetworkShare, 'photos/2024/c.raw')];

  const r = await bitarr(['map', ...files, '--json', '--config-dir', cfg]);
  t.is(r.code, 1, 'a partial (here: empty) map is not a whole one');
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  const out = JSON.parse(r.stdout) as { files: Array<{ path: string; fsType: string; extents: unknown[]; error: string | null }> };
  t.deepEqual(out.files.map((f) => f.path), files);
  for (const f of out.files) {
    t.deepEqual(f.extents, []);
    t.regex(f.error ?? '', /is network storage/, f.path);
  }
  t.deepEqual(out.files.map((f) => f.fsType), ['fuse.sshfs', 'fuse.smbnetfs', 'fuse.smbnetfs']);
});

netTest('the fixture: close() leaves no mount, daemon or folder behind', async (t) => {
  const started = Date.now();
  const s = await shares(t);
  const up = Date.now() - started;
  const mounts = [s.sshfs, s.smbShare, s.smbNetwork];
  t.true(mounts.every(isMountpoint));

  const closing = Date.now();
  await s.close();
  const down = Date.now() - closing;
  t.log(`network shares up in ${up} ms, down in ${down} ms`);
  t.deepEqual(mounts.filter(isMountpoint), []);
  t.false(existsSync(s.dir));
  t.false(await accepts(s.smbPort), 'smbd still listening');
  t.false(await accepts(s.sshPort), 'sshd still listening');
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
