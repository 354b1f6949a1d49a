// One PowerShell process answers everything the detector asks: the five storage lists as one JSON
// object. Each query is guarded on its own, so a class that fails (MSFT_PhysicalDisk in some VMs,
// or without the Storage service) leaves its list empty and its error in Errors, never the rest.
// parseInventory is pure: recorded outputs in testdata/ test it.
import { asBoolean, asDriveLetter, asEnum, asList, asNumber, asStrings, asText, extractJson, isObject, PS_PRELUDE, psLine } from './powershell.js';

const QUERIES: [name: string, query: string][] = [
  ['LogicalDisks', 'Get-CimInstance -ClassName Win32_LogicalDisk -ErrorAction Stop | Select-Object DeviceID,DriveType,FileSystem,VolumeName,VolumeSerialNumber,Size,ProviderName'],
  ['DiskDrives', 'Get-CimInstance -ClassName Win32_DiskDrive -ErrorAction Stop | Select-Object Index,DeviceID,Model,SerialNumber,InterfaceType,MediaType,PNPDeviceID,Size'],
  [
    'PhysicalDisks',
    'Get-CimInstance -Namespace root/Microsoft/Windows/Storage -ClassName MSFT_PhysicalDisk -ErrorAction Stop | Select-Object DeviceId,FriendlyName,Model,SerialNumber,UniqueId,UniqueIdFormat,BusType,MediaType,SpindleSpeed,Size',
  ],
  ['Volumes', 'Get-Volume -ErrorAction Stop | Select-Object UniqueId,Path,DriveLetter,FileSystem,FileSystemLabel,DriveType,Size,AllocationUnitSize'],
  ['Partitions', 'Get-Partition -ErrorAction Stop | Select-Object DiskNumber,PartitionNumber,DriveLetter,AccessPaths,Offset,Size'],
];

/** The script the detector runs: one process, one JSON object on stdout. */
export const INVENTORY_SCRIPT = psLine(
  PS_PRELUDE,
  '$r = [ordered]@{}',
  '$errs = @()',
  ...QUERIES.map(([name, query]) => `try { $r.${name} = @(${query}) } catch { $r.${name} = @(); $errs += '${name}: ' + $_.Exception.Message }`),
  '$r.Errors = $errs',
  '$r.IsAdmin = $isAdmin',
  'ConvertTo-Json -InputObject $r -Depth 4 -Compress',
);

export interface LogicalDisk {
  /** `C:` */
  deviceId: string;
  /** 2 removable, 3 local, 4 network, 5 CD, 6 RAM disk. */
  driveType: number | null;
  fileSystem: string | null;
  volumeName: string | null;
  volumeSerialNumber: string | null;
  size: number | null;
  /** `\\server\share` for a network drive. */
  providerName: string | null;
}

export interface DiskDrive {
  index: number | null;
  deviceId: string | null;
  model: string | null;
  serialNumber: string | null;
  interfaceType: string | null;
  mediaType: string | null;
  pnpDeviceId: string | null;
  size: number | null;
}

export interface PhysicalDisk {
  /** The disk number as a string ("0"), the same number Get-Partition calls DiskNumber. */
  deviceId: string | null;
  friendlyName: string | null;
  model: string | null;
  serialNumber: string | null;
  uniqueId: string | null;
  uniqueIdFormat: number | null;
  busType: number | null;
  mediaType: number | null;
  spindleSpeed: number | null;
  size: number | null;
}

export interface Volume {
  uniqueId: string | null;
  /** `\\?\Volume{GUID}\` */
  path: string | null;
  driveLetter: string | null;
  fileSystem: string | null;
  label: string | null;
  driveType: number | null;
  size: number | null;
  allocationUnitSize: number | null;
}

export interface Partition {
  diskNumber: number | null;
  partitionNumber: number | null;
  driveLetter: string | null;
  accessPaths: string[];
  offset: number | null;
  size: number | null;
}

export interface Inventory {
  logicalDisks: LogicalDisk[];
  diskDrives: DiskDrive[];
  physicalDisks: PhysicalDisk[];
  volumes: Volume[];
  partitions: Partition[];
  /** `PhysicalDisks: <message>` for each query that failed. */
  errors: string[];
  isAdmin: boolean | null;
}

