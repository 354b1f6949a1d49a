// The Docker CLI for the container test: whether this host can run it at all, and one way to
// call docker that reports what went wrong. Only the containers and images a test made itself are
// removed, by their id or the test's own tag.
import { execFile } from 'node:child_process';
import { hostCan } from '../lab/host.js';

export interface Output {
  stdout: string;
  stderr: string;
}

// The legacy builder: `docker build --network host` works without the buildx plugin and the
// network.host entitlement BuildKit would ask for (Debian's docker.io 20.10 ships no buildx).
const env = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_BUILDKIT: '0' });

const tail = (text: string, lines = 40) => text.trim().split('\n').slice(-lines).join('\n');

export function run(cmd: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, env: env(), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const why = error.signal ? `signal ${error.signal}` : `exit ${String(error.code)}`;
      reject(Object.assign(new Error(`${cmd} ${args.join(' ')} failed (${why}):\n${tail(stderr || stdout) || error.message}`), { stdout, stderr, code: error.code }));
    });
  });
}

export const docker = (args: string[], opts: { timeoutMs?: number; cwd?: string } = {}) => run('docker', args, opts);

/** Why this host cannot run the container test, or null. */
export async function dockerMissing(): Promise<string | null> {
  const reason = hostCan('root', 'docker', 'docker-compose');
  if (reason !== null) return reason;
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
    return null;
  } catch (error) {
    return `dockerd does not answer (${(error as Error).message.split('\n').slice(1).join(' ').trim()}); .ci/docker installs and starts it`;
  }
}

/** `docker build` of `context` as `tag`; the image id. */
export async function buildImage(context: string, tag: string, timeoutMs: number): Promise<string> {
  // --network host: RUN steps reach the Debian mirror and the npm registry on hosts where Docker's
  // bridge network has no way out (this CI), and behave the same where it has one. --force-rm: a
  // failing step leaves no stopped container behind.
  await docker(['build', '--force-rm', '--network', 'host', '--label', `io.bitarr.test=${tag}`, '-t', tag, context], { timeoutMs });
  return (await docker(['image', 'inspect', '-f', '{{.Id}}', tag])).stdout.trim();
}

/** Polls the container's health until Docker says `healthy`; throws with its last probe's output otherwise. */
export async function waitHealthy(id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = '';
  while (Date.now() < deadline) {
    state = (await docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id])).stdout.trim();
    if (state === 'running healthy') return;
    if (!state.startsWith('running')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const probes = (await docker(['inspect', '-f', '{{json .State.Health}}', id]).catch(() => ({ stdout: '' }))).stdout;
  const logs = await docker(['logs', '--tail', '30', id]).catch((e: Error) => ({ stdout: e.message, stderr: '' }));
  throw new Error(`container ${id.slice(0, 12)} is "${state}", not healthy\nhealth: ${probes.trim()}\nlogs:\n${logs.stdout}${logs.stderr}`);
}
