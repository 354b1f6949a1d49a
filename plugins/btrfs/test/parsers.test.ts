// The parsers and the translation on tool outputs recorded from real images (testdata/record.sh).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { validateManifest } from '../../../src/plugin-host/manifest.js';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import { chunkAt, parseChunkTree, parseSuper } from '../chunk-tree.js';
import { batches } from '../filefrag.js';
import plugin from '../index.js';
import { isBelow, mountsAt, parseMountinfo } from '../mount-check.js';
import { classify, toDevice } from '../translate.js';

const recorded = (name: string): string => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
const MiB = 1 << 20;

test('single-device chunk tree: every chunk, with the last one placed below the others', (t) => {
  const chunks = parseChunkTree(recorded('chunk-single-full.txt'));
  t.is(chunks.length, 9);
  t.deepEqual(chunks[0], { logical: 13631488, length: 8 * MiB, type: 'DATA|single', profile: 'single', stripes: [{ devid: 1, offset: 13631488 }] });
  t.deepEqual(chunks[2]!.stripes, [{ devid: 1, offset: 38797312 }, { devid: 1, offset: 72351744 }]);
  t.is(chunks[2]!.profile, 'dup');
  t.deepEqual(chunks.at(-1), { logical: 226492416, length: 12 * MiB, type: 'DATA|single', profile: 'single', stripes: [{ devid: 1, offset: MiB }] });
});

test('a chunk tree of two leaves under a node: node keys are not chunks, no chunk is lost', (t) => {
  const text = recorded('chunk-multi-leaf.txt');
  const chunks = parseChunkTree(text);
  t.is(chunks.length, text.match(/item \d+ key \(FIRST_CHUNK_TREE CHUNK_ITEM \d+\)/g)!.length);
  t.true(chunks.length > 300);
  // The node's second key names the first chunk of the second leaf: it must be there exactly once.
  t.is(chunks.filter((c) => c.logical === 162165424128).length, 1);
  for (let i = 1; i < chunks.length; i++) t.true(chunks[i - 1]!.logical + chunks[i - 1]!.length <= chunks[i]!.logical);
});

test('profiles: DUP data, RAID1 over two devices, single data spread over two devids', (t) => {
  const dup = parseChunkTree(recorded('chunk-dup.txt')).find((c) => c.type.startsWith('DATA'))!;
  t.is(dup.profile, 'dup');
  t.deepEqual(dup.stripes, [{ devid: 1, offset: 105906176 }, { devid: 1, offset: 173015040 }]);
  const raid1 = parseChunkTree(recorded('chunk-raid1.txt')).find((c) => c.type === 'DATA|RAID1')!;
  t.is(raid1.profile, 'raid1');
  t.deepEqual(raid1.stripes.map((s) => s.devid), [1, 2]);
  const spread = parseChunkTree(recorded('chunk-two-devices.txt')).filter((c) => c.type === 'DATA|single');
  t.deepEqual([...new Set(spread.map((c) => c.stripes[0]!.devid))].sort(), [1, 2]);
});

test('older btrfs-progs print single chunks without a profile', (t) => {
  const old = recorded('chunk-single-full.txt').replaceAll('type DATA|single', 'type DATA');
  t.true(parseChunkTree(old).filter((c) => c.type === 'DATA').every((c) => c.profile === 'single'));
});

test('a damaged or foreign dump-tree output is refused, not half-read', (t) => {
  const text = recorded('chunk-single-full.txt');
  const cut = text.slice(0, text.indexOf('stripe 0 devid 1 offset 1048576'));
  t.throws(() => parseChunkTree(cut), { message: /unexpected chunk item/ });
  t.throws(() => parseChunkTree(''), { message: /no chunk items/ });
  t.throws(() => parseChunkTree(text.replace('stripe 0 devid 1 offset 105906176', 'stripe 0 invalid')), { message: /invalid/ });
});

test('dump-super: the fsid and the devid of the device read, and nothing from a non-btrfs superblock', (t) => {
  t.deepEqual(parseSuper(recorded('dump-super-single.txt')).devid, 1);
  t.deepEqual(parseSuper(recorded('dump-super-devid2.txt')), { fsid: '239cce90-1fca-4815-938e-55ca2a227370', devid: 2 });
  t.throws(() => parseSuper(recorded('dump-super-devid2.txt').replace('_BHRfS_M [match]', "_BHRfS_M [DON'T MATCH]")), { message: /magic/ });
});

test('chunkAt finds the chunk of an address and nothing in the gaps', (t) => {
  const chunks = parseChunkTree(recorded('chunk-single-full.txt'));
  t.is(chunkAt(chunks, 226492416)?.logical, 226492416);
  t.is(chunkAt(chunks, 226492415)?.logical, 198180864);
  t.is(chunkAt(chunks, 13631488 - 1), undefined);
  t.is(chunkAt(chunks, 226492416 + 12 * MiB), undefined);
});

test('an extent across a chunk boundary is split, each piece in its own chunk', (t) => {
  const chunks = parseChunkTree(recorded('chunk-single-full.txt'));
  // 198180864 + 28 MiB = 226492416: the last 4 KiB of one chunk, then the first 4 KiB of the next,
  // which lies at 1 MiB on the device, far below.
  const translated = toDevice([{ logical: 0, physical: 226492416 - 4096, length: 8192 }], chunks, 1);
  t.deepEqual(translated, {
    kind: 'mapped',
    extents: [
      { logical: 0, physical: 240123904 + 28311552 - 4096, length: 4096 },
      { logical: 4096, physical: MiB, length: 4096 },
    ],
    notes: [],
  });
});

