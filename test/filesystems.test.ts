/**
 * The promise of the product, on each filesystem a home lab has: bits flipped on the disk under
 * files (unmounted, straight into the image) are found — one file, and a band across three
 * neighbouring files — and every legitimate change around them is classified right: 0 false alarms.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, open, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { byPath, scan, tempDir } from './helpers/bitarr.js';
import { LAB_FILESYSTEMS, Lab, fsNeeds, labTest, type LabFs } from './lab/index.js';

const REWRITER = `const fs = require('fs'), c = require('crypto'), p = process.argv[1];
  const size = fs.statSync(p).size;
  setInterval(() => { const fd = fs.openSync(p, 'r+'); fs.writeSync(fd, c.randomBytes(size), 0, size, 0); fs.closeSync(fd); }, 15);`;

const NO_CHANGE_TIME: ReadonlySet<LabFs> = new Set(['vfat', 'exfat']);

/** Files written a while ago: a baseline read right after a write is (rightly) not trusted to prove rot. */
async function age(lab: Lab, rels: string[]) {
  const past = new Date('2024-03-01T12:00:00Z');
  for (const rel of rels) await utimes(lab.path(rel), past, past);
  await lab.unmount();
  await lab.mount();
}

for (const fs of LAB_FILESYSTEMS) {
  labTestFor(fs)(`${fs}: injected bitrot is found and every legitimate change is classified right`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const cfg = join(await tempDir(t), 'cfg');
    const files = await lab.randomTree(40, { seed: 7 });
    await age(lab, files);

    const first = await scan(lab.mnt, cfg);
    t.is(first.code, 0, first.stderr);
    t.is(first.json.counts.new, files.length);

    const sizes = new Map(await Promise.all(files.map(async (f) => [f, (await stat(lab.path(f))).size] as const)));
    const single = files.find((f) => sizes.get(f)! >= 65_536)!;
    const band = (await lab.neighbours(3, files.filter((f) => f !== single))) as [string, string, string];
    const rest = files.filter((f) => f !== single && !band.includes(f) && sizes.get(f)! >= 4096);
    const [edited, preserved, touched, deleted, renamed, live] = rest;

    await lab.corrupt(single);
    await lab.corruptBand(band);

    if (fs === 'vfat') {
      // fusefat mangles appends (the size grows, the data ends early; Bitarr calls that
      // unreadable, rightly), so edit the way many editors save: a new file renamed over the old.
      await writeFile(lab.path('edit.tmp'), randomBytes(5000));
      await rename(lab.path('edit.tmp'), lab.path(edited));
    } else {
      await appendFile(lab.path(edited), 'an honest edit');
    }
    // A sync tool rewrites the bytes in place and puts the mtime back.
    const before = await stat(lab.path(preserved));
    const handle = await open(lab.path(preserved), 'r+');
    await handle.write(randomBytes(before.size), 0, before.size, 0);
    await handle.close();
    await utimes(lab.path(preserved), before.atime, before.mtime);
    const now = new Date();
    await utimes(lab.path(touched), now, now);
    await unlink(lab.path(deleted));
    await rename(lab.path(renamed), lab.path(`${renamed}.renamed`));
    await writeFile(lab.path('added.bin'), randomBytes(10_000));
    await lab.unmount();
    await lab.mount();

    // Another process rewrites one file in place, same size, for as long as the scan runs.
    const writer = spawn(process.execPath, ['-e', REWRITER, lab.path(live)], { stdio: 'ignore' });
    t.teardown(() => writer.kill('SIGKILL'));
    const r = await scan(lab.mnt, cfg);
    writer.kill('SIGKILL');
    await once(writer, 'exit');
    const liveFinding = byPath(r.json)[live];
    const liveDetail = r.json.findings.find((f) => f.path === live)?.detail ?? '';
    if (fs === 'vfat' && liveFinding === 'corrupted') {
      // fusefat moves no mtime on a write and keeps no change time: a rewrite whose reads happen
      // to agree is indistinguishable from rot, and Bitarr must say exactly that.
      t.regex(liveDetail, /keeps no change time, so an edit that restored the mtime cannot be told from bitrot/);
    } else {
      t.true(liveFinding === 'modified' || liveFinding === 'busy', `a file rewritten during the scan is modified or busy, not ${liveFinding}`);
    }
    r.json.findings = r.json.findings.filter((f) => f.path !== live);
    t.is(r.code, 1, `exit 1 when anything is corrupted or unreadable\n${r.stderr}`);
    t.is(r.json.status, 'completed');
    const rot = fs === 'btrfs' ? 'unreadable' : 'corrupted';
    t.deepEqual(byPath(r.json), {
      [single]: rot,
      [band[0]]: rot,
      [band[1]]: rot,
      [band[2]]: rot,
      [edited]: 'modified',
      // Without a change time an edit that restores the mtime looks exactly like bitrot; say so.
      [preserved]: NO_CHANGE_TIME.has(fs) ? 'corrupted' : 'modified_mtime_preserved',
      [touched]: 'touched',
      [deleted]: 'missing',
      [`${renamed}.renamed`]: 'moved',
      'added.bin': 'new',
    });
    t.is(r.json.counts.ok, files.length - 4 - 6, 'every other file is ok');
    const detail = (p: string) => r.json.findings.find((f) => f.path === p)?.detail ?? '';
    if (fs === 'btrfs') t.regex(detail(single), /^EIO: the read failed/);
    else t.regex(detail(single), /confirmed by a second read that bypassed the page cache/);
    if (NO_CHANGE_TIME.has(fs)) t.regex(detail(preserved), /keeps no change time, so an edit that restored the mtime cannot be told from bitrot/);
    // fusefat names no device in the mount table; every other driver here does.
    if (fs !== 'vfat') t.truthy(r.json.roots[0].device.uuid, 'the device is recorded by filesystem UUID');
  });
}

