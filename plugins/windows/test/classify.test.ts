// The classification rules on the disks the recorded machines do not have: hypervisors that
// pretend SAS, a VHD file attached as a disk, iSCSI, and names Windows gives filesystems.
import test from 'ava';
import { bitarrFsType, classifyDisk, wwnOf } from '../classify.js';
import type { DiskDrive, PhysicalDisk } from '../inventory.js';

const physical = (p: Partial<PhysicalDisk>): PhysicalDisk => ({
  deviceId: '0', friendlyName: null, model: null, serialNumber: null, uniqueId: null, uniqueIdFormat: null, busType: null, mediaType: null, spindleSpeed: null, size: null, ...p,
});
const drive = (d: Partial<DiskDrive>): DiskDrive => ({
  index: 0, deviceId: null, model: null, serialNumber: null, interfaceType: null, mediaType: null, pnpDeviceId: null, size: null, ...d,
});

test('VMware says SAS and HDD; the model says virtual, and the model wins', (t) => {
  const c = classifyDisk(physical({ friendlyName: 'VMware Virtual disk', busType: 10, mediaType: 3 }), drive({ model: 'VMware Virtual disk SCSI Disk Device' }), 3);
  t.is(c.type, 'virtual');
  t.is(c.rotational, null);
  t.deepEqual(c.evidence, [
    'Win32_DiskDrive Model "VMware Virtual disk SCSI Disk Device" names a hypervisor\'s emulated disk',
    'MSFT_PhysicalDisk BusType 10 (SAS): what the virtual controller pretends, ignored',
    'MSFT_PhysicalDisk MediaType 3 (HDD): set by the hypervisor, ignored',
  ]);
});

test('Hyper-V and Azure disks, by model or by PnP id alone', (t) => {
  t.is(classifyDisk(null, drive({ model: 'Msft Virtual Disk' }), 3).type, 'virtual');
  t.is(classifyDisk(null, drive({ pnpDeviceId: 'SCSI\\DISK&VEN_MSFT&PROD_VIRTUAL_DISK\\000000' }), 3).type, 'virtual');
});

test('a VHDX attached as a disk (File Backed Virtual) is a loop device; BusType 14 is virtual', (t) => {
  const vhd = classifyDisk(physical({ busType: 15, friendlyName: 'Msft Virtual Disk' }), null, 3);
  t.is(vhd.type, 'loop');
  t.is(vhd.transport, 'loop');
  t.is(classifyDisk(physical({ busType: 14 }), null, 3).type, 'virtual');
});

test('iSCSI is a disk on another machine; SD and MMC are sd', (t) => {
  t.is(classifyDisk(physical({ busType: 9, mediaType: 3 }), null, 3).type, 'network');
  t.is(classifyDisk(physical({ busType: 12 }), null, 2).type, 'sd');
  t.is(classifyDisk(physical({ busType: 13 }), null, 3).transport, 'mmc');
});

test('a SAS disk with no media type: a spinning speed says hdd, nothing says unknown', (t) => {
  const spinning = classifyDisk(physical({ busType: 10, mediaType: 0, spindleSpeed: 0xffffffff }), null, 3);
  t.is(spinning.type, 'hdd');
  t.true(spinning.evidence.includes('SpindleSpeed 0xFFFFFFFF: rotating, speed unknown'));
  const silent = classifyDisk(physical({ busType: 10, mediaType: 0, spindleSpeed: 0 }), null, 3);
  t.is(silent.type, 'unknown');
  t.true(silent.evidence.includes('MSFT_PhysicalDisk MediaType 0 (Unspecified): SSD or HDD cannot be told'));
});

test('with MSFT_PhysicalDisk empty, the PnP id still names NVMe and USB', (t) => {
  t.is(classifyDisk(null, drive({ pnpDeviceId: 'SCSI\\DISK&VEN_NVME&PROD_WD_PC_SN560_SDDP\\5&194EBDF0&0&000000' }), 3).type, 'nvme');
  t.is(classifyDisk(null, drive({ interfaceType: 'USB', pnpDeviceId: 'USBSTOR\\DISK&VEN_SANDISK&PROD_CRUZER_BLADE\\000000000000&0' }), 2).type, 'usb');
  const unknown = classifyDisk(null, drive({ interfaceType: 'IDE', model: 'ST4000DM004-2CV104' }), 3);
  t.is(unknown.type, 'unknown');
  t.is(unknown.transport, 'ata');
});

test('Windows filesystem names become the names Bitarr and mountinfo use', (t) => {
  t.is(bitarrFsType('NTFS'), 'ntfs');
  t.is(bitarrFsType('ReFS'), 'refs');
  t.is(bitarrFsType('FAT32'), 'vfat');
  t.is(bitarrFsType('FAT'), 'vfat');
  t.is(bitarrFsType('exFAT'), 'exfat');
  t.is(bitarrFsType('CDFS'), 'iso9660');
  t.is(bitarrFsType('UDF'), 'udf');
  t.is(bitarrFsType(''), 'unknown');
});

test('only EUI-64 and NAA unique ids are WWNs', (t) => {
  t.is(wwnOf(physical({ uniqueId: 'eui.0025388591B0A5C1', uniqueIdFormat: 2 })), 'eui.0025388591b0a5c1');
  t.is(wwnOf(physical({ uniqueId: '5000C500C8E6A4F2', uniqueIdFormat: 3 })), '0x5000c500c8e6a4f2');
  t.is(wwnOf(physical({ uniqueId: '60014055B9A3E6D1C2F14E8B9A7D6C5E', uniqueIdFormat: 3 })), '0x60014055b9a3e6d1c2f14e8b9a7d6c5e');
  t.is(wwnOf(physical({ uniqueId: '{d8b2b6a6-0000-0000-0000-100000000000}MSFT', uniqueIdFormat: 0 })), null);
  t.is(wwnOf(physical({ uniqueId: 'iqn.1991-05.com.microsoft:target', uniqueIdFormat: 8 })), null);
});
