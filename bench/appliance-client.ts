/**
 * The appliance benchmark's two sides of HTTP: `bitarr serve` started as its own process (as in
 * production, so the client never shares its event loop) with its request log read back, and a
 * browser-ish client that logs in through the first-run form and keeps the session cookie.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// dist/bench/appliance-client.js → dist/src/cli.js: the build that `npm run bench:appliance` just made.
export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const PASSWORD = 'bench appliance password';

export interface Server {
  child: ChildProcess;
  url: string;
  /** Server-side milliseconds of each request, from its request log, in completion order. */
  serverMs: number[];
}

export function startServer(configDir: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config-dir', configDir], {
    env: { ...process.env, BITARR_PORT: '0', BITARR_BIND: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serverMs: number[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { msg?: string; url?: string; ms?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'listening' && entry.url) resolve({ child, url: entry.url, serverMs });
      else if (entry.msg === 'request' && typeof entry.ms === 'number') serverMs.push(entry.ms);
    });
    child.on('exit', (code) => reject(new Error(`bitarr serve exited (${code}) before listening: ${stderr.trim()}`)));
    child.on('error', reject);
  });
}

export async function stopServer(server: Server | null): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

export interface Answer {
  status: number;
  bytes: number;
  ms: number;
  text: string;
  cookies: string[];
}

export function fetchOnce(agent: Agent, url: string, opts: { method?: string; cookie?: string; form?: Record<string, string>; keepText?: boolean } = {}): Promise<Answer> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8', 'accept-encoding': 'identity' };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: opts.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (opts.keepText) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0, text: Buffer.concat(chunks).toString('utf8'), cookies: res.headers['set-cookie'] ?? [] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookiePair = (cookies: string[], name: string) => cookies.map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`)) ?? null;

/** The first-run form, as a browser fills it: its CSRF cookie and field, then the session cookie. */
export async function loginAsAdmin(agent: Agent, url: string): Promise<string> {
  const form = await fetchOnce(agent, `${url}/setup`, { keepText: true });
  const csrfCookie = cookiePair(form.cookies, 'bitarr_csrf');
  const field = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
  if (form.status !== 200 || !csrfCookie || !field) throw new Error(`GET /setup gave ${form.status} without a CSRF token: is the seeded database already set up?`);
  const done = await fetchOnce(agent, `${url}/setup`, { method: 'POST', cookie: csrfCookie, form: { username: 'admin', password: PASSWORD, _csrf: field }, keepText: true });
  const session = cookiePair(done.cookies, 'bitarr_session');
  if (done.status !== 303 || !session) throw new Error(`POST /setup gave ${done.status}: ${done.text.slice(0, 200)}`);
  return session;
}
