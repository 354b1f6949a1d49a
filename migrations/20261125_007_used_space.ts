/**
 * The device page without slow work per view:
 * - device_used_space: where each device's filesystem has data, measured after a scan or on
 *   request (seconds on a big disk) and read by every page that draws the device map. One row a
 *   device: the used bytes in each of its 256 map buckets (the ranges themselves can be millions),
 *   when they were measured, and why the last attempt could not measure, if it could not.
 * - scan_roots(device_id, scan_id): a device's latest scans without reading every root.
 * - temperature in the health history's counters, where it was only inside the raw smartctl JSON,
 *   so the trend charts read counters alone.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('device_used_space', (t) => {
    t.integer('device_id').primary().references('storage_devices.id').onDelete('CASCADE');
    // The measurement: null until one succeeded (a later failed attempt keeps the earlier one).
    t.bigInteger('measured_at_ns');
    t.bigInteger('size_bytes');
    t.text('bucket_used_bytes'); // JSON [n, …]: used bytes per bucket, buckets as the device map cuts size_bytes
    t.string('granularity', 32);
    t.string('mapper', 64);
    t.bigInteger('attempted_at_ns').notNullable();
    t.text('unknown').notNullable().defaultTo('[]'); // JSON [reason, …] of the last attempt; [] when it measured
  });
  await knex.schema.alterTable('scan_roots', (t) => {
    t.index(['device_id', 'scan_id']);
  });
  await backfillTemperature(knex);
}

/** smartctl's current temperature: ATA and SCSI at temperature.current, NVMe in its health log. */
function temperatureOf(raw: string): number | null {
  try {
    const doc = JSON.parse(raw) as { temperature?: { current?: unknown }; nvme_smart_health_information_log?: { temperature?: unknown } };
    const t = doc?.temperature?.current ?? doc?.nvme_smart_health_information_log?.temperature;
    return typeof t === 'number' && Number.isFinite(t) ? t : null;
  } catch {
    return null;
  }
}

async function backfillTemperature(knex: Knex): Promise<void> {
  let after = 0;
  for (;;) {
    const rows: Array<{ id: number | string; counters: string; raw: string }> = await knex('device_health_history').whereNotNull('raw').andWhere('id', '>', after).orderBy('id').limit(200).select('id', 'counters', 'raw');
    if (!rows.length) return;
    for (const r of rows) {
      const temperature = temperatureOf(r.raw);
      const counters = JSON.parse(r.counters) as Record<string, number>;
      // A check without SMART counters stays without: trends take only checks that have some.
      if (temperature === null || 'temperature_c' in counters || !Object.keys(counters).length) continue;
      await knex('device_health_history').where('id', r.id).update({ counters: JSON.stringify({ ...counters, temperature_c: temperature }) });
    }
    after = Number(rows[rows.length - 1]!.id);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scan_roots', (t) => {
    t.dropIndex(['device_id', 'scan_id']);
  });
  await knex.schema.dropTable('device_used_space');
}
