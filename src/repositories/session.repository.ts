/** Login sessions, kept by the sha256 of their id: the cookie's value is never stored. */
import type { Knex } from 'knex';

export interface SessionRow {
  idHash: string;
  userId: number;
  username: string;
  csrfToken: string;
  expiresAtMs: number;
}

export class SessionRepository {
  constructor(private readonly db: Knex) {}

  async create(s: { idHash: string; userId: number; csrfToken: string; createdAtMs: number; expiresAtMs: number }): Promise<void> {
    await this.db('sessions').insert({ id_hash: s.idHash, user_id: s.userId, csrf_token: s.csrfToken, created_at_ms: s.createdAtMs, expires_at_ms: s.expiresAtMs });
  }

  /** The session with this hash if it has not expired, with its user's name. */
  async findValid(idHash: string, nowMs: number): Promise<SessionRow | null> {
    const r = await this.db('sessions')
      .join('users', 'users.id', 'sessions.user_id')
      .where('sessions.id_hash', idHash)
      .andWhere('sessions.expires_at_ms', '>', nowMs)
      .first('sessions.id_hash', 'sessions.user_id', 'users.username', 'sessions.csrf_token', 'sessions.expires_at_ms');
    return r ? { idHash: r.id_hash, userId: r.user_id, username: r.username, csrfToken: r.csrf_token, expiresAtMs: Number(r.expires_at_ms) } : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.db('sessions').where('id_hash', idHash).del();
  }

  async deleteExpired(nowMs: number): Promise<void> {
    await this.db('sessions').where('expires_at_ms', '<=', nowMs).del();
  }
}
