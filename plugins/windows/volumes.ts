// The inventory's five lists joined into one record per volume: Get-Volume's volume, the
// partition that holds it (Get-Partition's AccessPaths name the volume GUID path, the drive letter
// and every folder mount), the disk behind it by DiskNumber, and Win32_LogicalDisk by letter.
// Network drives exist only in Win32_LogicalDisk. Also the MountFacts Windows would report. Pure.
import type { MountFacts } from '../../src/shared/plugin-api.js';
import { bitarrFsType } from './classify.js';
import type { DiskDrive, Inventory, LogicalDisk, Partition, PhysicalDisk, Volume } from './inventory.js';

export interface WindowsVolume {
  /** The volume GUID path, else `letter:Z` (a network drive, or Get-Volume failed). */
  key: string;
  /** Lowercase, without braces. */
  guid: string | null;
  /** `\\?\Volume{GUID}\` */
  volumePath: string | null;
  letter: string | null;
  /** Normalized: `C:\` for a drive letter, `C:\Mounts\Archive` for a folder mount. */
  mountPoints: string[];
  fileSystem: string | null;
  label: string | null;
  /** Win32_LogicalDisk's DriveType, else Get-Volume's (the codes are the same). */
  driveType: number | null;
  providerName: string | null;
  volume: Volume | null;
  logical: LogicalDisk | null;
  partition: Partition | null;
  physical: PhysicalDisk | null;
  drive: DiskDrive | null;
}

const GUID = /\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?/i;

export function volumeGuid(text: string | null): string | null {
  const m = text && /Volume\{/i.test(text) ? GUID.exec(text) : null;
  return m ? m[1]!.toLowerCase() : null;
}

/** `c:` `C:/` `C:\` → `C:\`; `c:\Mounts\Archive\` → `C:\Mounts\Archive`. Compare the results without case. */
export function normalizeMountPath(path: string): string {
  const p = path.trim().replace(/\//g, '\\');
  if (/^[A-Za-z]:\\?$/.test(p)) return `${p[0]!.toUpperCase()}:\\`;
  const trimmed = p.replace(/\\+$/, '');
  return /^[a-z]:/.test(trimmed) ? trimmed[0]!.toUpperCase() + trimmed.slice(1) : trimmed;
}

export function samePath(a: string, b: string): boolean {
  return normalizeMountPath(a).toLowerCase() === normalizeMountPath(b).toLowerCase();
}

export function windowsVolumes(inv: Inventory): WindowsVolume[] {
  const out: WindowsVolume[] = [];
  const usedLetters = new Set<string>();
  for (const volume of inv.volumes) {
    const volumePath = volume.path ?? (volume.uniqueId && /^\\\\\?\\Volume\{/i.test(volume.uniqueId) ? volume.uniqueId : null);
    const guid = volumeGuid(volumePath) ?? volumeGuid(volume.uniqueId);
    const partition =
      (volumePath && inv.partitions.find((p) => p.accessPaths.some((a) => samePath(a, volumePath)))) ||
      (guid && inv.partitions.find((p) => p.accessPaths.some((a) => volumeGuid(a) === guid))) ||
      (volume.driveLetter && inv.partitions.find((p) => p.driveLetter === volume.driveLetter)) ||
      null;
    const letter = volume.driveLetter ?? partition?.driveLetter ?? null;
    const logical = letter ? (inv.logicalDisks.find((d) => d.deviceId === `${letter}:`) ?? null) : null;
    if (letter) usedLetters.add(letter);
    out.push(
      joinDisk(inv, {
        key: volumePath ?? guid ?? (letter ? `letter:${letter}` : `volume:${out.length}`),
        guid,
        volumePath,
        letter,
        mountPoints: mountPointsOf(letter, partition),
        fileSystem: volume.fileSystem ?? logical?.fileSystem ?? null,
        label: volume.label ?? logical?.volumeName ?? null,
        driveType: logical?.driveType ?? volume.driveType,
        providerName: logical?.providerName ?? null,
        volume,
        logical,
        partition,
        physical: null,
        drive: null,
      }),
    );
  }
  for (const logical of inv.logicalDisks) {
    const letter = logical.deviceId.replace(/:$/, '');
    if (usedLetters.has(letter)) continue;
    const partition = inv.partitions.find((p) => p.driveLetter === letter) ?? null;
    const volumePath = partition?.accessPaths.find((a) => volumeGuid(a)) ?? null;
    out.push(
      joinDisk(inv, {
        key: volumePath ?? `letter:${letter}`,
        guid: volumeGuid(volumePath),
        volumePath,
        letter,
        mountPoints: mountPointsOf(letter, partition),
        fileSystem: logical.fileSystem,
        label: logical.volumeName,
        driveType: logical.driveType,
        providerName: logical.providerName,
        volume: null,
        logical,
        partition,
        physical: null,
        drive: null,
      }),
    );
  }
  return out;
}

function mountPointsOf(letter: string | null, partition: Partition | null): string[] {
  const paths = [...(letter ? [`${letter}:\\`] : []), ...(partition?.accessPaths ?? []).filter((a) => !a.startsWith('\\\\'))].map(normalizeMountPath);
  return paths.filter((p, i) => paths.findIndex((q) => q.toLowerCase() === p.toLowerCase()) === i);
}

function joinDisk(inv: Inventory, v: WindowsVolume): WindowsVolume {
  const disk = v.partition?.diskNumber;
  if (disk === null || disk === undefined) return v;
  return {
    ...v,
    physical: inv.physicalDisks.find((p) => p.deviceId === String(disk)) ?? null,
    drive: inv.diskDrives.find((d) => d.index === disk) ?? null,
  };
}

export function isNetwork(v: WindowsVolume): boolean {
  return v.driveType === 4 || (v.providerName !== null && v.providerName.startsWith('\\\\'));
}

/** The volume a mount names: by its mount point, else by its source (volume GUID path or share). */
export function volumeForMount(mount: MountFacts, volumes: WindowsVolume[]): WindowsVolume | null {
  const byPath = volumes.find((v) => v.mountPoints.some((m) => samePath(m, mount.mountPoint)));
  if (byPath) return byPath;
  const source = mount.source.trim();
  if (!source) return null;
  const guid = volumeGuid(source);
  if (guid) return volumes.find((v) => v.guid === guid) ?? null;
  return volumes.find((v) => v.providerName !== null && samePath(v.providerName, source)) ?? null;
}

/** What Windows would report as mounts: every drive letter and folder mount with a filesystem. */
export function mountFactsFromInventory(inv: Inventory): MountFacts[] {
  return windowsVolumes(inv).flatMap((v) => {
    const network = isNetwork(v);
    if (!network && !v.fileSystem) return [];
    return v.mountPoints.map((mountPoint) => ({
      mountPoint,
      root: '/',
      fsType: network ? 'cifs' : bitarrFsType(v.fileSystem),
      source: network ? (v.providerName ?? `${v.letter}:`) : (v.volumePath ?? `${v.letter}:`),
      options: '',
      devno: null,
    }));
  });
}
