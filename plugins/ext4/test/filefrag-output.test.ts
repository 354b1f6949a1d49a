// filefrag outputs recorded on a real ext4 (testdata/record.sh), turned into mappings without a
// disk: every case the mapper must tell apart, and the output shapes the parser must survive.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import { chunkNames, toFileMapping } from '../fiemap-mapping.js';

const recorded = (name: string) => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
const names = recorded('filefrag-ext4.names').split('\n').filter(Boolean);
const files = parseFilefrag(recorded('filefrag-ext4.txt'), names);
const map = (name: string) => toFileMapping(name, files.get(name));

test('every file of the batch is found, odd names included', (t) => {
  t.deepEqual([...files.keys()], names);
  t.true(names.includes('with space.bin') && names.includes('-dash.bin') && names.includes('ünïcode.bin'));
  t.deepEqual(map('-dash.bin'), { path: '-dash.bin', extents: [{ logical: 0, physical: 12583936, length: 5000 }] });
});

test('a fragmented file keeps its extents in file order, the last clipped to the size', (t) => {
  t.deepEqual(map('frag.bin'), {
    path: 'frag.bin',
    extents: [
      { logical: 0, physical: 9241600, length: 65536 },
      { logical: 65536, physical: 9372672, length: 65536 },
      { logical: 131072, physical: 9569280, length: 131072 },
      { logical: 262144, physical: 9962496, length: 262144 },
    ],
  });
  // 100000 bytes take 25 blocks of 4 KiB (100352 bytes): the slack is not the file's.
  t.deepEqual(map('plain.bin'), { path: 'plain.bin', extents: [{ logical: 0, physical: 11539456, length: 100000 }] });
});

test('holes, unwritten preallocation, inline data and empty files', (t) => {
  t.deepEqual(map('sparse.bin'), { path: 'sparse.bin', extents: [{ logical: 1048576, physical: 11535360, length: 4096 }] });
  t.deepEqual(map('prealloc.bin'), {
    path: 'prealloc.bin',
    extents: [{ logical: 0, physical: 10486784, length: 4096 }],
    note: '1 preallocated range(s) never written (read as zeros, left out)',
  });
  t.deepEqual(map('tiny.txt'), { path: 'tiny.txt', extents: [], note: 'data is stored inline in the inode: no extent of its own' });
  t.deepEqual(map('empty'), { path: 'empty', extents: [], note: 'empty file: no data on the device' });
});

test('a delayed allocation is an error, never offset 0', (t) => {
  const unsynced = parseFilefrag(recorded('filefrag-ext4-nosync.txt'), ['fresh.bin']);
  const mapping = toFileMapping('fresh.bin', unsynced.get('fresh.bin'));
  t.true('error' in mapping && /not on the device yet even after a sync \(at 0: last,unknown_loc,delalloc,eof\)/.test(mapping.error), JSON.stringify(mapping));
  // With -s the same file was placed.
  t.deepEqual(map('fresh.bin'), { path: 'fresh.bin', extents: [{ logical: 0, physical: 11639808, length: 300000 }] });
});

test('a missing file leaves no trace in stdout but its neighbours: the parser refuses to guess', (t) => {
  const [stdout, rest] = recorded('filefrag-ext4-missing.txt').split('--- stderr:\n');
  // Its complaint does not name the file: the mapper cannot tell which one failed from this.
  t.is(rest, 'open: No such file or directory\n--- exit status: 2\n');
  t.throws(() => parseFilefrag(stdout!, ['plain.bin', 'missing.bin', 'empty']), { message: /reported "empty" where "missing.bin" was expected/ });
  t.deepEqual([...parseFilefrag(stdout!, ['plain.bin', 'empty']).keys()], ['plain.bin', 'empty']);
});

test('nothing said about a file, and encrypted data, are errors', (t) => {
  t.regex((toFileMapping('x', undefined) as { error: string }).error, /printed nothing/);
  const encrypted = toFileMapping('x', { size: 4096, extents: [], inline: false, notOnDisk: ['0: last,data_encrypted,eof'] });
  t.regex((encrypted as { error: string }).error, /encrypted or compressed/);
});

test('argument lists are cut by count and by bytes', (t) => {
  const many = Array.from({ length: 7 }, (_, i) => `f${i}`);
  t.deepEqual(chunkNames(many, 3, 1 << 20).map((c) => c.length), [3, 3, 1]);
  const long = Array.from({ length: 4 }, (_, i) => `${'x'.repeat(99)}${i}`);
  t.deepEqual(chunkNames(long, 500, 250).map((c) => c.length), [2, 2]);
  t.deepEqual(chunkNames(['a'.repeat(1000)], 500, 250), [['a'.repeat(1000)]], 'a name longer than the budget still goes alone');
  t.deepEqual(chunkNames([], 500, 250), []);
});
