// Reading PowerShell's JSON the way it really comes: arrays, lone objects, 5.1's {value, Count}
// wrapper, enums as numbers or names, drive letters as "C", "\u0000" or null.
import test from 'ava';
import { parseInventory } from '../inventory.js';
import { asDriveLetter, asList, extractJson } from '../powershell.js';
import { mountFactsFromInventory } from '../volumes.js';
import { testdata } from './fake.js';

test('the desktop inventory reads into five lists, enums as numbers', (t) => {
  const inv = parseInventory(testdata('inventory-desktop.json'));
  t.is(inv.logicalDisks.length, 4);
  t.is(inv.diskDrives.length, 3);
  t.is(inv.physicalDisks.length, 3);
  t.is(inv.volumes.length, 7);
  t.is(inv.partitions.length, 8);
  t.deepEqual(inv.physicalDisks.map((d) => [d.busType, d.mediaType]), [[17, 4], [11, 3], [7, 0]]);
  t.deepEqual(inv.partitions.map((p) => p.driveLetter), [null, null, 'C', null, null, 'D', null, 'E']);
  t.deepEqual(inv.partitions[1]!.accessPaths, [], 'AccessPaths null is no paths');
  t.is(inv.diskDrives[1]!.serialNumber, 'ZFL3QW7K', "Win32_DiskDrive's padded serial is trimmed");
  t.true(inv.isAdmin);
});

test('a one-of-everything machine: lone objects instead of arrays, enum names, {value, Count}', (t) => {
  const inv = parseInventory(testdata('inventory-single-objects.json'));
  t.is(inv.logicalDisks.length, 1);
  t.is(inv.physicalDisks.length, 1);
  t.is(inv.volumes.length, 1);
  t.is(inv.partitions.length, 1);
  t.is(inv.physicalDisks[0]!.busType, 11, '"SATA" is BusType 11');
  t.is(inv.physicalDisks[0]!.mediaType, 4, '"SSD" is MediaType 4');
  t.is(inv.physicalDisks[0]!.uniqueIdFormat, 3, '"FCPH Name" is format 3');
  t.is(inv.volumes[0]!.driveType, 3, '"Fixed" is DriveType 3');
  t.deepEqual(inv.partitions[0]!.accessPaths, ['C:\\', '\\\\?\\Volume{6b9f2e10-0000-0000-0000-100000000000}\\']);
  t.deepEqual(inv.errors, []);
});

test('the shapes of "a list" and of a drive letter', (t) => {
  t.deepEqual(asList(null), []);
  t.deepEqual(asList({ a: 1 }), [{ a: 1 }]);
  t.deepEqual(asList([{ a: 1 }, { a: 2 }]), [{ a: 1 }, { a: 2 }]);
  t.deepEqual(asList({ value: [{ a: 1 }], Count: 1 }), [{ a: 1 }]);
  t.deepEqual(asList({ value: 'x', Count: 1 }), [{ value: 'x', Count: 1 }], 'an object that only looks like the wrapper stays an object');
  t.is(asDriveLetter('c'), 'C');
  t.is(asDriveLetter('\u0000'), null);
  t.is(asDriveLetter(null), null);
  t.is(asDriveLetter(''), null);
  t.is(asDriveLetter(67), 'C');
  t.is(asDriveLetter(0), null);
  t.is(asDriveLetter('D:'), 'D');
});

test('a BOM and a warning before the JSON are skipped; no JSON at all is a clear error', (t) => {
  t.deepEqual(extractJson('\uFEFFWARNING: something\r\n{"a":1}\r\n'), { a: 1 });
  const error = t.throws(() => parseInventory('Get-CimInstance : Access denied\r\n'));
  t.regex(error.message, /PowerShell printed no JSON object: "Get-CimInstance : Access denied"/);
  t.throws(() => parseInventory('{"LogicalDisks": [ {"DeviceID": }'), { message: /does not parse/ });
});

test('a failed query leaves its list empty and says why, the others still read', (t) => {
  const raw = JSON.parse(testdata('inventory-desktop.json')) as Record<string, unknown>;
  const inv = parseInventory(JSON.stringify({ ...raw, PhysicalDisks: [], Errors: ['PhysicalDisks: Access denied'] }));
  t.deepEqual(inv.physicalDisks, []);
  t.deepEqual(inv.errors, ['PhysicalDisks: Access denied']);
  t.is(inv.volumes.length, 7);
});

test('the mounts Windows would report: drive letters and folder mounts with a filesystem, no device numbers', (t) => {
  const mounts = mountFactsFromInventory(parseInventory(testdata('inventory-desktop.json')));
  t.deepEqual(
    mounts.map((m) => [m.mountPoint, m.fsType, m.source]),
    [
      ['C:\\', 'ntfs', '\\\\?\\Volume{3e1f6a2c-0b5d-4c8e-9f7a-2d4b6c8e0a13}\\'],
      ['D:\\', 'ntfs', '\\\\?\\Volume{0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d}\\'],
      ['C:\\Mounts\\Archive', 'ntfs', '\\\\?\\Volume{5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d}\\'],
      ['E:\\', 'vfat', '\\\\?\\Volume{e1f2a3b4-c5d6-11ee-a7b8-c9d0e1f2a3b4}\\'],
    ],
    'the EFI and recovery volumes have no mount point, and the empty DVD drive no filesystem',
  );
  t.true(mounts.every((m) => m.devno === null && m.root === '/'));

  const network = mountFactsFromInventory(parseInventory(testdata('inventory-network-drive.json')));
  t.deepEqual(network.map((m) => [m.mountPoint, m.fsType, m.source]), [
    ['C:\\', 'ntfs', '\\\\?\\Volume{a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d}\\'],
    ['Y:\\', 'cifs', '\\\\fileserver.corp.example\\Users$\\jdoe'],
    ['Z:\\', 'cifs', '\\\\NAS\\media'],
  ]);
});
