/**
 * A real appliance in-process on 127.0.0.1:0 with a temp config dir, and a browser-ish client
 * (a cookie jar, no automatic redirects) to talk to it over real HTTP.
 */
import type { ExecutionContext } from 'ava';
import { startAppliance } from '../../src/cli/serve.command.js';
import { openDb, tempDir } from '../helpers/bitarr.js';

export const PASSWORD = 'correct horse battery';

export interface Appliance {
  url: string;
  dir: string;
  logs: Array<Record<string, unknown>>;
  client(): Client;
  /** Closes the server's database under it (what a broken disk under /config looks like to it). */
  breakDatabase(): Promise<void>;
  /** Shuts the appliance down as SIGTERM does (running scans stop resumably). */
  close(): Promise<void>;
}

export async function appliance(t: ExecutionContext): Promise<Appliance> {
  const dir = await tempDir(t, 'bitarr-server-');
  const logs: Array<Record<string, unknown>> = [];
  const running = await startAppliance({ configDir: dir, port: 0, bind: '127.0.0.1', log: (e) => logs.push(e) });
  t.teardown(() => running.close());
  return { url: running.url, dir, logs, client: () => new Client(running.url), breakDatabase: () => running.db.destroy(), close: () => running.close() };
}

export interface Sent {
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Adds the `_csrf` field this client last saw in a page (or the given one). */
  csrf?: boolean | string;
}

export class Client {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, { headers });
  }

  async post(path: string, sent: Sent = {}) {
    const form = { ...sent.form };
    if (sent.csrf) form._csrf = sent.csrf === true ? this.csrf : sent.csrf;
    return this.request('POST', path, { headers: { 'content-type': 'application/x-www-form-urlencoded', ...sent.headers }, body: new URLSearchParams(form).toString() });
  }

  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.base + path, { method, redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...init.headers }, body: init.body });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (!value || attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as any, setCookies: res.headers.getSetCookie() };
  }

  /** GET the form (for its CSRF token), then POST it. */
  async submit(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    await this.get(path);
    return this.post(path, { form, csrf: true, headers });
  }
}

/** A client logged in as the admin created at first run. */
export async function admin(app: Appliance, username = 'admin'): Promise<Client> {
  const c = app.client();
  const r = await c.submit('/setup', { username, password: PASSWORD });
  if (r.status !== 303) throw new Error(`setup failed: ${r.status} ${r.text.slice(0, 300)}`);
  await c.get('/'); // picks up the session's CSRF token
  return c;
}

/** Users, sessions and API tokens as stored: to prove a refused request changed nothing. */
export async function authDump(dir: string): Promise<string> {
  const db = openDb(dir);
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ['users', 'sessions', 'api_tokens']) out[table] = await db(table).select('*').orderBy(1);
    return JSON.stringify(out);
  } finally {
    await db.destroy();
  }
}

export async function count(dir: string, table: string): Promise<number> {
  const db = openDb(dir);
  try {
    const r = await db(table).count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  } finally {
    await db.destroy();
  }
}

/** Polls `fn` every 100 ms until it gives something truthy; fails naming what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
