// The lab is only useful if its maps are exact: a scanner test that "detects" a flip which
// landed in free space proves nothing. So every mapped byte is checked against the image, and
// every flip is checked to change exactly the bytes it aimed at and nothing else.
import test from 'ava';
import { existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BAND_EDGE, LAB_FILESYSTEMS, Lab, fsNeeds, hostCan, labTest, readBtrfsChunks, run, type Extent } from './lab/index.js';

type Contents = Map<string, Buffer>;

// Not fs.promises.readFile: it takes a short read as EOF, and btrfs answers a read that reaches
// a bad checksum with the good prefix first, so readFile returns the file silently truncated.
async function readFully(path: string): Promise<Buffer | 'EIO'> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const chunk = Buffer.alloc(1 << 20);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) return Buffer.concat(chunks);
      chunks.push(chunk.subarray(0, bytesRead));
      position += bytesRead;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EIO') return 'EIO';
    throw error;
  } finally {
    await handle.close();
  }
}

async function readAll(lab: Lab, rels: string[]): Promise<Contents> {
  const read = async (rel: string): Promise<[string, Buffer]> => {
    const content = await readFully(lab.path(rel));
    if (content === 'EIO') throw new Error(`${rel}: EIO on a file nobody corrupted`);
    return [rel, content];
  };
  return new Map(await Promise.all(rels.map(read)));
}

/** Every byte of every file must be mapped, and the image must hold exactly that byte there. */
async function mapProblems(img: string, map: Map<string, Extent[]>, contents: Contents): Promise<string[]> {
  const problems: string[] = [];
  const image = await open(img, 'r');
  try {
    for (const [rel, extents] of map) {
      const data = contents.get(rel)!;
      let covered = 0;
      for (const extent of extents) {
        const length = Math.min(extent.length, data.length - extent.logical);
        if (length <= 0) continue;
        const onDisk = Buffer.alloc(length);
        await image.read(onDisk, 0, length, extent.physical);
        if (!onDisk.equals(data.subarray(extent.logical, extent.logical + length))) {
          problems.push(`${rel}: ${length} B at file offset ${extent.logical} differ from image offset ${extent.physical}`);
        }
        covered += length;
      }
      if (covered !== data.length) problems.push(`${rel}: ${covered} of ${data.length} bytes mapped`);
    }
  } finally {
    await image.close();
  }
  return problems;
}

/** Half-open [start, end) runs of offsets where the two buffers differ. */
function differingRanges(before: Buffer, after: Buffer): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    if (before[i] === after[i]) continue;
    const last = ranges.at(-1);
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i, i + 1]);
  }
  return ranges;
}

function stopwatch(): (phase: string) => string {
  let last = performance.now();
  const phases: string[] = [];
  return (phase) => {
    const now = performance.now();
    phases.push(`${phase} ${Math.round(now - last)} ms`);
    last = now;
    return phases.join(', ');
  };
}

