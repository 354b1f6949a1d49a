/**
 * Who may use the appliance: the first-run admin, password logins with a rate limit, sessions
 * with their CSRF token, and API tokens. Secrets (session ids, API tokens) are random 256-bit
 * values given to the client once and stored only as sha256; passwords as scrypt with a salt.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { notFoundError, usageError } from '../domain/errors.js';
import type { ApiTokenRepository, ApiTokenRow } from '../repositories/api-token.repository.js';
import type { SessionRepository } from '../repositories/session.repository.js';
import type { UserRepository } from '../repositories/user.repository.js';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024; // scrypt of a megabyte "password" is a cheap denial of service
const MAX_USERNAME_LENGTH = 64;
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
// N=2^15, r=8: ~32 MiB and ~100 ms a hash — expensive to guess offline, cheap enough to log in.
const SCRYPT = { N: 32768, r: 8, p: 1, keyLen: 32 };

export interface Principal {
  userId: number;
  username: string;
}

export interface SessionInfo extends Principal {
  /** The raw id, for the cookie; only returned when the session is created. */
  id: string;
  csrfToken: string;
  expiresAtMs: number;
}

export type LoginResult =
  | { kind: 'ok'; session: SessionInfo }
  | { kind: 'invalid' }
  | { kind: 'limited'; retryAfterSeconds: number };

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const randomSecret = () => randomBytes(32).toString('base64url');

function scrypt(password: string, salt: Buffer, p: { N: number; r: number; p: number; keyLen: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, p.keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (salt and hash in base64): the parameters travel with the hash, so they can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), keyLen: expected.length });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Equal strings, in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a));
  const y = Buffer.from(sha256(b));
  return timingSafeEqual(x, y) && a === b;
}

/**
 * Failed logins per client address and username, in memory: a restart forgets them, which
 * costs an attacker a restart they cannot cause, and one process serves the appliance.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Seconds to wait, or 0 when this client may try. */
  retryAfter(key: string, nowMs: number): number {
    const recent = this.recent(key, nowMs);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - nowMs) / 1000));
  }

  fail(key: string, nowMs: number): void {
    this.failures.set(key, [...this.recent(key, nowMs), nowMs]);
    // Forget stale keys now and then, so a flood of names cannot grow the map for ever.
    if (this.failures.size > 10_000) for (const k of [...this.failures.keys()]) if (!this.recent(k, nowMs).length) this.failures.delete(k);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, nowMs: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
  }
}

export class AuthService {
  private usersExist = false;
  // Checked when the user is unknown, so a wrong name costs as long as a wrong password.
  private readonly dummyHash = hashPassword(randomSecret());

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly limiter = new LoginRateLimiter(),
    private readonly now: () => number = Date.now,
  ) {}

  /** True until the first admin exists. Users are never deleted here, so "yes" is remembered. */
  async needsSetup(): Promise<boolean> {
    if (this.usersExist) return false;
    this.usersExist = (await this.users.count()) > 0;
    return !this.usersExist;
  }

  /** Creates the admin on first run and logs them in; refused (404) once a user exists. */
  async setup(input: { username?: unknown; password?: unknown }): Promise<SessionInfo> {
    if (!(await this.needsSetup())) throw notFoundError('setup is done: log in instead');
    const username = typeof input.username === 'string' ? input.username.trim() : '';
    const password = typeof input.password === 'string' ? input.password : '';
    if (!username) throw usageError('enter a username');
    if (username.length > MAX_USERNAME_LENGTH) throw usageError(`a username has at most ${MAX_USERNAME_LENGTH} characters`);
    if ([...password].length < MIN_PASSWORD_LENGTH) throw usageError(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > MAX_PASSWORD_LENGTH) throw usageError(`a password has at most ${MAX_PASSWORD_LENGTH} characters`);
    const user = await this.users.createFirst(username, await hashPassword(password), this.now());
    if (!user) throw notFoundError('setup is done: log in instead');
    this.usersExist = true;
    return this.openSession(user.id, user.username);
  }

  async login(input: { username?: unknown; password?: unknown }, clientAddress: string): Promise<LoginResult> {
    const username = typeof input.username === 'string' ? input.username.trim() : '';
    const password = typeof input.password === 'string' ? input.password.slice(0, MAX_PASSWORD_LENGTH + 1) : '';
    const key = `${clientAddress}\n${username.toLowerCase()}`;
    const wait = this.limiter.retryAfter(key, this.now());
    if (wait > 0) return { kind: 'limited', retryAfterSeconds: wait };
    const user = username ? await this.users.byUsername(username) : null;
    const ok = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await this.dummyHash), false);
    if (!user || !ok) {
      this.limiter.fail(key, this.now());
      return { kind: 'invalid' };
    }
    this.limiter.succeed(key);
    await this.sessions.deleteExpired(this.now());
    return { kind: 'ok', session: await this.openSession(user.id, user.username) };
  }

  /** The live session behind a cookie value, or null. */
  async session(rawId: string | undefined): Promise<(Principal & { csrfToken: string }) | null> {
    if (!rawId || rawId.length > 100) return null;
    const s = await this.sessions.findValid(sha256(rawId), this.now());
    return s ? { userId: s.userId, username: s.username, csrfToken: s.csrfToken } : null;
  }

  async logout(rawId: string | undefined): Promise<void> {
    if (rawId) await this.sessions.delete(sha256(rawId));
  }

  /** A new API token: the returned `token` is the only time anyone sees it. */
  async createApiToken(userId: number, name: unknown): Promise<{ id: number; name: string; token: string }> {
    const label = typeof name === 'string' ? name.trim() : '';
    if (!label) throw usageError('give the token a name (what will use it)');
    if (label.length > 100) throw usageError('a token name has at most 100 characters');
    const token = `bitarr_${randomSecret()}`;
    const id = await this.tokens.create({ userId, name: label, tokenHash: sha256(token), createdAtMs: this.now() });
    return { id, name: label, token };
  }

  listApiTokens(userId: number): Promise<ApiTokenRow[]> {
    return this.tokens.list(userId);
  }

  async revokeApiToken(userId: number, id: number): Promise<void> {
    if (!(await this.tokens.revoke(id, userId, this.now()))) throw notFoundError(`no live API token ${id}`);
  }

  /** The user behind `Authorization: Bearer <token>`, or null for a wrong or revoked token. */
  async bearer(token: string): Promise<Principal | null> {
    if (!token || token.length > 200) return null;
    return this.tokens.useActive(sha256(token), this.now());
  }

  private async openSession(userId: number, username: string): Promise<SessionInfo> {
    const id = randomSecret();
    const csrfToken = randomSecret();
    const expiresAtMs = this.now() + SESSION_TTL_MS;
    await this.sessions.create({ idHash: sha256(id), userId, csrfToken, createdAtMs: this.now(), expiresAtMs });
    return { id, userId, username, csrfToken, expiresAtMs };
  }
}
