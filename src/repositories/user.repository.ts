/** Users of the appliance: a name and a password hash. */
import type { Knex } from 'knex';

export interface UserRow {
  id: number;
  username: string;
  passwordHash: string;
  createdAtMs: number;
}

const fromRow = (r: any): UserRow => ({ id: r.id, username: r.username, passwordHash: r.password_hash, createdAtMs: Number(r.created_at_ms) });

export class UserRepository {
  constructor(private readonly db: Knex) {}

  async count(): Promise<number> {
    const r = await this.db('users').count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Creates the first user only while there is none, in one transaction: two setups racing make one admin. */
  async createFirst(username: string, passwordHash: string, nowMs: number): Promise<UserRow | null> {
    return this.db.transaction(async (trx) => {
      const r = await trx('users').count({ n: '*' }).first();
      if (Number(r?.n ?? 0) > 0) return null;
      const [id] = await trx('users').insert({ username, password_hash: passwordHash, created_at_ms: nowMs });
      return { id: Number(id), username, passwordHash, createdAtMs: nowMs };
    });
  }

  async byUsername(username: string): Promise<UserRow | null> {
    const r = await this.db('users').where('username', username).first();
    return r ? fromRow(r) : null;
  }

  async get(id: number): Promise<UserRow | null> {
    const r = await this.db('users').where('id', id).first();
    return r ? fromRow(r) : null;
  }
}
