// The xfs plugin (the ext4 plugin's FIEMAP mapper, see ../index.ts) on real xfs images, through
// the same tests as ext4, plus the xfs-only shape of filefrag's output: preallocation past EOF.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import { toFileMapping } from '../../ext4/fiemap-mapping.js';
import { readManifest, registerFiemapLabTests } from '../../ext4/test/fiemap-lab-tests.js';
import plugin from '../index.js';

registerFiemapLabTests('xfs', plugin, readManifest(new URL('../plugin.json', import.meta.url)));

const recorded = (name: string) => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');

test('xfs recorded output: speculative preallocation past EOF and block rounding are left out', (t) => {
  const names = recorded('filefrag-xfs.names').split('\n').filter(Boolean);
  const files = parseFilefrag(recorded('filefrag-xfs.txt'), names);
  t.deepEqual([...files.keys()], names);
  // grow.bin was appended to while held open: xfs keeps an unwritten extent beyond its size.
  t.regex(recorded('filefrag-xfs.txt'), /2621440\.\. 4128767: .*unwritten/);
  t.deepEqual(toFileMapping('grow.bin', files.get('grow.bin')), { path: 'grow.bin', extents: [{ logical: 0, physical: 2732032, length: 2621440 }] });
  // 5000 bytes in an 8 KiB allocation: only the file's bytes are mapped.
  t.deepEqual(toFileMapping('-dash.bin', files.get('-dash.bin')), { path: '-dash.bin', extents: [{ logical: 0, physical: 49152, length: 5000 }] });
  // xfs has no inline data: a tiny file gets a block of its own.
  t.deepEqual(toFileMapping('tiny.txt', files.get('tiny.txt')), { path: 'tiny.txt', extents: [{ logical: 0, physical: 299008, length: 34 }] });
});

test('xfs recorded output: an unsynced file is an error, not a guessed offset', (t) => {
  const files = parseFilefrag(recorded('filefrag-xfs-nosync.txt'), ['fresh.bin']);
  const mapping = toFileMapping('fresh.bin', files.get('fresh.bin'));
  t.true('error' in mapping && /not on the device yet/.test(mapping.error), JSON.stringify(mapping));
});
