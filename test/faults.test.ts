/**
 * Faults around a real disk: the filesystem unmounted in the middle of a scan, a disk that is not
 * mounted at all, files the scanning user may not read. None of them may turn into `missing`,
 * `vanished` or an alarm.
 */
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { alarms, byPath, scan, startScanMidway, tempDir, type ScanJson } from './helpers/bitarr.js';
import { Lab, fsNeeds, labTest } from './lab/index.js';

const ext4 = labTest(['root', ...fsNeeds('ext4')]);

ext4('a filesystem unmounted (lazily) mid-scan interrupts the scan: nothing missing, nothing vanished; --resume finishes it', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(await tempDir(t), 'cfg');
  const files = await lab.randomTree(120, { seed: 3 });
  t.is((await scan(lab.mnt, cfg)).code, 0);

  const { done } = await startScanMidway(lab.mnt, cfg, '4M');
  await lab.unmount({ lazy: true });
  const r = await done;
  const j: ScanJson = JSON.parse(r.stdout);
  t.is(r.code, 2, 'an environment fault, not a clean run and not an alarm');
  t.is(j.status, 'interrupted');
  t.regex(j.reason ?? '', /unmounted or replaced during the scan.*nothing was marked missing/);
  t.is(j.counts.missing, 0);
  t.is(j.counts.vanished, 0);
  t.deepEqual(alarms(j), []);
  t.true(j.files < files.length, `stopped part-way (${j.files} of ${files.length})`);
  t.regex(r.stderr, /interrupted/);

  await lab.mount();
  const resumed = await scan(lab.mnt, cfg, ['--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(resumed.json.scanId, j.scanId);
  t.deepEqual(byPath(resumed.json), {});
  t.is(resumed.json.counts.ok, files.length);
});

ext4('a disk that is not mounted is not "all files missing": the empty mount point is refused', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(await tempDir(t), 'cfg');
  const files = await lab.randomTree(10, { seed: 4 });
  t.is((await scan(lab.mnt, cfg)).code, 0);
  await lab.unmount();
  const r = await scan(lab.mnt, cfg);
  t.is(r.code, 2);
  t.is(r.json.status, 'interrupted');
  t.regex(r.json.reason ?? '', new RegExp(`is empty but ${files.length} files were verified there before: is the disk mounted\\?`));
  t.is(r.json.counts.missing, 0);
  await lab.mount();
  t.deepEqual(byPath((await scan(lab.mnt, cfg)).json), {});
});

ext4('files the scanning user may not read are denied, not the disk\'s fault, and their folders keep their baselines', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const dir = await tempDir(t);
  const cfg = join(dir, 'cfg');
  await chmod(dir, 0o755);
  await mkdir(cfg);
  await chown(cfg, 65534, 65534);
  await lab.writeFiles({ 'public/a.txt': 5000, 'secret/b.txt': 5000, 'mixed/open.txt': 100, 'mixed/closed.txt': 100 });
  await chmod(lab.dir, 0o755);
  await chmod(lab.mnt, 0o755);
  for (const d of ['public', 'secret', 'mixed']) await chmod(lab.path(d), 0o755);
  for (const f of ['public/a.txt', 'secret/b.txt', 'mixed/open.txt', 'mixed/closed.txt']) await chmod(lab.path(f), 0o644);
  const nobody = { uid: 65534, gid: 65534 };
  t.is((await scan(lab.mnt, cfg, [], nobody)).code, 0);

  await chmod(lab.path('secret'), 0o700);
  await chmod(lab.path('mixed/closed.txt'), 0o600);
  const r = await scan(lab.mnt, cfg, [], nobody);
  t.is(r.code, 0, `denied is not an alarm\n${r.stderr}`);
  // ext4's lost+found is root's alone: an unprivileged scan says so too.
  t.deepEqual(byPath(r.json), { secret: 'denied', 'mixed/closed.txt': 'denied', 'lost+found': 'denied' });
  t.regex(r.json.findings.find((f) => f.path === 'mixed/closed.txt')?.detail ?? '', /^EACCES: permission denied to this user; not the disk's fault/);
  t.is(r.json.counts.missing, 0, 'files in a folder that could not be read are not missing');
});

ext4('another filesystem mounted inside the root is not entered', async (t) => {
  const outer = await Lab.create('ext4');
  t.teardown(() => outer.dispose());
  const inner = await Lab.create('ext4');
  t.teardown(() => inner.dispose());
  await outer.writeFiles({ 'top.txt': 100 });
  await inner.writeFiles({ 'inner.txt': 100 });
  await inner.unmount();
  await inner.mount(outer.path('nested'));
  const cfg = join(await tempDir(t), 'cfg');
  const r = await scan(outer.mnt, cfg);
  t.is(r.code, 0);
  t.deepEqual(byPath(r.json), { 'top.txt': 'new', nested: 'skipped' });
  t.regex(r.json.findings.find((f) => f.path === 'nested')?.detail ?? '', /another filesystem is mounted here/);
});
