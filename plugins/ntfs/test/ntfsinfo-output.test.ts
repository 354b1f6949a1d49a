// The parser and the mapping rules on ntfsinfo outputs recorded on real volumes (testdata/README
// section in ../README.md says how), without a disk.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ntfsClusterSize } from '../boot-sector.js';
import { ntfsMapping, parseNtfsinfo, type NtfsFileMapping } from '../ntfsinfo.js';

const testdata = join(import.meta.dirname, '..', 'testdata');
const recorded = (name: string): string => readFileSync(join(testdata, name), 'utf8');
const KiB = 1024;

function extentsOf(mapping: NtfsFileMapping) {
  if ('error' in mapping) throw new Error(`expected extents, got the error: ${mapping.error}`);
  return mapping;
}

test('a runlist spread over three MFT records (an $ATTRIBUTE_LIST) gives every run, in file order', (t) => {
  const inode = parseNtfsinfo(recorded('fragmented-attribute-list.stdout'));
  t.is(inode.mftRecord, 64);
  t.is(inode.data?.dataSize, 2_457_600);
  // 600 one-cluster runs; the $ATTRIBUTE_LIST's own runlist (one cluster at 0xa8b) is not the file's.
  t.is(inode.data?.runs.length, 600);
  const { extents, note } = extentsOf(ntfsMapping(inode, 4 * KiB));
  t.is(note, undefined);
  t.is(extents.length, 600);
  t.deepEqual(extents[0], { logical: 0, physical: 0xb60 * 4096, length: 4096 });
  t.deepEqual(extents[1], { logical: 4096, physical: 0x360 * 4096, length: 4096 });
  // The first run of the second extension record (VCN 0x17e), after its <RL_NOT_MAPPED> lead-in.
  t.deepEqual(extents[0x17e], { logical: 0x17e * 4096, physical: 0xaa1 * 4096, length: 4096 });
  t.false(extents.some((e) => e.physical === 0xa8b * 4096), 'the attribute list cluster is not file data');
  t.is(extents.reduce((sum, e) => sum + e.length, 0), 2_457_600);
});

test('a missing extension record is a gap in the runlist, and an error rather than a short map', (t) => {
  const full = recorded('fragmented-attribute-list.stdout');
  const start = full.indexOf('Dumping attribute $DATA (0x80) from mft record 66');
  const end = full.indexOf('Dumping attribute $DATA (0x80) from mft record 67');
  const withoutRecord66 = full.slice(0, start) + full.slice(end);
  const mapping = ntfsMapping(parseNtfsinfo(withoutRecord66), 4 * KiB);
  t.regex('error' in mapping ? mapping.error : '', /jumps from VCN 161 to 382/);
});

test('LCN × cluster size past 4 GiB stays exact (64 KiB clusters)', (t) => {
  const { extents } = extentsOf(ntfsMapping(parseNtfsinfo(recorded('beyond-4gib-64k.stdout')), 64 * KiB));
  // Two clusters allocated, clipped to the 100000 bytes of the file.
  t.deepEqual(extents, [{ logical: 0, physical: 0x171e8 * 65536, length: 100_000 }]);
  t.true(extents[0]!.physical > 2 ** 32);
});

test('bytes past the initialized size are not mapped, and the note says why', (t) => {
  const output = recorded('beyond-4gib-64k.stdout').replace(/Initialized size:\t \d+ \(0x[0-9a-f]+\)/, 'Initialized size:\t 40000 (0x9c40)');
  const mapping = extentsOf(ntfsMapping(parseNtfsinfo(output), 64 * KiB));
  t.deepEqual(mapping.extents, [{ logical: 0, physical: 0x171e8 * 65536, length: 40_000 }]);
  t.regex(mapping.note ?? '', /past the initialized size/);
});

test('a resident file has no extents and says it lives in the MFT record', (t) => {
  const inode = parseNtfsinfo(recorded('resident.stdout'));
  t.is(inode.data?.resident, true);
  t.deepEqual(ntfsMapping(inode, 4 * KiB), { extents: [], note: 'resident in the MFT record' });
});

