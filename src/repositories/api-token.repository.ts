/** API tokens for the JSON API, kept by the sha256 of the token: it is shown once, never stored. */
import type { Knex } from 'knex';

export interface ApiTokenRow {
  id: number;
  userId: number;
  name: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

const ms = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const fromRow = (r: any): ApiTokenRow => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  createdAtMs: Number(r.created_at_ms),
  lastUsedAtMs: ms(r.last_used_at_ms),
  revokedAtMs: ms(r.revoked_at_ms),
});

export class ApiTokenRepository {
  constructor(private readonly db: Knex) {}

  async create(t: { userId: number; name: string; tokenHash: string; createdAtMs: number }): Promise<number> {
    const [id] = await this.db('api_tokens').insert({ user_id: t.userId, name: t.name, token_hash: t.tokenHash, created_at_ms: t.createdAtMs });
    return Number(id);
  }

  /** The user a live (not revoked) token belongs to; marks the token used. */
  async useActive(tokenHash: string, nowMs: number): Promise<{ userId: number; username: string } | null> {
    const r = await this.db('api_tokens')
      .join('users', 'users.id', 'api_tokens.user_id')
      .where('api_tokens.token_hash', tokenHash)
      .whereNull('api_tokens.revoked_at_ms')
      .first('api_tokens.id', 'api_tokens.user_id', 'users.username');
    if (!r) return null;
    await this.db('api_tokens').where('id', r.id).update({ last_used_at_ms: nowMs });
    return { userId: r.user_id, username: r.username };
  }

  async list(userId: number): Promise<ApiTokenRow[]> {
    return (await this.db('api_tokens').where('user_id', userId).orderBy('id')).map(fromRow);
  }

  /** True when a live token of this user was revoked. */
  async revoke(id: number, userId: number, nowMs: number): Promise<boolean> {
    const n = await this.db('api_tokens').where({ id, user_id: userId }).whereNull('revoked_at_ms').update({ revoked_at_ms: nowMs });
    return n > 0;
  }
}
