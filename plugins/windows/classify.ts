// What kind of disk holds a Windows volume, and why. Pure: inventory records in, type and the
// evidence for it out. MSFT_PhysicalDisk says the most (bus, media, spindle); Win32_DiskDrive is
// what is left when it is empty (many VMs) or has no entry for the disk (Storage Spaces, some
// RAID drivers). A hypervisor's disk is virtual whatever bus it pretends to sit on: VMware's
// disks say SAS and HDD.
import type { DeviceType } from '../../src/shared/plugin-api.js';
import type { DiskDrive, PhysicalDisk } from './inventory.js';

export interface Classification {
  type: DeviceType;
  evidence: string[];
  rotational: boolean | null;
  transport: string | null;
}

const BUS_NAMES: Record<number, string> = {
  0: 'Unknown', 1: 'SCSI', 2: 'ATAPI', 3: 'ATA', 4: '1394', 5: 'SSA', 6: 'Fibre Channel', 7: 'USB', 8: 'RAID', 9: 'iSCSI', 10: 'SAS', 11: 'SATA',
  12: 'SD', 13: 'MMC', 14: 'Virtual', 15: 'File Backed Virtual', 16: 'Storage Spaces', 17: 'NVMe', 18: 'SCM', 19: 'UFS', 20: 'NVMe over Fabrics',
};
// Named as the Linux detector names lsblk transports, so one disk reads the same on both.
const BUS_TRANSPORTS: Record<number, string> = {
  1: 'scsi', 2: 'atapi', 3: 'ata', 4: '1394', 5: 'ssa', 6: 'fc', 7: 'usb', 8: 'raid', 9: 'iscsi', 10: 'sas', 11: 'sata', 12: 'mmc', 13: 'mmc',
  14: 'virtual', 15: 'loop', 16: 'spaces', 17: 'nvme', 18: 'scm', 19: 'ufs', 20: 'nvmeof',
};
const MEDIA_NAMES: Record<number, string> = { 0: 'Unspecified', 3: 'HDD', 4: 'SSD', 5: 'SCM' };
export const LOGICAL_DRIVE_TYPES: Record<number, string> = { 0: 'Unknown', 1: 'No Root Directory', 2: 'Removable Disk', 3: 'Local Disk', 4: 'Network Drive', 5: 'Compact Disc', 6: 'RAM Disk' };
const SPINDLE_UNKNOWN = 0xffffffff;

// Hypervisors' emulated disks, by the model or PnP id they report to Windows.
const VIRTUAL_MODEL = /\b(VBOX|VMware|QEMU|Virtual[ _]Disk|Msft|Xen|KVM|VirtIO|Red Hat|BHYVE|Parallels|Google PersistentDisk|Amazon Elastic Block Store|Storage Space)\b|VEN_MSFT|VEN_VBOX|VEN_VMWARE|VEN_QEMU|VEN_RED_HAT/i;

const bus = (code: number) => `MSFT_PhysicalDisk BusType ${code} (${BUS_NAMES[code] ?? 'reserved'})`;
const media = (code: number) => `MSFT_PhysicalDisk MediaType ${code} (${MEDIA_NAMES[code] ?? 'unknown value'})`;

export function classifyDisk(physical: PhysicalDisk | null, drive: DiskDrive | null, driveType: number | null): Classification {
  if (driveType === 5) return { type: 'optical', evidence: [`Win32_LogicalDisk DriveType 5 (${LOGICAL_DRIVE_TYPES[5]})`], rotational: null, transport: null };
  if (driveType === 6) return { type: 'virtual', evidence: [`Win32_LogicalDisk DriveType 6 (${LOGICAL_DRIVE_TYPES[6]}): held in memory, nothing outlives a reboot`], rotational: null, transport: 'ram' };

  const model = [physical?.friendlyName, physical?.model, drive?.model, drive?.pnpDeviceId].filter(Boolean).join(' | ');
  const busType = physical?.busType ?? null;
  const transport = busType !== null ? (BUS_TRANSPORTS[busType] ?? null) : driveTransport(drive);
  const virtualModel = VIRTUAL_MODEL.exec(model);

  if (busType === 15) {
    return { type: 'loop', evidence: [bus(15), 'a VHD/VHDX file attached as a disk: its bytes live in a file on another volume'], rotational: null, transport };
  }
  if (busType === 14 || busType === 16 || virtualModel) {
    const evidence: string[] = [];
    if (busType === 14 || busType === 16) evidence.push(bus(busType));
    if (virtualModel) evidence.push(`${describeModel(physical, drive)} names ${/storage space/i.test(virtualModel[0]) ? 'a Storage Spaces disk' : "a hypervisor's emulated disk"}`);
    if (busType !== null && busType !== 14 && busType !== 16) evidence.push(`${bus(busType)}: what the virtual controller pretends, ignored`);
    if (physical?.mediaType === 3 || physical?.mediaType === 4) evidence.push(`${media(physical.mediaType)}: set by the hypervisor, ignored`);
    return { type: 'virtual', evidence, rotational: null, transport: busType === 16 ? 'spaces' : 'virtual' };
  }

  const evidence: string[] = [];
  const rotational = mediaRotational(physical, evidence);
  if (busType === 17) return { type: 'nvme', evidence: [bus(17), ...evidence], rotational: rotational ?? false, transport };
  if (busType === 7) return { type: 'usb', evidence: [bus(7), ...evidence], rotational, transport };
  if (busType === 12 || busType === 13) return { type: 'sd', evidence: [bus(busType), ...evidence], rotational: false, transport };
  if (busType === 9 || busType === 20) return { type: 'network', evidence: [bus(busType), 'the disk is on another machine'], rotational: null, transport };
  if (physical) {
    const busEvidence = busType !== null ? [bus(busType)] : [];
    if (physical.mediaType === 3) return { type: 'hdd', evidence: [...evidence, ...busEvidence], rotational: true, transport };
    if (physical.mediaType === 4 || physical.mediaType === 5) return { type: 'ssd', evidence: [...evidence, ...busEvidence], rotational: false, transport };
    if (rotational === true) return { type: 'hdd', evidence: [...evidence, ...busEvidence], rotational, transport };
  }

  // Nothing from MSFT_PhysicalDisk: Win32_DiskDrive's PnP id still names NVMe and USB.
  if (drive) {
    const pnp = drive.pnpDeviceId ?? '';
    if (/VEN_NVME/i.test(pnp)) return { type: 'nvme', evidence: [`Win32_DiskDrive PNPDeviceID ${pnp}`, ...evidence], rotational: rotational ?? false, transport: 'nvme' };
    if (/^USBSTOR\\/i.test(pnp) || /^USB$/i.test(drive.interfaceType ?? '')) {
      return { type: 'usb', evidence: [drive.interfaceType ? `Win32_DiskDrive InterfaceType ${drive.interfaceType}` : `Win32_DiskDrive PNPDeviceID ${pnp}`, ...evidence], rotational, transport: 'usb' };
    }
    if (/^SD\\/i.test(pnp)) return { type: 'sd', evidence: [`Win32_DiskDrive PNPDeviceID ${pnp}`], rotational: false, transport: 'mmc' };
  }
  const why = physical ? `${media(physical.mediaType ?? 0)}: SSD or HDD cannot be told` : 'no MSFT_PhysicalDisk entry for this disk: bus and media type unknown';
  return { type: 'unknown', evidence: [...(busType !== null ? [bus(busType)] : []), ...evidence, why], rotational, transport };
}

