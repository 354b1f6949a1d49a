// The NTFS mapper end to end: the PowerShell batch it would run (checked word for word), answered
// with recorded fsutil outputs framed the way that script frames them, into per-file mappings.
import test from 'ava';
import type { FileMapping, MapRequest, MapResult } from '../../../src/shared/plugin-api.js';
import plugin from '../index.js';
import { deviceTarget, fileMapping, planBatches } from '../mapper.js';
import { batchFiles, batchStdout, fakeContext, testdata, type RecordedFile } from './fake.js';

const mapper = plugin.sectorMapper!;

const EXPECTED_TWO_FILE_SCRIPT =
  "$ProgressPreference = 'SilentlyContinue'; try { [Console]::OutputEncoding = [Text.Encoding]::UTF8 } catch { }; " +
  '$isAdmin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator); ' +
  "'<<bitarr:admin:' + $isAdmin + '>>'; if (-not $isAdmin) { '<<bitarr:end>>'; exit 0 }; " +
  "'<<bitarr:ntfsinfo>>'; ((& fsutil.exe fsinfo ntfsinfo 'C:' 2>&1 | ForEach-Object { $_.ToString() }) -join [char]10); '<<bitarr:exit:' + $LASTEXITCODE + '>>'; " +
  "try { '<<bitarr:allocation-unit:' + (Get-Volume -FilePath 'C:\\' -ErrorAction Stop).AllocationUnitSize + '>>' } catch { }; " +
  "$files = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('QzpcVXNlcnNcYW5hXFBob3Rvc1xJTUdfMDAwMS5KUEcKQzpcVXNlcnNcYW5hXGl0J3MgaGVyZS50eHQ=')) -split [char]10; " +
  "$i = 0; foreach ($f in $files) { '<<bitarr:file:' + $i + '>>'; " +
  "try { $it = Get-Item -LiteralPath $f -Force -ErrorAction Stop; '<<bitarr:item:' + $it.Length + ':' + [int]$it.Attributes + '>>'; " +
  "((& fsutil.exe file queryextents $f 2>&1 | ForEach-Object { $_.ToString() }) -join [char]10); '<<bitarr:exit:' + $LASTEXITCODE + '>>' } " +
  "catch { '<<bitarr:item-error:' + ($_.Exception.Message -replace '\\s+', ' ') + '>>' }; $i++ }; '<<bitarr:end>>'";

const DIR = 'C:\\Users\\ana\\Documents';
const RECORDED: Record<string, RecordedFile> = {
  [`${DIR}\\telemetry.db`]: { length: 20_480, fsutil: testdata('fsutil-queryextents-contiguous.txt') },
  [`${DIR}\\thesis.pdf`]: { length: 0x300 * 4096 - 100, fsutil: testdata('fsutil-queryextents-fragmented.txt') },
  [`${DIR}\\note.txt`]: { length: 311, fsutil: testdata('fsutil-queryextents-resident.txt'), exitCode: 1 },
  [`${DIR}\\locked.pst`]: { length: 2_147_483_648, fsutil: testdata('fsutil-queryextents-denied.txt'), exitCode: 1 },
  [`${DIR}\\file.img`]: { length: 512_000_000, attributes: 0x20 | 0x200, fsutil: testdata('fsutil-queryextents-sparse.txt') },
  [`${DIR}\\archive.zip`]: { length: 1_048_576, attributes: 0x20 | 0x800, fsutil: testdata('fsutil-queryextents-contiguous.txt') },
};

function request(files: string[], device = '\\\\.\\C:', mountPoint = 'C:\\'): MapRequest {
  return { device, mountPoint, fsType: 'ntfs', files };
}

function byPath(result: MapResult): Map<string, FileMapping> {
  if (!result.available) throw new Error(`unavailable: ${result.reason}`);
  return new Map(result.files.map((f) => [f.path, f]));
}

test('exactly this PowerShell command maps a batch: ntfsinfo once, then fsutil per file', async (t) => {
  const files = ['C:\\Users\\ana\\Photos\\IMG_0001.JPG', "C:\\Users\\ana\\it's here.txt"];
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, {}));
  await mapper.map(request(files), fake.context);
  t.is(fake.calls.length, 1);
  t.is(fake.calls[0]!.command, 'powershell.exe');
  t.deepEqual(fake.calls[0]!.args, ['-NoProfile', '-NonInteractive', '-Command', EXPECTED_TWO_FILE_SCRIPT]);
  t.deepEqual(batchFiles(EXPECTED_TWO_FILE_SCRIPT), files, 'the quote in a name travels untouched, inside base64');
});

