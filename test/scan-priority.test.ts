/**
 * A scan's hashing threads run at a lower priority (nice 10) than its main thread, which writes
 * the results, and than the rest of the machine: read from /proc while a real scan runs.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startScanMidway, tempDir } from './helpers/bitarr.js';

/** nice of each thread of `pid`, by thread id (field 19 of /proc/PID/task/TID/stat). */
async function niceByThread(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

test('hashing threads run at nice 10, the main thread at the nice it was started with', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await mkdir(root);
  for (let i = 0; i < 40; i++) await writeFile(join(root, `f${i}.bin`), randomBytes(64 * 1024));
  // 2.5 MiB at 400 kB/s: long enough to look at it, small files so that it stops quickly.
  const { child, done } = await startScanMidway(root, join(dir, 'cfg'), '400k');
  try {
    const nice = await niceByThread(child.pid!);
    t.is(nice.get(child.pid!), 0, 'the main thread keeps its priority');
    const lowered = [...nice.values()].filter((n) => n === 10).length;
    t.true(lowered >= 2, `two hashing workers at nice 10 (threads: ${JSON.stringify([...nice])})`);
  } finally {
    child.kill('SIGINT');
    await done;
  }
});