function labTestFor(fs: LabFs) {
  return labTest(['root', ...fsNeeds(fs)]);
}

labTestFor('vfat')('vfat: rot in the FAT itself (a cluster chain cut short) makes the file unreadable, not ok', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  const cfg = join(await tempDir(t), 'cfg');
  await lab.writeFiles({ 'album/track01.flac': 200_000, 'album/track02.flac': 200_000 });
  await age(lab, ['album/track01.flac', 'album/track02.flac']);
  t.is((await scan(lab.mnt, cfg)).code, 0);

  // End track01's cluster chain after its first cluster, in both copies of the FAT.
  const [first] = (await lab.mapFiles(['album/track01.flac'])).get('album/track01.flac')!;
  await lab.unmount();
  const img = await open(lab.img, 'r+');
  const boot = Buffer.alloc(512);
  await img.read(boot, 0, 512, 0);
  const bytesPerSector = boot.readUInt16LE(11);
  const clusterSize = boot[13] * bytesPerSector;
  const reserved = boot.readUInt16LE(14) * bytesPerSector;
  const fatCount = boot[16];
  const fatSize = boot.readUInt32LE(36) * bytesPerSector;
  const cluster = (first.physical - (reserved + fatCount * fatSize)) / clusterSize + 2;
  t.true(Number.isInteger(cluster) && cluster >= 2, `cluster ${cluster}`);
  const endOfChain = Buffer.alloc(4);
  endOfChain.writeUInt32LE(0x0fffffff);
  for (let copy = 0; copy < fatCount; copy++) await img.write(endOfChain, 0, 4, reserved + copy * fatSize + cluster * 4);
  await img.close();
  await lab.mount();

  const r = await scan(lab.mnt, cfg);
  t.is(r.code, 1, r.stderr);
  t.deepEqual(byPath(r.json), { 'album/track01.flac': 'unreadable' });
  t.regex(r.json.findings[0].detail ?? '', /the filesystem reports 200000 bytes but reading ends at \d+: the file's allocation is damaged/);
});
