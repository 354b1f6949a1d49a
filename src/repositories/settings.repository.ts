/** Settings as stored: one JSON value per key. What a value means is src/domain/settings.ts. */
import type { Knex } from 'knex';

export class SettingsRepository {
  constructor(private readonly db: Knex) {}

  async all(): Promise<Record<string, unknown>> {
    const rows: Array<{ key: string; value: string }> = await this.db('settings').select('key', 'value');
    const out: Record<string, unknown> = {};
    for (const r of rows) {
      try {
        out[r.key] = JSON.parse(r.value);
      } catch {
        // A value this build cannot read takes its default (settingsFromStored), never a crash.
      }
    }
    return out;
  }

  async save(values: Record<string, unknown>, who: string | null): Promise<void> {
    const now = Date.now();
    await this.db.transaction(async (trx) => {
      for (const [key, value] of Object.entries(values)) {
        await trx('settings')
          .insert({ key, value: JSON.stringify(value), updated_at_ms: now, updated_by: who })
          .onConflict('key')
          .merge(['value', 'updated_at_ms', 'updated_by']);
      }
    });
  }
}
