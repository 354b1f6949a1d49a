// The detector end to end on recorded inventories: one PowerShell call, then what a user would see
// per drive. Windows cannot run here, so `run` answers with the recorded JSON; the command it was
// asked to run is checked word for word.
import test from 'ava';
import type { DetectedDevice, MountFacts } from '../../../src/shared/plugin-api.js';
import plugin from '../index.js';
import { parseInventory } from '../inventory.js';
import { mountFactsFromInventory } from '../volumes.js';
import { fakeContext, testdata } from './fake.js';

const EXPECTED_SCRIPT =
  "$ProgressPreference = 'SilentlyContinue'; try { [Console]::OutputEncoding = [Text.Encoding]::UTF8 } catch { }; " +
  '$isAdmin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator); ' +
  '$r = [ordered]@{}; $errs = @(); ' +
  "try { $r.LogicalDisks = @(Get-CimInstance -ClassName Win32_LogicalDisk -ErrorAction Stop | Select-Object DeviceID,DriveType,FileSystem,VolumeName,VolumeSerialNumber,Size,ProviderName) } catch { $r.LogicalDisks = @(); $errs += 'LogicalDisks: ' + $_.Exception.Message }; " +
  "try { $r.DiskDrives = @(Get-CimInstance -ClassName Win32_DiskDrive -ErrorAction Stop | Select-Object Index,DeviceID,Model,SerialNumber,InterfaceType,MediaType,PNPDeviceID,Size) } catch { $r.DiskDrives = @(); $errs += 'DiskDrives: ' + $_.Exception.Message }; " +
  "try { $r.PhysicalDisks = @(Get-CimInstance -Namespace root/Microsoft/Windows/Storage -ClassName MSFT_PhysicalDisk -ErrorAction Stop | Select-Object DeviceId,FriendlyName,Model,SerialNumber,UniqueId,UniqueIdFormat,BusType,MediaType,SpindleSpeed,Size) } catch { $r.PhysicalDisks = @(); $errs += 'PhysicalDisks: ' + $_.Exception.Message }; " +
  "try { $r.Volumes = @(Get-Volume -ErrorAction Stop | Select-Object UniqueId,Path,DriveLetter,FileSystem,FileSystemLabel,DriveType,Size,AllocationUnitSize) } catch { $r.Volumes = @(); $errs += 'Volumes: ' + $_.Exception.Message }; " +
  "try { $r.Partitions = @(Get-Partition -ErrorAction Stop | Select-Object DiskNumber,PartitionNumber,DriveLetter,AccessPaths,Offset,Size) } catch { $r.Partitions = @(); $errs += 'Partitions: ' + $_.Exception.Message }; " +
  '$r.Errors = $errs; $r.IsAdmin = $isAdmin; ConvertTo-Json -InputObject $r -Depth 4 -Compress';

async function detect(file: string, mounts?: MountFacts[]) {
  const recorded = testdata(file);
  const fake = fakeContext(() => recorded);
  const devices = await plugin.detector!.detect({ mounts: mounts ?? mountFactsFromInventory(parseInventory(recorded)) }, fake.context);
  return { devices, ...fake };
}

function at(devices: DetectedDevice[], mountPoint: string): DetectedDevice {
  const device = devices.find((d) => d.mounts.some((m) => m.mountPoint === mountPoint));
  if (!device) throw new Error(`no device for ${mountPoint}`);
  return device;
}

/** A drive letter, a disk number or a kernel-style name alone is not an identity. */
function assertStableIdentity(t: { false: (v: boolean, m?: string) => void }, device: DetectedDevice) {
  const v = device.identity.value;
  t.false(/^[A-Za-z]:?\\?$/.test(v), `${v} is a drive letter`);
  t.false(/^\d+$/.test(v), `${v} is a disk number`);
  t.false(/PHYSICALDRIVE|^\\\\\.\\/i.test(v), `${v} is a device name`);
  t.false(device.identity.kind === 'kernel-name', `${v} is a kernel name`);
}

test('one PowerShell process, exactly this command, answers the whole inventory', async (t) => {
  const { calls } = await detect('inventory-desktop.json');
  t.is(calls.length, 1);
  t.is(calls[0]!.command, 'powershell.exe');
  t.deepEqual(calls[0]!.args, ['-NoProfile', '-NonInteractive', '-Command', EXPECTED_SCRIPT]);
  t.false(EXPECTED_SCRIPT.includes('"'), 'no double quote: the Windows command line would cut the script there');
});

