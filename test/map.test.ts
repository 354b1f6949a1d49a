/**
 * `bitarr map` end to end, on a real image of every filesystem: the bytes read from the raw
 * block device at each reported extent are the file's bytes. This is what lets a bitrot event
 * say where on the disk the damage is.
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bitarr, tempDir } from './helpers/bitarr.js';
import { Lab, LAB_FILESYSTEMS, fsNeeds, labTest } from './lab/index.js';

interface MapJson {
  files: Array<{ path: string; device: string | null; fsType: string | null; mapper: string | null; extents: Array<{ logical: number; physical: number; length: number; sector: number; sectors: number }>; note: string | null; error: string | null }>;
}

async function readAt(device: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(device, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

for (const fs of LAB_FILESYSTEMS) {
  labTest(['root', ...fsNeeds(fs)])(`bitarr map on ${fs}: every extent holds the file's bytes on the block device`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const cfg = join(await tempDir(t), 'cfg');
    // Big enough to leave the metadata (NTFS resident data, btrfs inline extents) and span blocks.
    // fusefat refuses names outside ASCII (EPERM); the others take unicode.
    const odd = fs === 'vfat' ? 'docs/Mixed Case Long Name.txt' : 'docs/ünïcode.txt';
    await lab.writeFiles({ 'photos/2019/a.jpg': 200_000, 'photos/2019/b.jpg': 70_000, 'music/track one.flac': 1_000_000, [odd]: 9000 });
    // FUSE drivers write through to the device for sure only on unmount.
    await lab.unmount();
    await lab.mount();
    const rels = ['photos/2019/a.jpg', 'photos/2019/b.jpg', 'music/track one.flac', odd];
    const r = await bitarr(['map', '--json', '--config-dir', cfg, ...rels.map((rel) => lab.path(rel))]);
    t.is(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const json = JSON.parse(r.stdout) as MapJson;
    t.is(json.files.length, rels.length);
    for (const [i, file] of json.files.entries()) {
      t.is(file.error, null, `${rels[i]}: ${file.error}`);
      t.is(file.device, lab.loop, `${rels[i]} is on the lab's loop device`);
      const content = await readFile(lab.path(rels[i]!));
      const covered = file.extents.reduce((n, e) => n + e.length, 0);
      t.is(covered, content.length, `${rels[i]}: extents cover the whole file`);
      for (const e of file.extents) {
        t.is(e.sector, Math.floor(e.physical / 512));
        const onDisk = await readAt(lab.loop!, e.physical, e.length);
        t.true(onDisk.equals(content.subarray(e.logical, e.logical + e.length)), `${rels[i]}: bytes ${e.logical}+${e.length} at device byte ${e.physical}`);
      }
    }
  });
}

labTest(['root', ...fsNeeds('ext4')])('bitarr map --files-from: a list of paths maps like the same paths given as arguments; a missing one is refused', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  await lab.writeFiles({ 'a.bin': 50_000, 'b c.bin': 9000 });
  const paths = [lab.path('a.bin'), lab.path('b c.bin')];
  const list = join(dir, 'list.txt');
  await writeFile(list, paths.join('\n') + '\n');
  const fromList = await bitarr(['map', '--json', '--config-dir', cfg, '--files-from', list]);
  const fromArgs = await bitarr(['map', '--json', '--config-dir', cfg, ...paths]);
  t.is(fromList.code, 0, fromList.stderr);
  t.deepEqual(JSON.parse(fromList.stdout), JSON.parse(fromArgs.stdout));
  await writeFile(list, [...paths, lab.path('gone.bin')].join('\n'));
  const refused = await bitarr(['map', '--json', '--config-dir', cfg, '--files-from', list]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /no such file: .*gone\.bin/);
  t.is(refused.stdout, '');
});
