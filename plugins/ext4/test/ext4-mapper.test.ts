// The ext4 plugin on real ext4 images: see fiemap-lab-tests.ts for what every FIEMAP filesystem
// must pass; here what only needs checking once (the device the offsets are on).
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from '../../../src/shared/plugin-api.js';
import { Lab, fsNeeds, labTest } from '../../../test/lab/index.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import plugin from '../index.js';
import { byteProblems, errorOf, hasExtents, readManifest, registerFiemapLabTests } from './fiemap-lab-tests.js';

const manifest = readManifest(new URL('../plugin.json', import.meta.url));

registerFiemapLabTests('ext4', plugin, manifest);

labTest(fsNeeds('ext4'))('ext4: files of a disk mounted below the mount point, and the wrong device, are refused', async (t) => {
  const outer = await Lab.create('ext4');
  const inner = await Lab.create('ext4');
  // Inner first: it is mounted inside outer.
  t.teardown(async () => {
    await inner.dispose();
    await outer.dispose();
  });
  await outer.writeFiles({ 'outer.bin': 20_000 });
  await inner.unmount();
  await inner.mount(outer.path('nested'));
  await inner.writeFiles({ 'inner.bin': 20_000 });
  const context = createPluginContext(manifest, {}, () => undefined);
  const files = [outer.path('outer.bin'), inner.path('inner.bin')];

  const result = await plugin.sectorMapper!.map({ device: outer.loop!, mountPoint: outer.mnt, fsType: 'ext4', files }, context);
  if (!result.available) return t.fail(result.reason);
  const byPath = new Map(result.files.map((f) => [f.path, f]));
  const mapping = byPath.get(files[0]!);
  t.true(hasExtents(mapping));
  if (hasExtents(mapping)) t.deepEqual(await byteProblems(outer.img, mapping, await readFile(files[0]!)), []);
  t.regex(errorOf(byPath, files[1]!), /another filesystem mounted below/);

  const wrong = await plugin.sectorMapper!.map({ device: inner.loop!, mountPoint: outer.mnt, fsType: 'ext4', files }, context);
  t.false(wrong.available);
  if (!wrong.available) t.regex(wrong.reason, /is not the device mounted there/);
});

test('without filefrag on PATH the mapper says it is unavailable and what it needs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-ext4-nofilefrag-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.bin'), 'data');
  const context = createPluginContext(manifest, {}, () => undefined);
  const real = context.run;
  // The same runner, asked for a program that is not installed anywhere.
  const noFilefrag: CommandRunner = (_command, args, options) => real('filefrag-not-installed-here', args, options);
  const result = await plugin.sectorMapper!.map({ device: '/dev/null', mountPoint: dir, fsType: 'ext4', files: [join(dir, 'a.bin')] }, { ...context, run: noFilefrag });
  t.false(result.available);
  // execvp says ENOENT, or EACCES when a directory on PATH is closed to this user.
  if (!result.available) {
    t.regex(result.reason, /filefrag \(e2fsprogs\) is not installed|filefrag cannot be started \(EACCES\)/);
    t.is(result.needs, 'filefrag');
  }
});

test('an aborted request rejects instead of returning half an answer', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-ext4-abort-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.bin'), 'data');
  const context = createPluginContext(manifest, {}, () => undefined);
  const before = { device: '/dev/null', mountPoint: dir, fsType: 'ext4', files: [join(dir, 'a.bin')], signal: AbortSignal.abort() };
  await t.throwsAsync(plugin.sectorMapper!.map(before, context), { any: true, name: 'AbortError' });
  // Aborted while filefrag runs: the runner kills it, and that is not blamed on the files.
  const controller = new AbortController();
  const real = context.run;
  const abortingRun: CommandRunner = (command, args, options) => {
    controller.abort();
    return real(command, args, options);
  };
  const during = { ...before, signal: controller.signal };
  await t.throwsAsync(plugin.sectorMapper!.map(during, { ...context, run: abortingRun }), { message: /abort/i });
});