test('a desktop: the NVMe is nvme, the SATA HDD is hdd, the USB stick is usb, each with its evidence', async (t) => {
  const { devices } = await detect('inventory-desktop.json');
  t.is(devices.length, 4, 'C:, D:, the folder-mounted archive and E:');

  const c = at(devices, 'C:\\');
  t.is(c.type, 'nvme');
  t.true(c.evidence.includes('MSFT_PhysicalDisk BusType 17 (NVMe)'));
  t.true(c.evidence.includes('MSFT_PhysicalDisk MediaType 4 (SSD)'));
  t.is(c.rotational, false);
  t.is(c.transport, 'nvme');
  t.is(c.model, 'Samsung SSD 970 EVO Plus 1TB');
  t.is(c.serial, '0025_3885_91B0_A5C1.');
  t.is(c.wwn, 'eui.0025388591b0a5c1', 'written as lsblk writes it, so Linux and Windows agree');
  t.is(c.fsType, 'ntfs');
  t.is(c.label, 'Windows');
  t.is(c.devicePath, '\\\\.\\C:');
  t.is(c.sizeBytes, 999015776256);
  t.deepEqual(c.identity, { kind: 'fs-uuid', value: '3e1f6a2c-0b5d-4c8e-9f7a-2d4b6c8e0a13' });
  t.false(c.network);
  t.deepEqual(c.unknown, []);

  const d = at(devices, 'D:\\');
  t.is(d.type, 'hdd');
  t.deepEqual(d.evidence, ['MSFT_PhysicalDisk MediaType 3 (HDD)', 'SpindleSpeed 7200 rpm', 'MSFT_PhysicalDisk BusType 11 (SATA)']);
  t.is(d.rotational, true);
  t.is(d.transport, 'sata');
  t.is(d.wwn, '0x5000c500c8e6a4f2');
  t.is(d.serial, 'ZFL3QW7K');

  const archive = at(devices, 'C:\\Mounts\\Archive');
  t.is(archive.type, 'hdd', 'a folder mount is found through its partition');
  t.is(archive.label, 'Archive');
  t.is(archive.devicePath, '\\\\?\\Volume{5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d}');
  t.not(archive.identity.value, d.identity.value, 'two volumes on one disk are two devices');

  const e = at(devices, 'E:\\');
  t.is(e.type, 'usb');
  t.true(e.evidence.includes('MSFT_PhysicalDisk BusType 7 (USB)'));
  t.is(e.fsType, 'vfat', 'FAT32 is vfat, the name whose traits say "no change time"');
  t.is(e.rotational, null);
  t.deepEqual(e.unknown.map((u) => u.fact), ['rotational'], 'a stick says MediaType 0: whether it spins is unknown, and said');
  t.is(e.wwn, null, 'a USB UniqueId of format 0 is no WWN');

  for (const device of devices) assertStableIdentity(t, device);
});

