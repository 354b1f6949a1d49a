// The same append-only migrations run on PostgreSQL: up from empty, the device backfill on data
// an engine-era database held, and down again. (Bitarr itself still refuses DATABASE_URL until
// path ranges use COLLATE "C"; the schema must not be the thing that stops it.)
import knexFactory from 'knex';
import * as m001 from '../migrations/20261125_001_engine.js';
import { migrationSource } from '../src/repositories/db.js';
import { labTest } from './lab/index.js';
import { postgresBin, startPostgres } from './helpers/postgres.js';
import { join } from 'node:path';

const pgTest = labTest(['root', 'runuser', join(postgresBin(), 'initdb'), join(postgresBin(), 'pg_ctl')]);

pgTest('every migration runs on PostgreSQL, backfills hosts and devices, and rolls back', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.stop());
  const connect = (source: typeof migrationSource) => knexFactory({ client: 'pg', connection: server.url, migrations: { migrationSource: source } });

  // An engine-era database: only the first migration, with a scan, a root and a baseline.
  const engineOnly = connect({ ...migrationSource, getMigrations: async () => ['20261125_001_engine'], getMigration: async () => m001 });
  await engineOnly.migrate.latest();
  await engineOnly('scans').insert({ id: 1, host_id: 'h-1', hostname: 'tiko', host_address: '192.168.1.25', algorithm: 'xxh3-128', status: 'completed', options: '{}', started_at_ns: '1795600000000000000', counts: '{}' });
  await engineOnly('scan_roots').insert({ scan_id: 1, path: '/mnt/photos', mount_point: '/mnt/photos', mount_type: 'ext4', fs_type: 'ext4', source: '/dev/sdb1', fs_uuid: 'aaaa-1' });
  await engineOnly('baselines').insert({ path: '/mnt/photos/a.jpg', kind: 'file', size: 1, mtime_ns: '1795600000000000001', ctime_ns: 1, inode: 1, hash: Buffer.alloc(16, 7), algorithm: 'xxh3-128', verified_at_ns: 1, first_scan_id: 1, last_seen_scan_id: 1 });
  await engineOnly.destroy();

  const db = connect(migrationSource);
  t.teardown(() => db.destroy());
  await db.migrate.latest();
  const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
  t.deepEqual(pending, []);
  const device = await db('storage_devices').first('id', 'identity_kind', 'identity_value', 'host_id');
  t.like(device, { identity_kind: 'fs-uuid', identity_value: 'aaaa-1', host_id: 'h-1' });
  t.is((await db('baselines').first('device_id')).device_id, device.id);
  t.is((await db('scan_roots').first('device_id')).device_id, device.id);
  t.is(String((await db('baselines').first('mtime_ns')).mtime_ns), '1795600000000000001', 'nanoseconds survive as 64-bit integers');

  await db.migrate.rollback(undefined, true);
  t.false(await db.schema.hasTable('baselines'));
  t.false(await db.schema.hasTable('storage_devices'));
});
