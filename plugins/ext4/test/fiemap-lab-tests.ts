// The FIEMAP mapper's tests on a real filesystem, registered once per filesystem it serves (the
// xfs plugin's test file calls this too). Every returned extent is checked against the image:
// a mapper that is merely plausible fails here.
import { openSync, writeSync, fsyncSync, closeSync, readFileSync } from 'node:fs';
import { chmod, mkdir, open, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import type { BitarrPlugin, CommandRunner, FileMapping, MapResult, PhysicalExtent, PluginContext, PluginManifest } from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import { Lab, fsNeeds, labTest, run, type LabFs } from '../../../test/lab/index.js';

export { byteProblems, hasExtents, type Extents } from '../../../test/lab/index.js';
import { byteProblems, hasExtents, type Extents } from '../../../test/lab/index.js';

/** The real runner, watched: counts filefrag processes and lets a test act just before one starts. */
function watchedContext(manifest: PluginManifest, settings: Record<string, number> = {}, before?: (args: string[]) => Promise<void>) {
  const context: PluginContext = createPluginContext(manifest, settings, () => undefined);
  const real = context.run;
  const calls: string[][] = [];
  const watched: CommandRunner = async (command, args, options) => {
    calls.push(args);
    await before?.(args);
    return real(command, args, options);
  };
  return { context: { ...context, run: watched }, calls };
}

// Appends to two files in turn, each append synced, so the allocator interleaves their blocks.
function writeInterleaved(paths: [string, string], rounds: number): void {
  const fds = paths.map((path) => openSync(path, 'w'));
  try {
    for (let i = 0; i < rounds; i++) {
      for (const fd of fds) {
        writeSync(fd, randomBytes(65536));
        fsyncSync(fd);
      }
    }
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

function mapped(t: ExecutionContext, result: MapResult): Map<string, FileMapping> {
  if (!result.available) throw new Error(`mapper said unavailable: ${result.reason}`);
  t.is(new Set(result.files.map((f) => f.path)).size, result.files.length, 'one entry per file');
  return new Map(result.files.map((f) => [f.path, f]));
}

export function registerFiemapLabTests(fs: LabFs, plugin: BitarrPlugin, manifest: PluginManifest): void {
  const labTestFs = labTest(fsNeeds(fs));
  const mapper = plugin.sectorMapper!;

  labTestFs(`${fs}: every extent holds the file's bytes, for fragmented, sparse, oddly named and unsynced files`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    await lab.writeFiles({ 'plain.bin': 300_000, 'with space.bin': 5000, '-dash.bin': 7000, 'ünïcode ☃.bin': 9000, 'dir/nested.bin': 70_000, 'empty': 0 });
    writeInterleaved([lab.path('frag.bin'), lab.path('frag-partner.bin')], 8);
    // 1 MiB hole, then data: the extent's logical offset is not 0.
    const sparse = await open(lab.path('sparse.bin'), 'w');
    await sparse.write(randomBytes(8192), 0, 8192, 1 << 20);
    await sparse.sync();
    await sparse.close();
    // Written just now and never synced: the filesystem has not placed it yet.
    await writeFile(lab.path('fresh.bin'), randomBytes(400_000));
    const { stdout } = await run('filefrag', ['-v', '-b1', '--', 'fresh.bin'], { cwd: lab.mnt });
    t.true(parseFilefrag(stdout, ['fresh.bin']).get('fresh.bin')!.notOnDisk.length > 0, `fresh.bin should still be a delayed allocation:\n${stdout}`);

    const rels = ['plain.bin', 'with space.bin', '-dash.bin', 'ünïcode ☃.bin', 'dir/nested.bin', 'frag.bin', 'frag-partner.bin', 'sparse.bin', 'fresh.bin', 'empty'];
    // The same file spelled twice must not confuse the batch.
    const twice = `${lab.mnt}/dir//nested.bin`;
    const { context, calls } = watchedContext(manifest);
    const result = await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files: [...rels.map((rel) => lab.path(rel)), twice] }, context);
    const byPath = mapped(t, result);
    t.deepEqual(byPath.get(twice), { ...byPath.get(lab.path('dir/nested.bin'))!, path: twice });
    t.is(calls.length, 1, 'one filefrag for the whole batch');
    t.true(calls[0]!.includes('-s'), 'filefrag syncs each file before mapping it');

    for (const rel of rels) {
      const mapping = byPath.get(lab.path(rel));
      if (!hasExtents(mapping)) {
        t.fail(`${rel}: ${JSON.stringify(mapping)}`);
        continue;
      }
      const content = await readFile(lab.path(rel));
      t.deepEqual(await byteProblems(lab.img, mapping, content, rel === 'sparse.bin' ? 1 << 20 : 0), [], rel);
    }
    const frag = byPath.get(lab.path('frag.bin')) as Extents;
    t.true(frag.extents.length >= 2, `frag.bin should be in several extents: ${JSON.stringify(frag.extents)}`);
    t.true(
      frag.extents.some((e, i) => i > 0 && e.physical !== frag.extents[i - 1]!.physical + frag.extents[i - 1]!.length),
      'frag.bin is physically discontiguous',
    );
    t.is((byPath.get(lab.path('sparse.bin')) as Extents).extents[0]!.logical, 1 << 20);
    t.deepEqual(byPath.get(lab.path('empty')), { path: lab.path('empty'), extents: [], note: 'empty file: no data on the device' });
  });

  labTestFs(`${fs}: files that cannot be mapped get an error each, the rest of the batch maps`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const rels = Array.from({ length: 12 }, (_, i) => `f${i}.bin`);
    await lab.writeFiles(Object.fromEntries(rels.map((rel, i) => [rel, 3000 + i * 1000])));
    await lab.writeFiles({ 'gone.bin': 100 });
    await unlink(lab.path('gone.bin'));
    await symlink('f0.bin', lab.path('link.bin'));
    await mkdir(lab.path('a-directory'));
    const requested = [
      ...rels.map((rel) => lab.path(rel)),
      lab.path('gone.bin'),
      lab.path('link.bin'),
      lab.path('a-directory'),
      '/etc/hostname',
      join(lab.mnt, '..', 'outside.bin'),
      'relative.bin',
    ];
    // f5.bin passes every check and then disappears just before filefrag opens it: the race a
    // live disk has. filefrag then exits non-zero for the whole batch.
    const raced = lab.path('f5.bin');
    const { context, calls } = watchedContext(manifest, {}, async () => {
      if (calls.length === 1) await unlink(raced);
    });
    const byPath = mapped(t, await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files: requested }, context));

    t.is(byPath.size, requested.length);
    for (const path of requested.slice(rels.length)) t.true(byPath.get(path) !== undefined && 'error' in byPath.get(path)!, `${path} has an error`);
    t.regex(errorOf(byPath, lab.path('gone.bin')), /no longer exists/);
    t.regex(errorOf(byPath, lab.path('link.bin')), /symbolic link/);
    t.regex(errorOf(byPath, '/etc/hostname'), /not a file under the mount point/);
    t.regex(errorOf(byPath, 'relative.bin'), /not a file under the mount point/);
    t.regex(errorOf(byPath, raced), /No such file or directory/);
    for (const rel of rels.filter((rel) => lab.path(rel) !== raced)) {
      const mapping = byPath.get(lab.path(rel));
      t.true(hasExtents(mapping), `${rel}: ${JSON.stringify(mapping)}`);
      if (hasExtents(mapping)) t.deepEqual(await byteProblems(lab.img, mapping, await readFile(lab.path(rel))), [], rel);
    }
    // Halving the failed batch finds the one bad file in far fewer runs than one per file.
    t.true(calls.length > 1 && calls.length <= 1 + 2 * Math.ceil(Math.log2(rels.length)), `${calls.length} filefrag runs`);
  });

  labTestFs(`${fs}: a large request is split into one filefrag per chunk`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const rels = await lab.randomTree(8, { seed: 3 });
    const { context, calls } = watchedContext(manifest, { filesPerProcess: 3 });
    const byPath = mapped(t, await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files: rels.map((rel) => lab.path(rel)) }, context));
    t.is(calls.length, 3);
    for (const rel of rels) {
      const mapping = byPath.get(lab.path(rel));
      t.true(hasExtents(mapping), rel);
      if (hasExtents(mapping)) t.deepEqual(await byteProblems(lab.img, mapping, await readFile(lab.path(rel))), [], rel);
    }
  });

  labTestFs(`${fs}: output cut short leaves the files it lost with an error, not the batch`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    await lab.writeFiles({ 'a.bin': 10_000, 'b.bin': 20_000, 'c.bin': 30_000 });
    const context = createPluginContext(manifest, {}, () => undefined);
    const real = context.run;
    // What a filefrag killed mid-write would leave: everything before the third file's header.
    const truncating: CommandRunner = async (command, args, options) => {
      const out = await real(command, args, options);
      return { ...out, stdout: out.stdout.slice(0, out.stdout.indexOf('File size of c.bin')) };
    };
    const files = ['a.bin', 'b.bin', 'c.bin'].map((rel) => lab.path(rel));
    const byPath = mapped(t, await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files }, { ...context, run: truncating }));
    t.true(hasExtents(byPath.get(files[0]!)) && hasExtents(byPath.get(files[1]!)));
    t.regex(errorOf(byPath, files[2]!), /printed nothing/);
  });

  // plugin.json claims no privileges: FIEMAP (and its sync) only needs the file open for reading.
  labTest([...fsNeeds(fs), 'setpriv'])(`${fs}: FIEMAP answers an unprivileged user the same as root`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    await writeFile(lab.path('shared.bin'), randomBytes(50_000));
    await chmod(lab.path('shared.bin'), 0o644);
    const asNobody = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'filefrag', '-v', '-b1', '-s', '--', 'shared.bin'], { cwd: lab.mnt });
    const byNobody = parseFilefrag(asNobody.stdout, ['shared.bin']).get('shared.bin')!;
    t.is(byNobody.notOnDisk.length, 0, 'the unprivileged sync placed the file');
    const context = createPluginContext(manifest, {}, () => undefined);
    const byPath = mapped(t, await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files: [lab.path('shared.bin')] }, context));
    const asRoot = byPath.get(lab.path('shared.bin'));
    if (!hasExtents(asRoot)) return t.fail(JSON.stringify(asRoot));
    t.deepEqual(
      byNobody.extents.map((e) => e.physical),
      asRoot.extents.map((e) => e.physical),
    );
    t.deepEqual(await byteProblems(lab.img, asRoot, await readFile(lab.path('shared.bin'))), []);
  });
}

export function errorOf(byPath: Map<string, FileMapping>, path: string): string {
  const mapping = byPath.get(path);
  return mapping && 'error' in mapping ? mapping.error : `no error: ${JSON.stringify(mapping)}`;
}

export function readManifest(url: URL): PluginManifest {
  return JSON.parse(readFileSync(url, 'utf8')) as PluginManifest;
}