test('a VirtualBox VM: the disk is virtual, and the empty MSFT_PhysicalDisk is said with what would tell more', async (t) => {
  const { devices } = await detect('inventory-vm-virtualbox.json');
  const c = at(devices, 'C:\\');
  t.is(c.type, 'virtual');
  t.deepEqual(c.evidence, ['Win32_DiskDrive Model "VBOX HARDDISK" names a hypervisor\'s emulated disk']);
  t.is(c.rotational, null);
  t.true(c.warnings.some((w) => /hypervisor's storage/.test(w)));
  t.deepEqual(c.unknown, [{ fact: 'bus type and media type (SSD or HDD)', reason: 'MSFT_PhysicalDisk listed no disks at all, as in many virtual machines', needs: 'Administrator' }]);
  t.is(c.serial, 'VB6f1c2d3e-4a5b6c7d', 'the serial still comes from Win32_DiskDrive');
  assertStableIdentity(t, c);

  const cd = at(devices, 'D:\\');
  t.is(cd.type, 'optical');
  t.is(cd.fsType, 'iso9660');
  t.is(cd.label, 'VBox_GAs_7.0.12');
});

test('a mapped network drive is network, with the warning to check bitrot on the machine that owns the disks', async (t) => {
  const { devices } = await detect('inventory-network-drive.json');
  const z = at(devices, 'Z:\\');
  t.is(z.type, 'network');
  t.true(z.network);
  t.is(z.fsType, 'cifs');
  t.is(z.transport, 'network');
  t.deepEqual(z.identity, { kind: 'network-source', value: '//nas/media' });
  t.is(z.devicePath, '\\\\NAS\\media');
  t.true(z.evidence.includes('Win32_LogicalDisk DriveType 4 (Network Drive)'));
  t.true(z.evidence.includes('ProviderName \\\\NAS\\media'));
  t.true(z.warnings.some((w) => w.includes('bitrot is best checked by a Bitarr agent on the machine that owns the disks')));
  t.deepEqual(z.unknown, [{ fact: 'disks behind the share', reason: 'they belong to the server', needs: 'a Bitarr agent on the server' }]);
  t.is(z.sizeBytes, 3998831407104);

  const y = at(devices, 'Y:\\');
  t.deepEqual(y.identity, { kind: 'network-source', value: '//fileserver.corp.example/Users$/jdoe' });

  const c = at(devices, 'C:\\');
  t.is(c.type, 'nvme');
  t.false(c.network);
});

test('lone objects and enum names (SATA, SSD) read the same as arrays and numbers', async (t) => {
  const { devices } = await detect('inventory-single-objects.json');
  t.is(devices.length, 1);
  t.is(devices[0]!.type, 'ssd');
  t.deepEqual(devices[0]!.evidence, ['MSFT_PhysicalDisk MediaType 4 (SSD)', 'MSFT_PhysicalDisk BusType 11 (SATA)']);
  t.is(devices[0]!.wwn, '0x5002538e40a1b2c3');
});

test('mounts of one volume make one device; a mount Windows does not list is left out', async (t) => {
  const mounts: MountFacts[] = [
    { mountPoint: 'c:\\', root: '/', fsType: 'ntfs', source: '', options: '', devno: null },
    { mountPoint: 'X:\\elsewhere', root: '/', fsType: 'ntfs', source: '\\\\?\\Volume{3E1F6A2C-0B5D-4C8E-9F7A-2D4B6C8E0A13}\\', options: '', devno: null },
    { mountPoint: 'Q:\\', root: '/', fsType: 'ntfs', source: '', options: '', devno: null },
  ];
  const { devices } = await detect('inventory-desktop.json', mounts);
  t.is(devices.length, 1);
  t.deepEqual(devices[0]!.mounts, mounts.slice(0, 2));
});

test('when Get-Volume fails, Win32_LogicalDisk still names the volume, by its serial number, and says so', async (t) => {
  const raw = JSON.parse(testdata('inventory-desktop.json')) as Record<string, unknown>;
  const recorded = JSON.stringify({ ...raw, Volumes: [], Errors: ['Volumes: Invalid class'] });
  const fake = fakeContext(() => recorded);
  const devices = await plugin.detector!.detect({ mounts: [{ mountPoint: 'D:\\', root: '/', fsType: 'ntfs', source: '', options: '', devno: null }] }, fake.context);
  t.is(devices.length, 1);
  // The partition still names the volume GUID path, so the identity does not change.
  t.deepEqual(devices[0]!.identity, { kind: 'fs-uuid', value: '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d' });
  t.is(devices[0]!.type, 'hdd');

  const bare = JSON.stringify({ ...raw, Volumes: [], Partitions: [], Errors: ['Volumes: Invalid class', 'Partitions: Invalid class'] });
  const [d] = await plugin.detector!.detect({ mounts: [{ mountPoint: 'D:\\', root: '/', fsType: 'ntfs', source: '', options: '', devno: null }] }, fakeContext(() => bare).context);
  t.deepEqual(d!.identity, { kind: 'fs-uuid', value: '5E6F7081' });
  t.true(d!.warnings.some((w) => /volume serial number/.test(w)));
  t.is(d!.type, 'unknown');
  t.deepEqual(d!.unknown.map((u) => u.fact), ['the disk behind the volume']);
});

test('no mounts asked: nothing runs; PowerShell failing is a clear error', async (t) => {
  const idle = fakeContext(() => '{}');
  t.deepEqual(await plugin.detector!.detect({ mounts: [] }, idle.context), []);
  t.is(idle.calls.length, 0);

  const broken = fakeContext(() => {
    throw new Error('spawn powershell.exe ENOENT');
  });
  await t.throwsAsync(plugin.detector!.detect({ mounts: [{ mountPoint: 'C:\\', root: '/', fsType: 'ntfs', source: '', options: '', devno: null }] }, broken.context), {
    message: /the PowerShell storage inventory failed: spawn powershell.exe ENOENT/,
  });
});