export const BUS_TYPES: Record<string, number> = {
  Unknown: 0, SCSI: 1, ATAPI: 2, ATA: 3, '1394': 4, SSA: 5, 'Fibre Channel': 6, USB: 7, RAID: 8, iSCSI: 9, SAS: 10, SATA: 11, SD: 12, MMC: 13,
  Virtual: 14, MAX: 14, 'File Backed Virtual': 15, 'Storage Spaces': 16, Spaces: 16, NVMe: 17, SCM: 18, UFS: 19, NVMeoF: 20,
};
export const MEDIA_TYPES: Record<string, number> = { Unspecified: 0, HDD: 3, SSD: 4, SCM: 5 };
export const UNIQUE_ID_FORMATS: Record<string, number> = { 'Vendor Specific': 0, 'Vendor Id': 1, EUI64: 2, 'FCPH Name': 3, 'SCSI Name String': 8 };
export const DRIVE_TYPES: Record<string, number> = { Unknown: 0, 'Invalid Root Path': 1, 'No Root Directory': 1, Removable: 2, 'Removable Disk': 2, Fixed: 3, 'Local Disk': 3, Remote: 4, 'Network Drive': 4, 'CD-ROM': 5, 'Compact Disc': 5, 'RAM Disk': 6 };

/** Reads the inventory script's stdout. Throws only when there is no JSON object at all. */
export function parseInventory(stdout: string): Inventory {
  const root = extractJson(stdout);
  if (!isObject(root)) throw new Error('the inventory is not a JSON object');
  return {
    logicalDisks: asList(root.LogicalDisks).flatMap((d) => {
      const deviceId = asText(d.DeviceID);
      if (!deviceId) return [];
      return [{
        deviceId: deviceId.toUpperCase(),
        driveType: asEnum(d.DriveType, DRIVE_TYPES),
        fileSystem: asText(d.FileSystem),
        volumeName: asText(d.VolumeName),
        volumeSerialNumber: asText(d.VolumeSerialNumber),
        size: asNumber(d.Size),
        providerName: asText(d.ProviderName),
      }];
    }),
    diskDrives: asList(root.DiskDrives).map((d) => ({
      index: asNumber(d.Index),
      deviceId: asText(d.DeviceID),
      model: asText(d.Model),
      serialNumber: asText(d.SerialNumber),
      interfaceType: asText(d.InterfaceType),
      mediaType: asText(d.MediaType),
      pnpDeviceId: asText(d.PNPDeviceID),
      size: asNumber(d.Size),
    })),
    physicalDisks: asList(root.PhysicalDisks).map((d) => ({
      deviceId: asText(d.DeviceId),
      friendlyName: asText(d.FriendlyName),
      model: asText(d.Model),
      serialNumber: asText(d.SerialNumber),
      uniqueId: asText(d.UniqueId),
      uniqueIdFormat: asEnum(d.UniqueIdFormat, UNIQUE_ID_FORMATS),
      busType: asEnum(d.BusType, BUS_TYPES),
      mediaType: asEnum(d.MediaType, MEDIA_TYPES),
      spindleSpeed: asNumber(d.SpindleSpeed),
      size: asNumber(d.Size),
    })),
    volumes: asList(root.Volumes).map((v) => ({
      uniqueId: asText(v.UniqueId),
      path: asText(v.Path),
      driveLetter: asDriveLetter(v.DriveLetter),
      fileSystem: asText(v.FileSystem),
      label: asText(v.FileSystemLabel),
      driveType: asEnum(v.DriveType, DRIVE_TYPES),
      size: asNumber(v.Size),
      allocationUnitSize: asNumber(v.AllocationUnitSize),
    })),
    partitions: asList(root.Partitions).map((p) => ({
      diskNumber: asNumber(p.DiskNumber),
      partitionNumber: asNumber(p.PartitionNumber),
      driveLetter: asDriveLetter(p.DriveLetter),
      accessPaths: asStrings(p.AccessPaths),
      offset: asNumber(p.Offset),
      size: asNumber(p.Size),
    })),
    errors: asStrings(root.Errors),
    isAdmin: asBoolean(root.IsAdmin),
  };
}
