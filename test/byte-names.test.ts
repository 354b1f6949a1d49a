/**
 * Names that are not UTF-8 (Latin-1 archives, old Samba shares): verified like any other file,
 * never reported vanished because Node could not spell them, and their bitrot found. On a real
 * ext4 image, with the corruption flipped in the image under the file while unmounted.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesFromText, displayPath, textFromBytes } from '../src/domain/path-bytes.js';
import { bitarr, byPath, scan, tempDir } from './helpers/bitarr.js';
import { Lab, fsNeeds, labTest } from './lab/index.js';

const latin1 = Buffer.from('café.bin', 'latin1'); // é is the single byte 0xE9: not UTF-8
const latin1Text = 'caf\u{10FFE9}.bin';
// A real name holding a code point of the escape block: it must not be read as an escaped byte.
const escapeBlock = 'block-\u{10FF41}.bin';

test('path text: every byte string survives the round trip, UTF-8 stays as it is', (t) => {
  t.is(textFromBytes(Buffer.from('photos/été 2019/IMG_1.jpg')), 'photos/été 2019/IMG_1.jpg');
  t.is(textFromBytes(latin1), latin1Text);
  t.is(displayPath(latin1Text), 'caf\\xe9.bin');
  t.deepEqual(bytesFromText(latin1Text), latin1);
  const block = Buffer.from(escapeBlock, 'utf8');
  t.not(textFromBytes(block), escapeBlock, 'a real escape-block code point is itself escaped');
  t.deepEqual(bytesFromText(textFromBytes(block)), block);
  // Overlong forms, surrogates, truncated sequences and stray continuation bytes.
  for (const hex of ['c0af', 'eda080', 'e282', 'f4908080', '80', 'ff', 'e2ffac', '41f09f98']) {
    const bytes = Buffer.from(hex, 'hex');
    t.deepEqual(bytesFromText(textFromBytes(bytes)), bytes, hex);
  }
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(1 + (i % 24));
    t.deepEqual(bytesFromText(textFromBytes(bytes)), bytes);
  }
});

test('bitarr scan: a folder of non-UTF-8 names is verified on every scan, never vanished', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await mkdir(root);
  const latinDir = Buffer.concat([Buffer.from(root + '/'), Buffer.from('Musique ancienne \xe0 \xe9couter', 'latin1')]);
  await mkdir(latinDir);
  await writeFile(Buffer.concat([latinDir, Buffer.from('/'), latin1]), randomBytes(4000));
  await writeFile(join(root, escapeBlock), randomBytes(3000));
  const past = new Date(Date.now() - 3600_000);
  await utimes(Buffer.concat([latinDir, Buffer.from('/'), latin1]), past, past);
  await utimes(join(root, escapeBlock), past, past);

  const cfg = join(dir, 'cfg');
  const first = await scan(root, cfg);
  t.is(first.code, 0, first.stderr);
  t.is(first.json.counts.new, 2);
  const names = first.json.findings.map((f) => f.path).sort();
  t.true(names.includes(`Musique ancienne \u{10FFE0} \u{10FFE9}couter/${latin1Text}`), names.join(', '));
  const second = await scan(root, cfg);
  t.is(second.code, 0, second.stderr);
  t.is(second.json.counts.ok, 2, JSON.stringify(second.json.findings));
  t.is(second.json.counts.vanished, 0);
  t.is(second.json.counts.missing, 0);
  t.is(second.json.counts.new, 0);
});

const ext4 = labTest(['root', ...fsNeeds('ext4')]);

ext4('ext4: bitrot in a file whose name is Latin-1 is found as corrupted, and nothing else moves', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'archive/latin.tmp': randomBytes(64 * 1024), 'archive/plain.bin': randomBytes(64 * 1024) });
  // Placed while it still has a name the lab can spell; a rename moves no data.
  const [extent] = (await lab.mapFiles(['archive/latin.tmp'])).get('archive/latin.tmp')!;
  t.truthy(extent, 'the file has a physical extent');
  const latinPath = Buffer.concat([Buffer.from(lab.path('archive') + '/'), latin1]);
  await rename(lab.path('archive/latin.tmp'), latinPath);
  const past = new Date(Date.now() - 3600_000);
  await utimes(latinPath, past, past);
  await utimes(lab.path('archive/plain.bin'), past, past);

  const cfg = join(dir, 'cfg');
  const first = await scan(lab.mnt, cfg);
  t.is(first.code, 0, first.stderr);
  t.is(first.json.counts.new, 2);
  const again = await scan(lab.mnt, cfg);
  t.deepEqual([again.json.counts.ok, again.json.counts.vanished], [2, 0], JSON.stringify(again.json.findings));

  await lab.unmount();
  await lab.flip(extent!.physical + 5000, 4, 0x01);
  await lab.mount();
  const after = await scan(lab.mnt, cfg);
  t.is(after.code, 1, 'corruption is an alarm');
  t.deepEqual(byPath(after.json), { [`archive/${latin1Text}`]: 'corrupted' });
  t.regex(after.json.findings[0]!.detail ?? '', /bypassed the page cache/, 'the confirming read came from the disk');
  // Its bitrot event says why it cannot be placed on the disk, rather than that it is gone.
  const [event] = (after.json as unknown as { events: Array<{ id: number }> }).events;
  t.truthy(event, 'the corruption opened an event');
  const shown = await bitarr(['event', String(event!.id), '--config-dir', cfg, '--json']);
  t.is(shown.code, 0, shown.stderr);
  const unlocated = (JSON.parse(shown.stdout) as { unlocated: Array<{ path: string; reason: string }> }).unlocated;
  t.deepEqual(unlocated.map((u) => u.path), [lab.path(`archive/${latin1Text}`)]);
  t.regex(unlocated[0]!.reason, /not UTF-8/);
  const text = await bitarr(['event', String(event!.id), '--config-dir', cfg]);
  t.true(text.stdout.includes('archive/caf\\xe9.bin'), text.stdout);
  t.is(after.json.counts.ok, 1);
});
