// How a device is recognised after /dev/sdb became /dev/sdc: the filesystem UUID, else the disk's
// WWN, serial, model and size (with the partition number, so two partitions of one disk stay
// two devices, as /dev/disk/by-id names them), and the kernel name only as a warned last resort.
import type { DeviceIdentity } from '../../src/shared/plugin-api.js';

export interface IdentityInput {
  fsUuid: string | null;
  /** The one disk under a whole-disk or partition filesystem; null when layered (dm, md) or several. */
  disk: { wwn: string | null; serial: string | null; model: string | null; sizeBytes: number | null } | null;
  partition: number | null;
  kname: string;
  /** What names the device across reboots when nothing else does: a loop's backing file, a dm name. */
  stableName: string | null;
}

export function chooseIdentity(input: IdentityInput): { identity: DeviceIdentity; warnings: string[] } {
  if (input.fsUuid) return { identity: { kind: 'fs-uuid', value: input.fsUuid }, warnings: [] };
  const suffix = input.partition !== null ? `-part${input.partition}` : '';
  const disk = input.disk;
  if (disk?.wwn) return { identity: { kind: 'wwn', value: disk.wwn + suffix }, warnings: [] };
  if (disk?.serial) return { identity: { kind: 'serial', value: disk.serial + suffix }, warnings: [] };
  if (disk?.model && disk.sizeBytes !== null) {
    return {
      identity: { kind: 'model', value: `${disk.model}:${disk.sizeBytes}${suffix}` },
      warnings: ['identified by model and size only: two identical disks would be confused'],
    };
  }
  const value = input.stableName ?? input.kname;
  return {
    identity: { kind: 'kernel-name', value },
    warnings: [
      input.stableName
        ? `identified by ${value} only: no filesystem UUID, WWN, serial or model was readable`
        : `identified by the kernel name ${value} only: it may name another device after a reboot`,
    ],
  };
}
