// A database written by the engine's schema (before the device model) upgrades in place: every
// scan gets its host, every root its device, every baseline the device it was verified on.
import test from 'ava';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import * as m001 from '../migrations/20261125_001_engine.js';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/repositories/db.js';
import { tempDir } from './helpers/bitarr.js';

const HOST = '11111111-2222-3333-4444-555555555555';

async function engineOnlyDatabase(dir: string): Promise<Knex> {
  const knex = knexFactory({
    client: 'sqlite3',
    connection: { filename: join(dir, 'bitarr.db') },
    useNullAsDefault: true,
    migrations: {
      migrationSource: {
        getMigrations: async () => ['20261125_001_engine'],
        getMigrationName: (n: string) => n,
        getMigration: async () => m001,
      },
    },
  });
  await knex.migrate.latest();
  return knex;
}

test('scans and baselines from before the device model get their host and device', async (t) => {
  const dir = await tempDir(t);
  const old = await engineOnlyDatabase(dir);
  const scan = (id: number, started: string) => ({ id, host_id: HOST, hostname: 'tiko', host_address: '192.168.1.25', algorithm: 'xxh3-128', status: 'completed', options: '{}', started_at_ns: started, counts: '{}' });
  await old('scans').insert([scan(1, '1795600000000000000'), scan(2, '1795700000000000000')]);
  const root = (id: number, scanId: number, path: string, mount: string, uuid: string | null, source: string) => ({ id, scan_id: scanId, path, mount_point: mount, mount_type: 'ext4', fs_type: 'ext4', source, fs_uuid: uuid });
  await old('scan_roots').insert([
    root(1, 1, '/mnt/photos', '/mnt/photos', 'aaaa-1', '/dev/sdb1'),
    root(2, 2, '/mnt/photos', '/mnt/photos', 'aaaa-1', '/dev/sdc1'), // renamed by the kernel after a reboot
    root(3, 2, '/srv/music', '/srv/music', null, '/dev/sdd1'),
  ]);
  const baseline = (path: string) => ({ path, kind: 'file', size: 1, mtime_ns: 1, ctime_ns: 1, inode: 1, hash: Buffer.alloc(16), algorithm: 'xxh3-128', verified_at_ns: 1, first_scan_id: 1, last_seen_scan_id: 2 });
  await old('baselines').insert([baseline('/mnt/photos/a.jpg'), baseline('/mnt/photos/b/c.jpg'), baseline('/srv/music/x.flac'), baseline('/elsewhere/y')]);
  await old.destroy();

  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  t.teardown(() => db.destroy());
  const hosts = await db('scan_hosts').select('id', 'hostname', 'addresses');
  t.deepEqual(hosts, [{ id: HOST, hostname: 'tiko', addresses: '["192.168.1.25"]' }]);
  const devices = await db('storage_devices').select('id', 'identity_kind', 'identity_value', 'warnings').orderBy('id');
  t.deepEqual(
    devices.map((d) => [d.identity_kind, d.identity_value]),
    [
      ['fs-uuid', 'aaaa-1'],
      ['kernel-name', '/dev/sdd1'],
    ],
    'the photos disk is one device under two kernel names',
  );
  t.regex(devices[1].warnings, /known only by its kernel name/);
  const roots = await db('scan_roots').select('id', 'device_id').orderBy('id');
  t.deepEqual(roots.map((r) => r.device_id), [devices[0].id, devices[0].id, devices[1].id]);
  const owners = Object.fromEntries((await db('baselines').select('path', 'device_id')).map((b) => [b.path, b.device_id]));
  t.deepEqual(owners, { '/mnt/photos/a.jpg': devices[0].id, '/mnt/photos/b/c.jpg': devices[0].id, '/srv/music/x.flac': devices[1].id, '/elsewhere/y': null });
});
