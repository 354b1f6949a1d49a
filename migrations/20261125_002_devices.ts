/**
 * The storage-device model: hosts own devices, devices have mounts, and later health history and
 * bitrot events. A device is keyed by what survives a reboot (filesystem UUID, WWN, serial…), so
 * one that comes back as another /dev name or at another mount point keeps its history.
 * Scans and roots written by the engine's schema are backfilled with their host and device.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scan_hosts', (t) => {
    t.string('id', 64).primary(); // the host id kept in the host's config dir
    t.string('hostname', 255).notNullable();
    t.text('addresses').notNullable().defaultTo('[]'); // JSON list, the preferred one first
    // Inside a container the hostname and address are the container's: users set the real ones.
    t.string('hostname_override', 255);
    t.string('address_override', 64);
    t.boolean('is_local').notNullable().defaultTo(false);
    t.bigInteger('first_seen_ns').notNullable();
    t.bigInteger('last_seen_ns').notNullable();
  });

  await knex.schema.createTable('storage_devices', (t) => {
    t.increments('id').primary();
    t.string('host_id', 64).notNullable().references('scan_hosts.id');
    t.string('identity_kind', 24).notNullable(); // fs-uuid | wwn | serial | model | network-source | kernel-name
    t.string('identity_value', 512).notNullable();
    t.string('fs_type', 64);
    t.string('fs_uuid', 64);
    t.text('label');
    t.text('device_path'); // the kernel's name when last seen: informational, never a key
    t.string('type', 16).notNullable().defaultTo('unknown');
    t.text('evidence').notNullable().defaultTo('[]');
    t.boolean('rotational');
    t.string('transport', 32);
    t.text('model');
    t.text('serial');
    t.string('wwn', 64);
    t.bigInteger('size_bytes');
    t.boolean('network').notNullable().defaultTo(false);
    t.text('unknown_facts').notNullable().defaultTo('[]'); // JSON [{fact, reason, needs}]
    t.text('warnings').notNullable().defaultTo('[]');
    t.string('detected_by', 64); // plugin id
    t.string('display_name', 255); // the user's name for it
    t.boolean('present').notNullable().defaultTo(true);
    t.bigInteger('first_seen_ns').notNullable();
    t.bigInteger('last_seen_ns').notNullable();
    t.unique(['host_id', 'identity_kind', 'identity_value']);
  });

  await knex.schema.createTable('mounts', (t) => {
    t.increments('id').primary();
    t.integer('device_id').notNullable().references('storage_devices.id').onDelete('CASCADE');
    t.text('mount_point').notNullable();
    t.text('fs_root').notNullable().defaultTo('/'); // path inside the filesystem (bind mount, subvolume)
    t.string('fs_type', 64).notNullable();
    t.text('source');
    t.text('options');
    t.boolean('present').notNullable().defaultTo(true);
    t.bigInteger('first_seen_ns').notNullable();
    t.bigInteger('last_seen_ns').notNullable();
    t.unique(['device_id', 'mount_point', 'fs_root']);
  });

  await knex.schema.createTable('device_health_history', (t) => {
    t.bigIncrements('id').primary();
    t.integer('device_id').notNullable().references('storage_devices.id').onDelete('CASCADE');
    t.bigInteger('collected_at_ns').notNullable();
    t.string('verdict', 16).notNullable(); // passed | warning | failed | unknown
    t.integer('score');
    t.text('reasons').notNullable().defaultTo('[]');
    t.text('counters').notNullable().defaultTo('{}'); // JSON: the attributes that trend (reallocated, pending…)
    t.text('raw'); // the collector's output (smartctl JSON), for reports
    t.index(['device_id', 'collected_at_ns']);
  });

  await knex.schema.createTable('bitrot_events', (t) => {
    t.increments('id').primary();
    t.integer('device_id').notNullable().references('storage_devices.id').onDelete('CASCADE');
    t.string('status', 16).notNullable(); // open | acknowledged | resolved | dismissed
    t.string('severity', 16).notNullable(); // minor | moderate | severe
    t.string('pattern', 24).notNullable(); // one-file | one-cluster | band | scattered
    t.text('clusters').notNullable().defaultTo('[]'); // JSON [{start, end, files}]
    t.text('actions').notNullable().defaultTo('[]');
    t.integer('first_scan_id').references('scans.id');
    t.integer('last_scan_id').references('scans.id');
    t.bigInteger('opened_at_ns').notNullable();
    t.bigInteger('updated_at_ns').notNullable();
    t.text('history').notNullable().defaultTo('[]'); // JSON [{status, who, atNs, note}]
    t.index(['device_id', 'status']);
  });

  await knex.schema.alterTable('scan_roots', (t) => {
    t.integer('device_id').references('storage_devices.id');
    t.integer('mount_id').references('mounts.id');
  });

  // Which disk a baseline was verified on: a disk mounted where another was keeps its own.
  // No index of its own: every query on it also bounds `path`, whose index serves it, and each
  // index is paid on every one of a first scan's million inserts.
  await knex.schema.alterTable('baselines', (t) => {
    t.integer('device_id').references('storage_devices.id');
  });

  await backfill(knex);
}

/** Hosts and devices for the scans that existed before the device model. */
async function backfill(knex: Knex): Promise<void> {
  const hosts: Array<{ host_id: string; hostname: string; host_address: string | null; first: unknown; last: unknown }> = await knex('scans')
    .select('host_id', 'hostname', 'host_address')
    .min({ first: 'started_at_ns' })
    .max({ last: 'started_at_ns' })
    .groupBy('host_id', 'hostname', 'host_address');
  const seenHosts = new Set<string>();
  for (const h of hosts) {
    if (seenHosts.has(h.host_id)) continue; // a host renamed between scans: keep its first name row
    seenHosts.add(h.host_id);
    await knex('scan_hosts').insert({
      id: h.host_id,
      hostname: h.hostname,
      addresses: JSON.stringify(h.host_address ? [h.host_address] : []),
      is_local: false,
      first_seen_ns: String(h.first),
      last_seen_ns: String(h.last),
    });
  }

  const roots: Array<{ id: number; host_id: string; started: unknown; mount_point: string | null; fs_type: string | null; mount_type: string | null; source: string | null; fs_uuid: string | null; fs_label: string | null }> =
    await knex('scan_roots as r')
      .join('scans as s', 's.id', 'r.scan_id')
      .select('r.id', 's.host_id', 's.started_at_ns as started', 'r.mount_point', 'r.fs_type', 'r.mount_type', 'r.source', 'r.fs_uuid', 'r.fs_label')
      .orderBy('r.id');
  for (const r of roots) {
    // Without a UUID the old schema knew only the source: a kernel name, kept but flagged as weak.
    const identity = r.fs_uuid ? { kind: 'fs-uuid', value: r.fs_uuid } : r.source ? { kind: r.source.startsWith('/dev/') ? 'kernel-name' : 'network-source', value: r.source } : null;
    if (!identity) continue;
    const key = { host_id: r.host_id, identity_kind: identity.kind, identity_value: identity.value };
    let device = await knex('storage_devices').where(key).first('id');
    if (!device) {
      const [id] = await knex('storage_devices').insert(
        {
          ...key,
          fs_type: r.fs_type,
          fs_uuid: r.fs_uuid,
          label: r.fs_label,
          device_path: r.source,
          warnings: JSON.stringify(identity.kind === 'kernel-name' ? ['known only by its kernel name from an older scan: rescan to identify it'] : []),
          present: false,
          first_seen_ns: String(r.started),
          last_seen_ns: String(r.started),
        },
        ['id'],
      );
      device = typeof id === 'object' ? id : { id };
    } else {
      await knex('storage_devices').where('id', device.id).update({ last_seen_ns: String(r.started) });
    }
    let mountId: number | null = null;
    if (r.mount_point) {
      const mkey = { device_id: device.id, mount_point: r.mount_point, fs_root: '/' };
      const mount = await knex('mounts').where(mkey).first('id');
      if (mount) mountId = mount.id;
      else {
        const [id] = await knex('mounts').insert({ ...mkey, fs_type: r.mount_type ?? r.fs_type ?? 'unknown', source: r.source, present: false, first_seen_ns: String(r.started), last_seen_ns: String(r.started) }, ['id']);
        mountId = typeof id === 'object' ? id.id : id;
      }
    }
    await knex('scan_roots').where('id', r.id).update({ device_id: device.id, mount_id: mountId });
  }

  // Baselines below each known mount belong to its device; the deepest mount point decides.
  const mounts: Array<{ device_id: number; mount_point: string }> = await knex('mounts').select('device_id', 'mount_point');
  mounts.sort((a, b) => b.mount_point.length - a.mount_point.length);
  for (const m of mounts) {
    const prefix = m.mount_point.endsWith('/') ? m.mount_point : m.mount_point + '/';
    await knex('baselines')
      .whereNull('device_id')
      .andWhere('path', '>=', prefix)
      .andWhere('path', '<', prefix.slice(0, -1) + '0')
      .update({ device_id: m.device_id });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('baselines', (t) => {
    t.dropColumn('device_id');
  });
  await knex.schema.alterTable('scan_roots', (t) => {
    t.dropColumn('mount_id');
    t.dropColumn('device_id');
  });
  for (const table of ['bitrot_events', 'device_health_history', 'mounts', 'storage_devices', 'scan_hosts']) await knex.schema.dropTable(table);
}
