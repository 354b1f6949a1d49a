// One DetectedDevice per Windows volume (or network drive) among the requested mounts: identity,
// type with its evidence, disk facts, and what could not be learned and why. Pure.
import type { DetectedDevice, DeviceIdentity, MountFacts, UnknownFact } from '../../src/shared/plugin-api.js';
import { bitarrFsType, classifyDisk, LOGICAL_DRIVE_TYPES, wwnOf, type Classification } from './classify.js';
import type { Inventory } from './inventory.js';
import { isNetwork, volumeForMount, windowsVolumes, type WindowsVolume } from './volumes.js';

export const AGENT_WARNING =
  'network storage: Bitarr reads it through the network, so a corrupted read may be the network or the server, and the disks behind it cannot be located or checked for SMART; bitrot is best checked by a Bitarr agent on the machine that owns the disks';
const VIRTUAL_WARNING =
  "a virtual disk: its bytes live in the hypervisor's storage, so damage found here may come from the host's disks; check those with a Bitarr agent on the host too";
const VHD_WARNING = 'a VHD/VHDX file attached as a disk: damage found here may be in that file, on the volume that holds it';

/** The devices behind `mounts`; mounts that name no volume or drive Windows listed are left out. */
export function detectedDevices(inv: Inventory, mounts: MountFacts[]): DetectedDevice[] {
  const volumes = windowsVolumes(inv);
  const byKey = new Map<string, DetectedDevice>();
  for (const mount of mounts) {
    const volume = volumeForMount(mount, volumes);
    if (!volume) continue;
    const known = byKey.get(volume.key);
    if (known) known.mounts.push(mount);
    else byKey.set(volume.key, { ...describe(volume, inv), mounts: [mount] });
  }
  return [...byKey.values()];
}

/** `\\NAS\Media` → `//nas/media`-style, the form the network plugin gives the same share on Linux. */
export function shareName(provider: string): string {
  const m = /^[\\/]{2}([^\\/]+)[\\/]([^\\/]+)(.*)$/.exec(provider.trim());
  return m ? `//${m[1]!.toLowerCase()}/${m[2]}${m[3]!.replace(/\\/g, '/').replace(/\/$/, '')}` : provider.trim();
}

function describe(v: WindowsVolume, inv: Inventory): Omit<DetectedDevice, 'mounts'> {
  if (isNetwork(v)) return describeShare(v);
  const c = classifyDisk(v.physical, v.drive, v.driveType);
  const { identity, warnings } = identityOf(v);
  if (c.type === 'virtual' && v.driveType !== 6) warnings.push(VIRTUAL_WARNING);
  if (c.type === 'loop') warnings.push(VHD_WARNING);
  if (v.driveType === 2 && c.type !== 'usb' && c.type !== 'sd') c.evidence.push(`Win32_LogicalDisk DriveType 2 (${LOGICAL_DRIVE_TYPES[2]})`);
  return {
    identity,
    devicePath: v.letter ? `\\\\.\\${v.letter}:` : (v.volumePath?.replace(/\\$/, '') ?? null),
    fsType: bitarrFsType(v.fileSystem),
    fsUuid: v.guid,
    label: v.label,
    type: c.type,
    evidence: c.evidence,
    rotational: c.rotational,
    transport: c.transport,
    model: v.physical?.friendlyName ?? v.physical?.model ?? v.drive?.model ?? null,
    serial: serialOf(v),
    wwn: wwnOf(v.physical),
    sizeBytes: v.partition?.size ?? v.volume?.size ?? v.logical?.size ?? null,
    network: c.type === 'network',
    unknown: unknownFacts(v, c, inv),
    warnings,
  };
}

function describeShare(v: WindowsVolume): Omit<DetectedDevice, 'mounts'> {
  const source = v.providerName ?? `${v.letter}:`;
  const evidence = [`Win32_LogicalDisk DriveType 4 (${LOGICAL_DRIVE_TYPES[4]})`];
  if (v.providerName) evidence.push(`ProviderName ${v.providerName}`);
  if (v.fileSystem) evidence.push(`the server reports its filesystem as ${v.fileSystem}; read here over SMB`);
  return {
    identity: { kind: 'network-source', value: shareName(source) },
    devicePath: source,
    fsType: 'cifs',
    fsUuid: null,
    label: v.label,
    type: 'network',
    evidence,
    rotational: null,
    transport: 'network',
    model: null,
    serial: null,
    wwn: null,
    sizeBytes: v.logical?.size ?? null,
    network: true,
    unknown: [{ fact: 'disks behind the share', reason: 'they belong to the server', needs: 'a Bitarr agent on the server' }],
    warnings: [AGENT_WARNING],
  };
}