/** MediaType first; the spindle speed when the media type is unspecified. Pushes what it used. */
function mediaRotational(physical: PhysicalDisk | null, evidence: string[]): boolean | null {
  if (!physical) return null;
  const { mediaType, spindleSpeed } = physical;
  if (mediaType === 3 || mediaType === 4 || mediaType === 5) {
    evidence.push(media(mediaType));
    if (mediaType === 3 && spindleSpeed !== null && spindleSpeed > 0 && spindleSpeed !== SPINDLE_UNKNOWN) evidence.push(`SpindleSpeed ${spindleSpeed} rpm`);
    return mediaType === 3;
  }
  if (spindleSpeed !== null && spindleSpeed > 0) {
    evidence.push(spindleSpeed === SPINDLE_UNKNOWN ? 'SpindleSpeed 0xFFFFFFFF: rotating, speed unknown' : `SpindleSpeed ${spindleSpeed} rpm`);
    return true;
  }
  return null;
}

function driveTransport(drive: DiskDrive | null): string | null {
  if (!drive) return null;
  if (/VEN_NVME/i.test(drive.pnpDeviceId ?? '')) return 'nvme';
  const byInterface: Record<string, string> = { USB: 'usb', IDE: 'ata', SCSI: 'scsi', '1394': '1394' };
  return byInterface[(drive.interfaceType ?? '').toUpperCase()] ?? null;
}

function describeModel(physical: PhysicalDisk | null, drive: DiskDrive | null): string {
  if (drive?.model) return `Win32_DiskDrive Model "${drive.model}"`;
  if (physical?.friendlyName) return `MSFT_PhysicalDisk FriendlyName "${physical.friendlyName}"`;
  return `Win32_DiskDrive PNPDeviceID ${drive?.pnpDeviceId ?? ''}`;
}

/** Windows' filesystem names → the names Bitarr uses (mountinfo's), so traits and mappers match. */
export function bitarrFsType(windowsName: string | null): string {
  if (!windowsName) return 'unknown';
  const name = windowsName.trim().toUpperCase();
  // FAT12/16/32 are all vfat to Linux and to filesystem-traits.ts; "fat32" would get NTFS's traits.
  if (/^FAT(12|16|32)?$/.test(name)) return 'vfat';
  const known: Record<string, string> = { NTFS: 'ntfs', REFS: 'refs', EXFAT: 'exfat', CDFS: 'iso9660', UDF: 'udf', CSVFS: 'csvfs', RAW: 'raw' };
  return known[name] ?? name.toLowerCase();
}

/**
 * MSFT_PhysicalDisk.UniqueId as a WWN, written as lsblk writes it (`0x5000c500…`, `eui.0025…`)
 * so one disk has one WWN on Windows and Linux. Only the formats that are WWNs qualify.
 */
export function wwnOf(physical: PhysicalDisk | null): string | null {
  const id = physical?.uniqueId?.trim();
  if (!id || physical?.uniqueIdFormat === null || physical?.uniqueIdFormat === undefined) return null;
  const hex = id.replace(/^(eui\.|naa\.|0x)/i, '');
  if (!/^[0-9a-f]{16}([0-9a-f]{16})?$/i.test(hex)) return null;
  if (physical.uniqueIdFormat === 2) return `eui.${hex.toLowerCase()}`;
  if (physical.uniqueIdFormat === 3) return `0x${hex.toLowerCase()}`;
  return null;
}
