/**
 * Bitrot events keep what they are made of: the damaged files (with their extents), the files that
 * could not be placed, the evidence (SMART growth, recurrences) and the severity reasons. Clusters,
 * pattern, severity and actions are derived from those and stored beside them for queries.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bitrot_events', (t) => {
    t.text('files').notNullable().defaultTo('[]');
    t.text('unlocated').notNullable().defaultTo('[]');
    t.text('evidence').notNullable().defaultTo('{"smartGrowth":[],"recurrences":[]}');
    t.text('reasons').notNullable().defaultTo('[]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bitrot_events', (t) => {
    for (const c of ['reasons', 'evidence', 'unlocated', 'files']) t.dropColumn(c);
  });
}