function serialOf(v: WindowsVolume): string | null {
  return v.physical?.serialNumber ?? v.drive?.serialNumber ?? null;
}

/**
 * The volume GUID first: the mount manager keeps it across reboots and letter changes. Then the
 * filesystem's serial number, then the disk's WWN or serial with the partition number (two
 * partitions of one disk stay two devices), then model and size. A drive letter only as a warned
 * last resort: letters are reassigned.
 */
function identityOf(v: WindowsVolume): { identity: DeviceIdentity; warnings: string[] } {
  if (v.guid) return { identity: { kind: 'fs-uuid', value: v.guid }, warnings: [] };
  const serialNumber = v.logical?.volumeSerialNumber;
  if (serialNumber) {
    return { identity: { kind: 'fs-uuid', value: serialNumber.toUpperCase() }, warnings: ['identified by the volume serial number: Get-Volume listed no volume GUID for it'] };
  }
  const suffix = v.partition?.partitionNumber !== null && v.partition?.partitionNumber !== undefined ? `-part${v.partition.partitionNumber}` : '';
  const wwn = wwnOf(v.physical);
  if (wwn) return { identity: { kind: 'wwn', value: wwn + suffix }, warnings: [] };
  const serial = serialOf(v);
  if (serial) return { identity: { kind: 'serial', value: serial + suffix }, warnings: [] };
  const model = v.physical?.friendlyName ?? v.drive?.model;
  const size = v.physical?.size ?? v.drive?.size;
  if (model && size) {
    return { identity: { kind: 'model', value: `${model}:${size}${suffix}` }, warnings: ['identified by model and size only: two identical disks would be confused'] };
  }
  const name = v.letter ? `${v.letter}:` : v.key;
  return { identity: { kind: 'kernel-name', value: name }, warnings: [`identified by ${name} only: no volume GUID, serial number or disk identity was readable, and the name may point elsewhere later`] };
}

function unknownFacts(v: WindowsVolume, c: Classification, inv: Inventory): UnknownFact[] {
  if (c.type === 'optical' || v.driveType === 6) return [];
  const unknown: UnknownFact[] = [];
  const admin = inv.isAdmin === false ? { needs: 'Administrator' } : {};
  if (!v.partition) {
    unknown.push({ fact: 'the disk behind the volume', reason: 'Get-Partition lists no partition for it (a dynamic disk, a Storage Spaces volume, or the query failed)' });
    return unknown;
  }
  if (!v.physical) {
    const failed = inv.errors.find((e) => e.startsWith('PhysicalDisks:'));
    const reason = failed
      ? `MSFT_PhysicalDisk could not be read (${failed.slice('PhysicalDisks:'.length).trim()})`
      : inv.physicalDisks.length === 0
        ? 'MSFT_PhysicalDisk listed no disks at all, as in many virtual machines'
        : `MSFT_PhysicalDisk has no entry for disk ${v.partition.diskNumber}`;
    unknown.push({ fact: 'bus type and media type (SSD or HDD)', reason, ...admin });
  }
  if (c.rotational === null && c.type !== 'virtual' && c.type !== 'loop' && c.type !== 'network') {
    const why = v.physical ? `MSFT_PhysicalDisk MediaType ${v.physical.mediaType ?? 'missing'} and no spindle speed` : 'no MSFT_PhysicalDisk entry';
    unknown.push({ fact: 'rotational', reason: `${why}: whether it spins cannot be told`, needs: 'smartctl' });
  }
  if (!serialOf(v)) unknown.push({ fact: 'serial number', reason: 'neither MSFT_PhysicalDisk nor Win32_DiskDrive reported one', ...admin });
  return unknown;
}
