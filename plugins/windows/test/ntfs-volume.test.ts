// The premise of volume-relative offsets, checked on a real NTFS volume: LCN × bytes per cluster,
// counted from the volume's first byte, is where the file's bytes are — so reading `\\.\C:` at
// `physical` gives them. Windows is not here, so fsutil cannot run: its lines are rendered from the
// same $DATA runlist (VCN, LCN, run length) that ntfs-3g's ntfsinfo reads and that
// FSCTL_GET_RETRIEVAL_POINTERS returns on Windows, sparse gaps as LCN 0xffffffffffffffff the way
// fsutil prints them. What is tested is this plugin's parsing and arithmetic against real bytes.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fsNeeds, Lab, labTest, type Extent } from '../../../test/lab/index.js';
import { ntfsClusterSize, readBootSector } from '../../../test/lab/mapping.js';
import { fileMapping } from '../mapper.js';

const test = labTest(fsNeeds('ntfs'));

function fsutilLines(extents: Extent[], clusterSize: number, size: number): string {
  // Data resident in the MFT record has no runlist at all: fsutil lists nothing.
  if (!extents.length) return '';
  const hex = (n: number) => `0x${(n / clusterSize).toString(16)}`;
  const lines: string[] = [];
  let vcnBytes = 0;
  const hole = (upTo: number) => {
    if (upTo > vcnBytes) lines.push(`VCN: ${hex(vcnBytes)}        Clusters: ${hex(upTo - vcnBytes)}        LCN: 0xffffffffffffffff`);
  };
  for (const e of extents) {
    hole(e.logical);
    lines.push(`VCN: ${hex(e.logical)}        Clusters: ${hex(e.length)}        LCN: ${hex(e.physical)}`);
    vcnBytes = e.logical + e.length;
  }
  hole(Math.ceil(size / clusterSize) * clusterSize);
  return lines.join('\r\n');
}

async function readAt(img: string, physical: number, length: number): Promise<Buffer> {
  const handle = await open(img, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, physical);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

test('on a real NTFS volume the mapped bytes are the file bytes: contiguous, sparse and resident files', async (t) => {
  const lab = await Lab.create('ntfs');
  t.teardown(() => lab.dispose());
  const contiguous = randomBytes(300_001);
  const small = Buffer.from('resident in its MFT record\n');
  await lab.writeFiles({ 'docs/contiguous.bin': contiguous, 'small.txt': small });
  // Written at 0 and at 1 MiB: ntfs-3g leaves the gap unallocated, a sparse run.
  const head = randomBytes(8192);
  const tail = randomBytes(5000);
  const sparse = Buffer.concat([head, Buffer.alloc((1 << 20) - head.length), tail]);
  const handle = await open(lab.path('docs/sparse.bin'), 'w');
  await handle.write(head, 0, head.length, 0);
  await handle.write(tail, 0, tail.length, 1 << 20);
  await handle.sync();
  await handle.close();

  const files: Record<string, Buffer> = { 'docs/contiguous.bin': contiguous, 'docs/sparse.bin': sparse, 'small.txt': small };
  const extents = await lab.mapFiles(Object.keys(files));
  const clusterSize = ntfsClusterSize(await readBootSector(lab.img));
  const volume = { bytesPerCluster: clusterSize, base: 0 };

  for (const [rel, content] of Object.entries(files)) {
    const output = fsutilLines(extents.get(rel)!, clusterSize, content.length);
    const mapping = fileMapping(rel, { kind: 'item', length: content.length, attributes: 0x20, output, exitCode: 0 }, volume, null);
    if ('error' in mapping) return t.fail(`${rel}: ${mapping.error}`);
    let covered = 0;
    for (const e of mapping.extents) {
      t.true(e.logical + e.length <= content.length, `${rel}: no extent reaches past the end of the file`);
      t.true((await readAt(lab.img, e.physical, e.length)).equals(content.subarray(e.logical, e.logical + e.length)), `${rel}: bytes at ${e.physical}`);
      covered += e.length;
    }
    if (rel === 'small.txt') {
      t.deepEqual(mapping, { path: rel, extents: [], note: 'resident: stored inside its MFT record, no clusters of its own' });
    } else if (rel === 'docs/sparse.bin') {
      t.is(mapping.note, 'sparse: its unallocated ranges read as zeros and have no place on the disk');
      t.true(covered < content.length, 'the hole is not mapped');
      t.true(covered >= head.length + tail.length, 'both written parts are');
    } else {
      t.is(covered, content.length, `${rel}: every byte is mapped`);
    }
  }
});