test('recorded fsutil outputs become byte offsets on \\\\.\\C:, and each file that cannot map says why', async (t) => {
  const names = Object.keys(RECORDED);
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED));
  const result = byPath(await mapper.map(request([...names, `${DIR}\\gone.txt`, 'D:\\elsewhere.txt']), fake.context));
  t.is(fake.calls.length, 1, 'one PowerShell process for the whole request');
  t.deepEqual(batchFiles(fake.calls[0]!.args[3]!), [...names, `${DIR}\\gone.txt`], 'a file outside the mount point is not even asked');

  t.deepEqual(result.get(`${DIR}\\telemetry.db`), { path: `${DIR}\\telemetry.db`, extents: [{ logical: 0, physical: 0xce2e * 4096, length: 20_480 }] });
  t.deepEqual(result.get(`${DIR}\\thesis.pdf`), {
    path: `${DIR}\\thesis.pdf`,
    extents: [
      { logical: 0, physical: 0x2c2d0f * 4096, length: 0x100 * 4096 },
      { logical: 0x100 * 4096, physical: 0x41e200 * 4096, length: 0x3a * 4096 },
      { logical: 0x13a * 4096, physical: 0x1b7f44 * 4096, length: 0x1c6 * 4096 - 100 },
    ],
  });
  t.deepEqual(result.get(`${DIR}\\note.txt`), { path: `${DIR}\\note.txt`, extents: [], note: 'resident: stored inside its MFT record, no clusters of its own' });
  t.deepEqual(result.get(`${DIR}\\locked.pst`), {
    path: `${DIR}\\locked.pst`,
    error: 'fsutil file queryextents: Error:  Access is denied. (the file is locked by another program, or its permissions shut out Administrators)',
  });
  t.deepEqual(result.get(`${DIR}\\file.img`), { path: `${DIR}\\file.img`, extents: [], note: 'sparse: its unallocated ranges read as zeros and have no place on the disk' });
  t.deepEqual(result.get(`${DIR}\\archive.zip`), { path: `${DIR}\\archive.zip`, error: "NTFS-compressed: its clusters hold compressed data, not the file's bytes" });
  t.regex((result.get(`${DIR}\\gone.txt`) as { error: string }).error, /^cannot open: Cannot find path/);
  t.deepEqual(result.get('D:\\elsewhere.txt'), { path: 'D:\\elsewhere.txt', error: 'not under the mount point C:\\' });
});

test('answers come back in the order asked, duplicates once each', async (t) => {
  const names = [`${DIR}\\note.txt`, `${DIR}\\telemetry.db`, `${DIR}\\note.txt`];
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED));
  const result = await mapper.map(request(names), fake.context);
  if (!result.available) return t.fail(result.reason);
  t.deepEqual(result.files.map((f) => f.path), names);
  t.deepEqual(batchFiles(fake.calls[0]!.args[3]!), [`${DIR}\\note.txt`, `${DIR}\\telemetry.db`]);
});

test('offsets on the whole disk: the partition offset is added, and a volume on another disk is refused', async (t) => {
  const file = `${DIR}\\telemetry.db`;
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED, { partition: '3:333447168' }));
  const result = byPath(await mapper.map(request([file], '\\\\.\\PhysicalDrive3'), fake.context));
  t.true(fake.calls[0]!.args[3]!.includes("$_.AccessPaths -contains 'C:\\'"));
  t.deepEqual(result.get(file), { path: file, extents: [{ logical: 0, physical: 549_642_240, length: 20_480 }] });

  const other = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED, { partition: '0:122683392' }));
  t.deepEqual(await mapper.map(request([file], '\\\\.\\PhysicalDrive3'), other.context), { available: false, reason: 'the volume is on disk 0, not on PhysicalDrive3' });
});

test('not elevated: mapping is unavailable and says Administrator would do it', async (t) => {
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED, { admin: false }));
  t.deepEqual(await mapper.map(request([`${DIR}\\telemetry.db`]), fake.context), {
    available: false,
    reason: 'fsutil file queryextents runs only for Administrators: Bitarr is not running elevated',
    needs: 'Administrator',
  });
});

test('a 64 KiB-cluster volume multiplies by 65536, from its own ntfsinfo', async (t) => {
  const file = 'E:\\Media\\movie.mkv';
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, { [file]: { length: 5 * 65536, fsutil: testdata('fsutil-queryextents-contiguous.txt') } }, { ntfsinfo: testdata('fsutil-ntfsinfo-64k.txt') }));
  const result = byPath(await mapper.map(request([file], '\\\\.\\E:', 'E:\\'), fake.context));
  t.true(fake.calls[0]!.args[3]!.includes("fsutil.exe fsinfo ntfsinfo 'E:'"));
  t.deepEqual(result.get(file), { path: file, extents: [{ logical: 0, physical: 0xce2e * 65536, length: 5 * 65536 }] });
});

