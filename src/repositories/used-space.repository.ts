/** device_used_space: each device's last measured used space, per device-map bucket, and its last attempt. */
import type { Knex } from 'knex';
import { asText, big, bind } from './sql.js';

export interface UsedSpaceRow {
  deviceId: number;
  /** When `bucketUsedBytes` was measured; null when no attempt has measured it yet. */
  measuredAtNs: bigint | null;
  /** The size the buckets cut, as it was when measured. */
  sizeBytes: number | null;
  /** Used bytes in each bucket, with the device map's boundaries over `sizeBytes`. */
  bucketUsedBytes: number[] | null;
  granularity: string | null;
  mapper: string | null;
  attemptedAtNs: bigint;
  /** Why the last attempt could not measure; [] when it did. */
  unknown: string[];
}

export interface UsedSpaceMeasurement {
  atNs: bigint;
  sizeBytes: number;
  bucketUsedBytes: number[];
  granularity: string;
  mapper: string;
}

export class UsedSpaceRepository {
  constructor(private readonly db: Knex) {}

  async get(deviceId: number): Promise<UsedSpaceRow | null> {
    const r = await this.db('device_used_space')
      .where('device_id', deviceId)
      .select('device_id', 'bucket_used_bytes', 'granularity', 'mapper', 'unknown', ...asText(this.db, 'measured_at_ns', 'size_bytes', 'attempted_at_ns'))
      .first();
    if (!r) return null;
    return {
      deviceId: r.device_id,
      measuredAtNs: big(r.measured_at_ns),
      sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
      bucketUsedBytes: r.bucket_used_bytes === null ? null : JSON.parse(r.bucket_used_bytes),
      granularity: r.granularity ?? null,
      mapper: r.mapper ?? null,
      attemptedAtNs: BigInt(r.attempted_at_ns),
      unknown: JSON.parse(r.unknown),
    };
  }

  async saveMeasurement(deviceId: number, m: UsedSpaceMeasurement): Promise<void> {
    const cols = {
      measured_at_ns: bind(m.atNs),
      size_bytes: m.sizeBytes,
      bucket_used_bytes: JSON.stringify(m.bucketUsedBytes),
      granularity: m.granularity,
      mapper: m.mapper,
      attempted_at_ns: bind(m.atNs),
      unknown: '[]',
    };
    await this.db('device_used_space').insert({ device_id: deviceId, ...cols }).onConflict('device_id').merge(cols);
  }

  /** An attempt that could not measure: an earlier measurement stays, now with the reasons beside it. */
  async saveFailure(deviceId: number, atNs: bigint, reasons: string[]): Promise<void> {
    const cols = { attempted_at_ns: bind(atNs), unknown: JSON.stringify(reasons) };
    await this.db('device_used_space').insert({ device_id: deviceId, ...cols }).onConflict('device_id').merge(cols);
  }
}
