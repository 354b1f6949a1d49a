/**
 * The Bitarr image as a user runs it: built from this tree, started with a host folder mounted
 * read-only under /mnt, a host folder as /config and PUID/PGID set to a user that is not root,
 * published on 127.0.0.1 only. Also: compose.example.yml is a valid compose file, and the
 * Dockerfile passes the linter.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { appendFile, chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanJson } from '../helpers/bitarr.js';
import { hostCan } from '../lab/host.js';
import { buildImage, docker, dockerMissing, run, waitHealthy } from './docker.js';
import { testWhen } from '../lab/ava.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Ids no real account on a test machine has: nothing may end up owned by anyone else by accident.
const PUID = 23456;
const PGID = 23457;
const TAG = `bitarr-test:${randomUUID().slice(0, 12)}`;

const missing = await dockerMissing();
const dockerTest = testWhen(missing, 'container tests');

interface Started {
  url: string;
  dataDir: string;
  configDir: string;
  containerId: string;
  timings: string[];
}
let started: Started | undefined;
let tempRoot: string | undefined;
let containerId: string | undefined;
let imageBuilt = false;

const appliance = (): Started => {
  if (!started) throw new Error('the appliance did not start (see the before hook)');
  return started;
};

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

if (missing === null) {
  test.before('build the image and start it', async (t) => {
    t.timeout(30 * 60_000, 'building and starting the image');
    tempRoot = await mkdtemp(join(tmpdir(), 'bitarr-container-'));
    const dataDir = join(tempRoot, 'photos');
    const configDir = join(tempRoot, 'config');
    await mkdir(dataDir);
    await mkdir(configDir);
    await writeFile(join(dataDir, 'a.txt'), 'the first version\n');
    await writeFile(join(dataDir, 'b.bin'), Buffer.alloc(256 * 1024, 7));
    // Readable by its owner (root) only: the unprivileged Bitarr reads it through DAC_READ_SEARCH.
    await writeFile(join(dataDir, 'private.txt'), 'only root may read this\n');
    await chmod(join(dataDir, 'private.txt'), 0o600);

    const timings: string[] = [];
    let since = Date.now();
    await buildImage(ROOT, TAG, 25 * 60_000);
    imageBuilt = true;
    const size = (await docker(['image', 'inspect', '-f', '{{.Size}}', TAG])).stdout.trim();
    timings.push(`image built in ${seconds(since)}, ${Math.round(Number(size) / 1e6)} MB`);

    since = Date.now();
    const { stdout } = await docker([
      'run', '--detach', '--label', `io.bitarr.test=${TAG}`,
      '--env', `PUID=${PUID}`, '--env', `PGID=${PGID}`, '--env', 'TZ=Europe/Berlin',
      '--cap-add', 'DAC_READ_SEARCH',
      // The image's own probe, run every second instead of every 15 s so the test does not wait.
      '--health-interval', '1s',
      '--publish', '127.0.0.1::8286',
      '--volume', `${dataDir}:/mnt/photos:ro`,
      '--volume', `${configDir}:/config`,
      TAG,
    ]);
    containerId = stdout.trim();
    await waitHealthy(containerId, 120_000);
    timings.push(`healthy ${seconds(since)} after docker run`);
    const port = (await docker(['port', containerId, '8286/tcp'])).stdout.trim().split('\n')[0];
    started = { url: `http://${port}`, dataDir, configDir, containerId, timings };
  });

  test.after.always('remove the container and the image', async () => {
    if (containerId) await docker(['rm', '--force', '--volumes', containerId]).catch(() => undefined);
    // By the test's own tag: an identical build tagged by someone else keeps its tag. --no-prune
    // keeps the parent layers, the cache that makes the next build take seconds.
    if (imageBuilt) await docker(['rmi', '--no-prune', TAG]).catch(() => undefined);
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  });
}

async function bitarrInContainer(args: string[]): Promise<{ code: number; json: ScanJson }> {
  const r = await docker(['exec', appliance().containerId, 'bitarr', ...args], { timeoutMs: 120_000 }).then(
    (out) => ({ ...out, code: 0 }),
    (error: Error & { stdout?: string; stderr?: string; code?: number }) => ({ stdout: error.stdout ?? '', stderr: error.message, code: error.code ?? -1 }),
  );
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as ScanJson };
  } catch {
    throw new Error(`bitarr ${args.join(' ')} in the container printed no JSON (exit ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 500)}`);
  }
}

dockerTest.serial('the container becomes healthy and answers /healthz on 127.0.0.1 only', async (t) => {
  const { url, containerId: id, timings } = appliance();
  t.log(timings.join('; '));
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${url}/healthz`);
  t.is(res.status, 200);
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  t.deepEqual(await res.json(), { status: 'ok', version });
  t.is((await docker(['inspect', '-f', '{{.State.Health.Status}}', id])).stdout.trim(), 'healthy');
});

dockerTest.serial('a scan inside the container counts the mounted files, then reports a file changed on the host as modified', async (t) => {
  const { dataDir } = appliance();
  const first = await bitarrInContainer(['scan', '/mnt/photos', '--json']);
  t.is(first.code, 0);
  t.is(first.json.status, 'completed');
  t.is(first.json.files, 3);
  t.is(first.json.counts.new, 3);
  t.is(first.json.counts.denied, 0, 'the unprivileged user still reads a root-only file');
  t.is(first.json.timing.nativeReads, 3, 'the image carries the native file reader, and it loads');

  await appendFile(join(dataDir, 'a.txt'), 'an edit made on the host\n');
  const second = await bitarrInContainer(['scan', '/mnt/photos', '--json']);
  t.is(second.code, 0);
  t.is(second.json.status, 'completed');
  t.is(second.json.files, 3);
  t.deepEqual(
    second.json.findings.map((f) => [f.path, f.status]),
    [['a.txt', 'modified']],
  );
});

dockerTest.serial('bitarr devices in the container lists the mounted folders, not the /etc files Docker bind-mounts from the same disk', async (t) => {
  const { stdout } = await docker(['exec', appliance().containerId, 'bitarr', 'devices', '--json']);
  const json = JSON.parse(stdout) as { hosts: Array<{ devices: Array<{ mounts: Array<{ mountPoint: string }> }> }> };
  const mountPoints = json.hosts.flatMap((h) => h.devices.flatMap((d) => d.mounts.map((m) => m.mountPoint)));
  t.true(mountPoints.includes('/mnt/photos'), `mounts listed: ${mountPoints.join(', ')}`);
  for (const file of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) t.false(mountPoints.includes(file), `${file} listed among ${mountPoints.join(', ')}`);
});

dockerTest.serial('everything Bitarr wrote in /config belongs to PUID:PGID', async (t) => {
  const { configDir } = appliance();
  const strangers: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    if (st.uid !== PUID || st.gid !== PGID) strangers.push(`${path.slice(configDir.length) || '/'} ${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(configDir);
  t.true((await readdir(configDir)).includes('bitarr.db'));
  t.deepEqual(strangers, []);
});

dockerTest.serial('TZ sets the time zone of the tools in the container', async (t) => {
  const { stdout } = await docker(['exec', appliance().containerId, 'date', '+%Z']);
  t.true(['CET', 'CEST'].includes(stdout.trim()), stdout);
});

dockerTest.serial('docker stop ends the appliance cleanly: exit 0 well within the grace period', async (t) => {
  const { containerId: id } = appliance();
  const since = Date.now();
  await docker(['stop', '--time', '20', id], { timeoutMs: 30_000 });
  const took = Date.now() - since;
  t.log(`stopped in ${took} ms`);
  t.true(took < 10_000);
  t.is((await docker(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim(), '0');
  const logs = await docker(['logs', '--tail', '3', id]);
  t.regex(logs.stdout, /"msg":"stopped"/);
});

testWhen(hostCan('docker-compose'), 'container tests')('compose.example.yml is a valid compose file that mounts the data read-only under /mnt', async (t) => {
  await t.notThrowsAsync(run('docker-compose', ['-f', 'compose.example.yml', 'config', '-q'], { cwd: ROOT }));
  const text = await readFile(join(ROOT, 'compose.example.yml'), 'utf8');
  const dataMounts = text.split('\n').filter((line) => /^\s*-\s*[^#\s]+:\/mnt\//.test(line));
  t.true(dataMounts.length > 0);
  for (const line of dataMounts) t.regex(line, /:ro\s*$/, 'data is mounted read-only');
});

test('the Dockerfile passes dockerfile-utils lint', async (t) => {
  const lint = join(ROOT, 'node_modules', '.bin', 'dockerfile-utils');
  const { stdout, stderr } = await run(lint, ['lint', 'Dockerfile'], { cwd: ROOT });
  t.is(stdout.trim() + stderr.trim(), '');
});
