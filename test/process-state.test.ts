/**
 * Whether a scan's process still runs decides whether its scan is `running` (and holds back a scan
 * of the same files) or was killed (and becomes `aborted`). A zombie must count as gone.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isProcessAlive } from '../src/repositories/process-state.js';

const state = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return null;
  }
};

test('a running process is alive; one that exited and was not reaped (a zombie) is not, though kill(pid, 0) still answers', async (t) => {
  // sh starts a short sleep in the background and becomes a long `sleep`, which never reaps it.
  // The short one must outlive the exec: one that ended before it was reaped by sh.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => void parent.kill('SIGKILL'));
  const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
  t.true(Number.isInteger(zombie) && zombie > 0);
  for (let i = 0; i < 100 && state(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
  t.is(state(zombie), 'Z', 'the background child became a zombie');
  t.notThrows(() => process.kill(zombie, 0), 'kill(pid, 0) answers for a zombie');
  t.false(isProcessAlive(zombie));
  t.true(isProcessAlive(parent.pid!));
  t.true(isProcessAlive(process.pid));
  parent.kill('SIGKILL');
  await new Promise((r) => parent.once('exit', r));
  t.false(isProcessAlive(parent.pid!), 'a process that exited and was reaped');
});
