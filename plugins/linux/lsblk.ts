// `lsblk -J -b -O` as flat records. lsblk's JSON changed over the years: before 2.33 every value
// was a string ("rota": "1", "size": "465,8G"), 2.38.1 turned numbers and booleans into JSON
// types, `--paths` puts /dev/ in front of the names, 2.41 adds separate `maj`/`min`. This reads
// all of them, so recorded outputs from old NAS firmware parse the same as today's.

/** One block device as lsblk lists it. Strings are trimmed; empty means null. */
export interface LsblkDevice {
  /** Kernel name without /dev/: `sda1`, `dm-0`, `nvme0n1p2`. */
  kname: string;
  /** lsblk's NAME: the mapper name for device-mapper devices (`vg-root`). */
  name: string;
  path: string | null;
  majMin: string | null;
  /** disk, part, loop, crypt, lvm, raid1, rom, dm, md, mpath… */
  type: string | null;
  fsType: string | null;
  uuid: string | null;
  label: string | null;
  sizeBytes: number | null;
  rotational: boolean | null;
  transport: string | null;
  model: string | null;
  vendor: string | null;
  serial: string | null;
  wwn: string | null;
  removable: boolean | null;
  hotplug: boolean | null;
  /** `block:scsi:usb:pci`: the buses between the disk and the CPU, nearest first. */
  subsystems: string | null;
  hctl: string | null;
  /** Partition number where lsblk prints it (2.39+). */
  partition: number | null;
  /** Kernel names of the devices this one sits on (a partition's disk, a RAID's members). */
  parents: string[];
}

export class LsblkParseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LsblkParseError';
  }
}

type Json = Record<string, unknown>;

const stripDev = (value: string) => value.replace(/^\/dev\//, '');

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  return null;
}

// Without -b an old lsblk prints "465,8G": a rounded, localised figure, useless as an identity.
function bytes(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

function record(node: Json, parent: string | null): LsblkDevice {
  const name = text(node.name);
  const kname = text(node.kname) ?? name;
  if (kname === null) throw new LsblkParseError(`a device without NAME or KNAME: ${JSON.stringify(node).slice(0, 200)}`);
  const majMin = text(node['maj:min']) ?? (node.maj !== undefined && node.min !== undefined ? `${String(node.maj)}:${String(node.min)}` : null);
  const partn = bytes(node.partn);
  return {
    kname: stripDev(kname),
    name: stripDev(name ?? kname).replace(/^mapper\//, ''),
    path: text(node.path),
    majMin,
    type: text(node.type)?.toLowerCase() ?? null,
    fsType: text(node.fstype),
    uuid: text(node.uuid),
    label: text(node.label),
    sizeBytes: bytes(node.size),
    rotational: flag(node.rota),
    transport: text(node.tran)?.toLowerCase() ?? null,
    model: text(node.model),
    vendor: text(node.vendor),
    serial: text(node.serial),
    wwn: text(node.wwn),
    removable: flag(node.rm),
    hotplug: flag(node.hotplug),
    subsystems: text(node.subsystems),
    hctl: text(node.hctl),
    partition: partn,
    parents: parent === null ? [] : [parent],
  };
}

/**
 * Flattens lsblk's tree. A RAID or LVM volume appears once under each of its members; the copies
 * merge into one record whose `parents` names them all (PKNAME names only one).
 */
export function parseLsblkJson(output: string): LsblkDevice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    throw new LsblkParseError(`lsblk printed something that is not JSON (${(error as Error).message}): ${output.slice(0, 120)}`, { cause: error });
  }
  const top = (parsed as Json | null)?.blockdevices;
  if (!Array.isArray(top)) throw new LsblkParseError('lsblk JSON has no "blockdevices" array');

  const byKname = new Map<string, LsblkDevice>();
  const visit = (node: unknown, parent: string | null) => {
    if (typeof node !== 'object' || node === null) throw new LsblkParseError(`lsblk listed a non-object device: ${JSON.stringify(node)}`);
    const device = record(node as Json, parent);
    const seen = byKname.get(device.kname);
    if (seen === undefined) byKname.set(device.kname, device);
    else if (parent !== null && !seen.parents.includes(parent)) seen.parents.push(parent);
    const children = (node as Json).children;
    if (Array.isArray(children)) for (const child of children) visit(child, device.kname);
  };
  for (const node of top) visit(node, null);
  return [...byKname.values()];
}