test('many files: batches of filesPerBatch, ntfsinfo only in the first, a failed batch fails only its files', async (t) => {
  const names = Array.from({ length: 5 }, (_, i) => `${DIR}\\f${i}.bin`);
  const recorded = Object.fromEntries(names.map((n) => [n, { length: 4096, fsutil: testdata('fsutil-queryextents-contiguous.txt') }]));
  const fake = fakeContext(({ args }, i) => {
    if (i === 1) throw new Error('powershell.exe timed out');
    return batchStdout(args[3]!, recorded);
  }, { filesPerBatch: 2, parallelBatches: 1 });
  const result = await mapper.map(request(names), fake.context);
  if (!result.available) return t.fail(result.reason);
  t.deepEqual(fake.calls.map((c) => batchFiles(c.args[3]!)), [names.slice(0, 2), names.slice(2, 4), names.slice(4)]);
  t.deepEqual(fake.calls.map((c) => c.args[3]!.includes('fsinfo ntfsinfo')), [true, false, false]);
  t.deepEqual(result.files.map((f) => ('error' in f ? f.error : 'mapped')), ['mapped', 'mapped', 'not mapped: powershell.exe timed out', 'not mapped: powershell.exe timed out', 'mapped']);
  t.true(fake.logs.some((l) => l.includes('a batch of 2 file(s) failed: powershell.exe timed out')));
});

test('a batch cut short maps what it printed and says the rest ended early', async (t) => {
  const names = [`${DIR}\\telemetry.db`, `${DIR}\\thesis.pdf`];
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED, { cutAfter: 1 }));
  const result = await mapper.map(request(names), fake.context);
  if (!result.available) return t.fail(result.reason);
  t.true('extents' in result.files[0]!);
  t.deepEqual(result.files[1], { path: names[1], error: 'not mapped: the PowerShell batch ended early' });
});

test('what fsutil cannot map here is said plainly: other filesystems, shares, unknown devices, an unknown cluster size', async (t) => {
  const fake = fakeContext(({ args }) => batchStdout(args[3]!, RECORDED, { ntfsinfo: 'Error:  The volume does not contain a recognized file system.' }));
  t.like(await mapper.map({ ...request([`${DIR}\\a`]), fsType: 'exfat' }, fake.context), { available: false, reason: 'fsutil file queryextents is used here for NTFS only, not exfat' });
  t.like(await mapper.map(request([`Z:\\a`], '\\\\nas\\media', 'Z:\\'), fake.context), { available: false, reason: "\\\\nas\\media is a network share: its clusters are on the server's disks" });
  t.like(await mapper.map(request([`${DIR}\\a`], '/dev/sdb1'), fake.context), { available: false });
  t.is(fake.calls.length, 0, 'none of these starts a process');
  t.like(await mapper.map(request([`${DIR}\\telemetry.db`]), fake.context), {
    available: false,
    reason: "the volume's cluster size is unknown: fsutil fsinfo ntfsinfo gave no Bytes Per Cluster (it said: Error:  The volume does not contain a recognized file system.)",
  });
});

test('the device forms: volume paths, drive letters and disks', (t) => {
  t.deepEqual(deviceTarget('\\\\.\\C:'), { kind: 'volume' });
  t.deepEqual(deviceTarget('C:'), { kind: 'volume' });
  t.deepEqual(deviceTarget('\\\\?\\Volume{3e1f6a2c-0b5d-4c8e-9f7a-2d4b6c8e0a13}'), { kind: 'volume' });
  t.deepEqual(deviceTarget('\\\\.\\PHYSICALDRIVE1'), { kind: 'disk', diskNumber: 1 });
  t.is(deviceTarget('\\\\server\\share').kind, 'bad');
});

test('batches stay under the Windows command-line limit whatever the file count setting', (t) => {
  const long = Array.from({ length: 400 }, (_, i) => `C:\\${'deep\\'.repeat(20)}file-${i}.bin`);
  const plans = planBatches(long, 'C:', null, 500);
  t.true(plans.length > 1);
  for (const plan of plans) t.true(Buffer.byteLength(plan.files.join('\n')) <= 18_000);
  t.deepEqual(plans.map((p) => p.volumeRoot !== null), plans.map((_, i) => i === 0));
  t.deepEqual(plans.flatMap((p) => p.files), long);
});

test('files whose clusters are not their bytes, or not here, are errors, not offsets', (t) => {
  const volume = { bytesPerCluster: 4096, base: 0 };
  const item = (attributes: number, length = 10_000) => ({ kind: 'item' as const, length, attributes, output: testdata('fsutil-queryextents-contiguous.txt'), exitCode: 0 });
  t.regex((fileMapping('a', item(0x4000), volume, null) as { error: string }).error, /EFS-encrypted/);
  t.regex((fileMapping('a', item(0x400000), volume, null) as { error: string }).error, /cloud or offline placeholder/);
  t.regex((fileMapping('a', item(0x400), volume, null) as { error: string }).error, /reparse point/);
  t.regex((fileMapping('a', item(0x10), volume, null) as { error: string }).error, /directory/);
  const bigResident = { kind: 'item' as const, length: 100_000, attributes: 0x20, output: testdata('fsutil-queryextents-resident.txt'), exitCode: 1 };
  t.deepEqual(fileMapping('a', bigResident, volume, null), { path: 'a', error: 'fsutil listed no extents for a file of 100000 bytes' });
  t.deepEqual(fileMapping('a', { ...bigResident, length: 0, output: '', exitCode: 0 }, volume, null), { path: 'a', extents: [], note: 'empty file' });
});
