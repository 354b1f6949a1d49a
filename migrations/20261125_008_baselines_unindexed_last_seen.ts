/**
 * baselines.last_seen_scan_id loses its index: no query looks rows up by it alone (the missing
 * pass reads a path range and filters), yet every verified file of every scan moved its entry,
 * which was half of SQLite's own work in a verify (bench/: 200k row updates 0.38 s -> 0.16 s).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('baselines', (t) => {
    t.dropIndex(['last_seen_scan_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('baselines', (t) => {
    t.index(['last_seen_scan_id']);
  });
}
