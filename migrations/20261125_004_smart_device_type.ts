/** smartctl's -d per device: disks behind USB bridges (sat) and RAID controllers (megaraid,N) need it. */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('storage_devices', (t) => {
    t.string('smart_device_type', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('storage_devices', (t) => {
    t.dropColumn('smart_device_type');
  });
}
