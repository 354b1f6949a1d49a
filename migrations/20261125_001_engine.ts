/**
 * The scanning engine's tables. Times are integer nanoseconds since the epoch (UTC); hashes are
 * bytes with their algorithm beside them. Paths are absolute, so a baseline serves any root
 * that contains it; ranges on `path` (never LIKE) select a subtree.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scans', (t) => {
    t.increments('id').primary();
    t.string('host_id', 64).notNullable();
    t.string('hostname', 255).notNullable();
    t.string('host_address', 64);
    t.integer('pid');
    t.string('algorithm', 16).notNullable();
    t.string('status', 16).notNullable(); // running | completed | interrupted | aborted
    t.text('status_reason');
    t.text('options').notNullable(); // JSON: excludes, threads
    t.bigInteger('started_at_ns').notNullable();
    t.bigInteger('ended_at_ns');
    t.bigInteger('heartbeat_ns');
    t.text('counts').notNullable(); // JSON: finding → count
    t.bigInteger('files_done').notNullable().defaultTo(0);
    t.bigInteger('bytes_done').notNullable().defaultTo(0);
    t.index(['status']);
  });
  await knex.schema.createTable('scan_roots', (t) => {
    t.increments('id').primary();
    t.integer('scan_id').notNullable().references('scans.id').onDelete('CASCADE');
    t.text('path').notNullable();
    t.string('dev', 32);
    t.text('mount_point');
    t.string('mount_type', 64);
    t.string('fs_type', 64);
    t.text('source');
    t.string('fs_uuid', 64);
    t.text('fs_label');
    t.text('device_note');
    t.index(['scan_id']);
  });
  await knex.schema.createTable('baselines', (t) => {
    t.increments('id').primary();
    t.text('path').notNullable().unique();
    t.string('kind', 8).notNullable(); // file | symlink
    t.bigInteger('size').notNullable();
    t.bigInteger('mtime_ns').notNullable();
    t.bigInteger('ctime_ns').notNullable();
    t.bigInteger('inode').notNullable();
    t.binary('hash').notNullable();
    t.string('algorithm', 16).notNullable();
    t.bigInteger('verified_at_ns').notNullable();
    t.integer('first_scan_id').notNullable();
    t.integer('last_seen_scan_id').notNullable();
    t.integer('missing_since_scan_id');
    t.index(['last_seen_scan_id']);
  });
  await knex.schema.createTable('scan_findings', (t) => {
    t.bigIncrements('id').primary();
    t.integer('scan_id').notNullable().references('scans.id').onDelete('CASCADE');
    t.integer('root_id').notNullable();
    t.text('path').notNullable();
    t.string('status', 32).notNullable();
    t.text('detail');
    t.bigInteger('size');
    t.bigInteger('mtime_ns');
    t.bigInteger('inode');
    t.binary('hash');
    // Two indexes only: every file of a first scan is a `new` row, so each index is paid 1M times.
    t.index(['scan_id', 'status', 'path']);
    t.index(['scan_id', 'path']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('scan_findings');
  await knex.schema.dropTable('baselines');
  await knex.schema.dropTable('scan_roots');
  await knex.schema.dropTable('scans');
}