test('recorded FIEMAP of a file beyond the first data chunk translates to other device offsets', (t) => {
  const file = parseFilefrag(recorded('filefrag-kinds.txt'), ['a', 'compressed', 'inline', 'empty', 'prealloc']).get('a')!;
  const translated = toDevice(file.extents, parseChunkTree(recorded('chunk-single-full.txt')), 1);
  t.deepEqual(translated, {
    kind: 'mapped',
    extents: [
      { logical: 0, physical: 105906176, length: 20 * MiB },
      { logical: 20 * MiB, physical: 139460608, length: 20 * MiB },
    ],
    notes: [],
  });
});

test('an address in no chunk asks for a newer chunk tree', (t) => {
  const chunks = parseChunkTree(recorded('chunk-single-full.txt'));
  t.deepEqual(toDevice([{ logical: 0, physical: 500 * MiB, length: 4096 }], chunks, 1), { kind: 'unmapped', address: 500 * MiB });
});

test('DUP data: stripe 0 is the extent, the second copy is in the note', (t) => {
  const chunks = parseChunkTree(recorded('chunk-dup.txt'));
  const translated = toDevice([{ logical: 0, physical: 63963136 + 4096, length: 4096 }], chunks, 1);
  t.deepEqual(translated, {
    kind: 'mapped',
    extents: [{ logical: 0, physical: 105906176 + 4096, length: 4096 }],
    notes: ['btrfs DUP: a second copy of each extent lies at physical + 67108864'],
  });
});

test('RAID1 and data on another device are per-file errors, multi-device mapping is not supported yet', (t) => {
  const raid1 = toDevice([{ logical: 0, physical: 84082688, length: 4096 }], parseChunkTree(recorded('chunk-raid1.txt')), 1);
  t.like(raid1, { kind: 'error' });
  t.regex((raid1 as { error: string }).error, /DATA\|RAID1 chunk .*devices 1, 2: multi-device mapping is not supported yet/);
  const two = parseChunkTree(recorded('chunk-two-devices.txt'));
  const elsewhere = toDevice([{ logical: 0, physical: 63963136, length: 4096 }], two, 1);
  t.regex((elsewhere as { error: string }).error, /on device id 2, not on this device \(id 1\): multi-device mapping is not supported yet/);
  // Seen from devid 2 the same chunk is simply mapped.
  t.deepEqual(toDevice([{ logical: 0, physical: 63963136, length: 4096 }], two, 2), {
    kind: 'mapped',
    extents: [{ logical: 0, physical: 42991616, length: 4096 }],
    notes: [],
  });
});

test('FIEMAP kinds: compressed is an error, inline and empty have no extents, preallocation is left out', (t) => {
  const files = parseFilefrag(recorded('filefrag-kinds.txt'), ['a', 'compressed', 'inline', 'empty', 'prealloc']);
  t.like(classify(files.get('a')!), { kind: 'translate', notes: [] });
  t.deepEqual(classify(files.get('compressed')!), { kind: 'final', mapping: { error: "compressed: physical bytes are not the file's bytes" } });
  t.deepEqual(classify(files.get('inline')!), { kind: 'final', mapping: { extents: [], note: 'inline in metadata' } });
  t.deepEqual(classify(files.get('empty')!), { kind: 'final', mapping: { extents: [], note: 'empty' } });
  t.deepEqual(classify(files.get('prealloc')!), { kind: 'final', mapping: { extents: [], note: 'preallocated ranges read as zeros and are left out' } });
});

test('the last extent is cut at the end of the file', (t) => {
  const classified = classify({ size: 6000, extents: [{ logical: 0, physical: 63963136, length: 8192 }], inline: false, notOnDisk: [] });
  t.deepEqual(classified, { kind: 'translate', extents: [{ logical: 0, physical: 63963136, length: 6000 }], notes: [] });
});

test('mountinfo: other filesystems below the mount point, not subvolumes of the same one', (t) => {
  const lines = parseMountinfo(
    [
      '44 27 0:39 / /srv/pool rw,relatime - btrfs /dev/sdb1 rw,space_cache=v2,subvolid=5,subvol=/',
      '45 44 0:39 /photos /srv/pool/snap\\040shots rw,relatime - btrfs /dev/sdb1 rw,subvolid=257,subvol=/photos',
      '46 44 8:33 / /srv/pool/usb rw,relatime - ext4 /dev/sdc1 rw',
      '47 27 0:50 / /srv/pool2 rw,relatime - btrfs /dev/sdd rw',
    ].join('\n'),
  );
  t.is(lines[1]!.mountPoint, '/srv/pool/snap shots');
  t.deepEqual(mountsAt(lines, '/srv/pool'), { own: lines[0], foreignBelow: ['/srv/pool/usb'] });
  t.true(isBelow('/srv/pool/usb/a', '/srv/pool/usb'));
  t.false(isBelow('/srv/pool/usb2/a', '/srv/pool/usb'));
});

test('argument lists stay under the count and the byte budget', (t) => {
  const names = Array.from({ length: 7 }, (_, i) => `${'x'.repeat(99)}${i}`);
  t.deepEqual(batches(names, 3).map((b) => b.length), [3, 3, 1]);
  t.deepEqual(batches(names, 500, 250).map((b) => b.length), [2, 2, 2, 1]);
  t.deepEqual(batches([], 500), []);
});

test('plugin.json is what the plugin host accepts, and the module exports a sector mapper', (t) => {
  const check = validateManifest(JSON.parse(readFileSync(new URL('../plugin.json', import.meta.url), 'utf8')), 'btrfs');
  t.deepEqual(check.ok ? [] : check.problems, []);
  t.is(typeof plugin.sectorMapper?.map, 'function');
});
