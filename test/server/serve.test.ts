/** `bitarr serve` as a process: starts, answers /healthz, and exits 0 promptly on SIGTERM. */
import test from 'ava';
import { createInterface } from 'node:readline';
import { start, tempDir } from '../helpers/bitarr.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`bitarr serve answers /healthz and exits 0 within 5 s of ${signal}`, async (t) => {
    const dir = await tempDir(t);
    const child = start(['serve'], { env: { BITARR_CONFIG_DIR: dir, BITARR_PORT: '0', BITARR_BIND: '127.0.0.1' } });
    t.teardown(() => child.exitCode === null && child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    t.false(first.done, stderr);
    const listening = JSON.parse(first.value as string);
    t.is(listening.msg, 'listening');
    t.regex(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const res = await fetch(`${listening.url}/healthz`);
    t.is(res.status, 200);
    t.is(((await res.json()) as { status: string }).status, 'ok');
    // A passing health check is not logged (the container asks every 15 s); other requests are.
    t.is((await fetch(`${listening.url}/nowhere`, { redirect: 'manual' })).status, 302, 'to /setup');
    const log = JSON.parse((await lines.next()).value as string);
    t.like(log, { msg: 'request', method: 'GET', path: '/nowhere', status: 302 });

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const sent = Date.now();
    child.kill(signal);
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
    t.is(code, 0, stderr);
    t.true(Date.now() - sent < 5000);
    t.is(stderr, '');
  });
}

test('a bad BITARR_PORT is one clear line and exit 2', async (t) => {
  const dir = await tempDir(t);
  const child = start(['serve'], { env: { BITARR_CONFIG_DIR: dir, BITARR_PORT: 'eighty' } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  t.is(code, 2);
  t.is(stderr, 'bitarr: BITARR_PORT must be a port number (0-65535), not "eighty"\n');
});