for (const fs of LAB_FILESYSTEMS) {
  labTest(fsNeeds(fs))(`${fs}: maps are exact and flips change exactly the aimed bytes`, async (t) => {
    const lap = stopwatch();
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    lap('create');

    const rels = await lab.randomTree(20, { seed: 20 });
    const map = await lab.mapFiles(rels);
    const original = await readAll(lab, rels);
    lap('write+map');
    t.deepEqual(await mapProblems(lab.img, map, original), []);
    lap('verify');

    if (fs === 'btrfs') {
      // Only extents in a chunk whose logical start differs from its device offset would expose
      // a missing or wrong translation; make sure the tree reaches past the first data chunk.
      const chunks = await readBtrfsChunks(lab.img);
      const relocated = [...map.values()].flat().filter((e) => chunks.some((c) => c.logical !== c.physical && c.physical <= e.physical && e.physical < c.physical + c.length));
      t.true(relocated.length > 0, 'no data in a chunk with logical != physical: the chunk translation went untested');
    }

    const victim = rels.find((rel) => original.get(rel)!.length >= 65536)!;
    const victimBefore = await stat(lab.path(victim), { bigint: true });
    await lab.corrupt(victim);
    const victimAfter = await stat(lab.path(victim), { bigint: true });
    t.is(victimAfter.size, victimBefore.size);
    t.is(victimAfter.mtimeNs, victimBefore.mtimeNs);
    if (victimAfter.ctimeNs !== victimBefore.ctimeNs) t.log(`${fs}: ctime moved from ${victimBefore.ctimeNs} to ${victimAfter.ctimeNs}`);
    // btrfs checksums data, so damage reads as EIO instead of as wrong bytes.
    const damaged = await readFully(lab.path(victim));
    if (fs === 'btrfs') t.is(damaged === 'EIO' ? 'EIO' : `${damaged.length} bytes`, 'EIO');
    else t.deepEqual(damaged === 'EIO' ? 'EIO' : differingRanges(original.get(victim)!, damaged), [[12345, 12349]]);
    lap('corrupt');

    const trio = await lab.neighbours(3, rels.filter((rel) => rel !== victim));
    const trioBefore = await Promise.all(trio.map((rel) => stat(lab.path(rel), { bigint: true })));
    const band = await lab.corruptBand(trio as [string, string, string]);
    t.log(`band of ${band.length} B at ${band.start} over ${trio.join(', ')}`);
    for (const [i, rel] of trio.entries()) {
      const after = await stat(lab.path(rel), { bigint: true });
      t.is(after.size, trioBefore[i]!.size, rel);
      t.is(after.mtimeNs, trioBefore[i]!.mtimeNs, rel);
      const size = original.get(rel)!.length;
      const aimed: [number, number] = i === 0 ? [size - BAND_EDGE, size] : i === 1 ? [0, size] : [0, BAND_EDGE];
      const content = await readFully(lab.path(rel));
      if (fs === 'btrfs') t.is(content === 'EIO' ? 'EIO' : `${content.length} bytes`, 'EIO', rel);
      else t.deepEqual(content === 'EIO' ? 'EIO' : differingRanges(original.get(rel)!, content), [aimed], rel);
    }
    lap('band');

    // A band that clipped a directory block or a fifth file would show up here.
    const untouched = rels.filter((rel) => rel !== victim && !trio.includes(rel));
    const reread = await readAll(lab, untouched);
    t.deepEqual(untouched.filter((rel) => !reread.get(rel)!.equals(original.get(rel)!)), []);
    t.log(lap('untouched'));
  });
}

labTest(fsNeeds('ext4'))('a busy lab unmounts lazily, is not remounted twice, and disposes without leftovers', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'held/open.bin': 10_000 });
  const held = await open(lab.path('held/open.bin'), 'r');
  await t.throwsAsync(lab.unmount(), { message: /busy/ });
  t.true(lab.mounted);
  const firstLoop = lab.loop!;
  await lab.unmount({ lazy: true });
  t.is(lab.loop, null);
  // The detached filesystem still has the image through firstLoop until the file is closed.
  await t.throwsAsync(lab.mount(), { message: /still attached/ });
  await held.close();
  const elsewhere = join(lab.dir, 'other', 'place');
  await lab.mount(elsewhere);
  t.is(lab.mnt, elsewhere);
  t.is((await readFile(lab.path('held/open.bin'))).length, 10_000);
  await Promise.all([lab.dispose(), lab.dispose()]);
  t.false(existsSync(lab.dir));
  const { stdout } = await run('losetup', ['-a']);
  t.false(stdout.includes(lab.img), `${firstLoop} or its successor still attached`);
});

test('hostCan names each missing need', (t) => {
  t.is(hostCan(), null);
  t.regex(hostCan('no-such-tool-for-bitarr', '/no/such/device') ?? '', /no-such-tool-for-bitarr is not installed; \/no\/such\/device does not exist/);
});
