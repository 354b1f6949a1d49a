/**
 * The appliance's own state: settings (one JSON value per key; unset keys take their defaults in
 * code), schedules (a cron expression over a device's mounts or over fixed roots), and what
 * started each scan (`cli`, `web`, `api`, `schedule`) so history can say why a scan ran.
 * Times are epoch milliseconds.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    t.string('updated_by', 64);
  });
  await knex.schema.createTable('schedules', (t) => {
    t.increments('id').primary();
    t.string('name', 100).notNullable();
    // A device's schedule scans wherever the device is mounted when it fires; roots are fixed paths.
    t.integer('device_id').references('id').inTable('storage_devices').onDelete('CASCADE');
    t.text('roots');
    t.string('cron', 100).notNullable();
    t.string('algorithm', 32);
    t.text('excludes').notNullable().defaultTo('[]');
    t.integer('max_runtime_minutes');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('last_run_at_ms');
    t.integer('last_scan_id');
    t.text('last_result');
  });
  await knex.schema.alterTable('scans', (t) => {
    t.string('trigger', 16);
    t.integer('schedule_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scans', (t) => {
    t.dropColumn('schedule_id');
    t.dropColumn('trigger');
  });
  await knex.schema.dropTable('schedules');
  await knex.schema.dropTable('settings');
}