test('a named stream (an xattr through ntfs-3g) is not part of the file', (t) => {
  const inode = parseNtfsinfo(recorded('named-stream.stdout'));
  t.is(inode.data?.dataSize, 70_000);
  t.deepEqual(extentsOf(ntfsMapping(inode, 4 * KiB)).extents, [{ logical: 0, physical: 0x361 * 4096, length: 70_000 }]);
});

test('holes of a sparse file are skipped and counted in the note', (t) => {
  const mapping = extentsOf(ntfsMapping(parseNtfsinfo(recorded('sparse.stdout')), 4 * KiB));
  t.deepEqual(mapping.extents, [
    { logical: 0, physical: 0xb63 * 4096, length: 4096 },
    { logical: 0x100 * 4096, physical: 0xb61 * 4096, length: 8192 },
  ]);
  t.regex(mapping.note ?? '', new RegExp(`sparse: ${0xff * 4096} bytes are holes`));
});

test('an NTFS-compressed file is an error: its clusters do not hold its bytes', (t) => {
  const inode = parseNtfsinfo(recorded('compressed.stdout'));
  t.is(inode.data!.flags & 0xff, 1);
  t.regex((ntfsMapping(inode, 4 * KiB) as { error: string }).error, /compressed/);
});

test('an encrypted file is an error', (t) => {
  // No EFS here to record one: the recorded plain file with the encrypted flag (0x4000) set.
  const output = recorded('named-stream.stdout').replace('Attribute flags:\t 0x0000\n\tAttribute instance:\t 2', 'Attribute flags:\t 0x4000\n\tAttribute instance:\t 2');
  t.regex((ntfsMapping(parseNtfsinfo(output), 4 * KiB) as { error: string }).error, /encrypted/);
});

test('a reparse point (WOF, dedup) is an error: its bytes live elsewhere', (t) => {
  const inode = parseNtfsinfo(recorded('reparse-wof.stdout'));
  t.is(inode.reparseTag, '0x80000017 (Wof compressed)');
  t.regex((ntfsMapping(inode, 4 * KiB) as { error: string }).error, /reparse point \(0x80000017 \(Wof compressed\)\)/);
});

test('ntfsinfo exits 0 when it cannot load the inode: the complaint on stderr becomes the error', (t) => {
  const error = t.throws(() => parseNtfsinfo('', recorded('no-such-inode.stderr')));
  t.is(error?.message, 'ntfsinfo dumped no inode: Error loading node: Illegal seek');
});

test('output cut short is an error, not a shorter runlist', (t) => {
  const full = recorded('fragmented-attribute-list.stdout');
  t.throws(() => parseNtfsinfo(full.slice(0, full.length / 2)), { message: /cut short/ });
});

test('an unreadable runlist entry is an error', (t) => {
  const output = recorded('sparse.stdout').replace(/\t\t\t0x100\t\t0xb61\t\t0x2/, '\t\t\t0x100\t\t<EIO>\t\t0x2');
  t.throws(() => parseNtfsinfo(output), { message: /<EIO> at VCN 0x100/ });
});

test('a runlist row ntfsinfo could not name (???) is an error, not a skipped run', (t) => {
  const output = recorded('sparse.stdout').replace(/\t\t\t0x1\t\t<HOLE>\t\t0xff/, '\t\t\t0x1\t\t???\t\t0xff');
  t.throws(() => parseNtfsinfo(output), { message: /runlist row not understood here: 0x1\t\t\?\?\?/ });
});

test('cluster size from recorded boot sectors; anything else is not NTFS', (t) => {
  const small = readFileSync(join(testdata, 'bootsector-4k.bin'));
  const large = readFileSync(join(testdata, 'bootsector-64k.bin'));
  t.is(ntfsClusterSize(small), 4096);
  t.is(ntfsClusterSize(large), 65536);
  const huge = Buffer.from(large);
  huge[13] = 0xf4; // 2^12 sectors: 2 MiB clusters, the encoding for 128 KiB and up
  t.is(ntfsClusterSize(huge), 2 * 1024 * KiB);
  const exfat = Buffer.from(large);
  exfat.write('EXFAT   ', 3, 'latin1');
  t.is(ntfsClusterSize(exfat), null);
  t.is(ntfsClusterSize(Buffer.alloc(512)), null);
  t.is(ntfsClusterSize(small.subarray(0, 100)), null);
});
