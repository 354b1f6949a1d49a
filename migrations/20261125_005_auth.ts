/**
 * The appliance's login: users (scrypt hashes), sessions and API tokens. Sessions and tokens are
 * stored as sha256 of the secret, so a copy of the database does not let anyone in.
 * Times are epoch milliseconds.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('username', 64).notNullable().unique();
    t.string('password_hash', 255).notNullable();
    t.bigInteger('created_at_ms').notNullable();
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('csrf_token', 64).notNullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('expires_at_ms').notNullable().index();
  });
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('last_used_at_ms');
    t.bigInteger('revoked_at_ms');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_tokens');
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('users');
}
