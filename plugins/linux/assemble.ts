// From gathered facts to DetectedDevices. Pure: recorded lsblk/blkid/udev outputs and sysfs
// facts go in, devices come out, so fixtures of hardware this machine lacks test the whole path.
import type { DetectedDevice, MountFacts, UnknownFact } from '../../src/shared/plugin-api.js';
import type { BlkidRecords } from './blkid.js';
import { classifyDisk, classifyStack, type Classification, type DiskFacts, type StackLayer } from './classify.js';
import { chooseIdentity } from './identity.js';
import type { LsblkDevice } from './lsblk.js';
import { filesystemKey, isBlockDevno } from './mounts.js';
import type { SysfsFacts } from './sysfs.js';
import type { UdevRecords } from './udev.js';

export interface Observations {
  /** Only the mounts this detector handles (mountVerdict). */
  mounts: MountFacts[];
  lsblk: LsblkDevice[] | null;
  lsblkProblem: string | null;
  blkid: BlkidRecords;
  /** The device paths blkid was asked about: the unanswered ones could not be read. */
  blkidAsked: Set<string>;
  blkidProblem: string | null;
  udev: UdevRecords | null;
  udevProblem: string | null;
  sysfs: Map<string, SysfsFacts>;
  /** /sys/dev/block/<major:minor> resolved. */
  devnoToKname: Map<string, string>;
  /** stat() of a mount source that is a device node, resolved. */
  sourceToKname: Map<string, string>;
  /** Mount sources under /dev that exist and are not block devices (/dev/fuse): nothing to describe. */
  nonBlockSources?: Set<string>;
  /** /sys/fs/btrfs: filesystem UUID → member kernel names. */
  btrfsMembers: Map<string, string[]>;
  isRoot: boolean;
}

// Disk types whose serial, WWN and model exist and are worth asking a privilege or a tool for.
const REAL_DISKS = new Set(['ssd', 'hdd', 'nvme', 'usb', 'sd', 'unknown']);

// sysfs wwid → lsblk's WWN spelling: naa.5000c500… is 0x5000c500…, eui.… stays. t10.… is vendor,
// model and serial glued together, not a world-wide name.
export function wwnFromWwid(wwid: string | null): string | null {
  if (!wwid) return null;
  if (/^naa\.[0-9a-f]+$/i.test(wwid)) return `0x${wwid.slice(4).toLowerCase()}`;
  if (/^eui\.[0-9a-f]+$/i.test(wwid)) return wwid.toLowerCase();
  return null;
}

const rpm = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : null);

class Facts {
  readonly lsblk: Map<string, LsblkDevice>;
  readonly lsblkByDevno: Map<string, string>;
  readonly lsblkByPath: Map<string, string>;

  constructor(readonly obs: Observations) {
    const list = obs.lsblk ?? [];
    this.lsblk = new Map(list.map((d) => [d.kname, d]));
    this.lsblkByDevno = new Map(list.filter((d) => d.majMin).map((d) => [d.majMin!, d.kname]));
    // Mount sources name devices as lsblk's PATH, /dev/<kname>, or /dev/mapper/<name> for dm.
    const names = (d: LsblkDevice) => [d.path, `/dev/${d.kname}`, `/dev/${d.name}`, `/dev/mapper/${d.name}`];
    this.lsblkByPath = new Map(list.flatMap((d) => names(d).filter((p): p is string => p !== null).map((p) => [p, d.kname] as const)));
  }

  resolve(mount: MountFacts): string | null {
    const { devno, source } = mount;
    if (isBlockDevno(devno)) {
      const k = this.obs.devnoToKname.get(devno) ?? this.lsblkByDevno.get(devno);
      if (k) return k;
    }
    return this.obs.sourceToKname.get(source) ?? this.lsblkByPath.get(source) ?? null;
  }

  parents(kname: string): string[] {
    return [...new Set([...(this.obs.sysfs.get(kname)?.parents ?? []), ...(this.lsblk.get(kname)?.parents ?? [])])];
  }

  path(kname: string): string {
    return this.lsblk.get(kname)?.path ?? `/dev/${kname}`;
  }

  udev(kname: string): Record<string, string> {
    return this.obs.udev?.get(this.path(kname)) ?? this.obs.udev?.get(`/dev/${kname}`) ?? {};
  }

  kind(kname: string): string {
    const l = this.lsblk.get(kname);
    const s = this.obs.sysfs.get(kname);
    if (l?.type) return l.type;
    if (s?.partition !== null && s?.partition !== undefined) return 'part';
    // dm/uuid starts with its owner: LVM-…, CRYPT-LUKS2-…, mpath-…, part1-… (kpartx).
    if (s?.dmUuid) return s.dmUuid.split('-')[0]!.toLowerCase().replace(/^part\d+$/, 'part');
    return s?.mdLevel ?? (s?.dmName ? 'dm' : 'disk');
  }

  disk(kname: string): DiskFacts {
    const l = this.lsblk.get(kname);
    const s = this.obs.sysfs.get(kname);
    const u = this.udev(kname);
    const vpd = typeof s?.vpdSerial === 'string' && s.vpdSerial !== 'denied' ? s.vpdSerial : null;
    return {
      kname,
      blockType: l?.type ?? null,
      transport: l?.transport ?? null,
      rotational: l?.rotational ?? s?.rotational ?? null,
      model: l?.model ?? u.ID_MODEL ?? s?.model ?? null,
      vendor: l?.vendor ?? u.ID_VENDOR ?? s?.vendor ?? null,
      serial: l?.serial ?? u.ID_SERIAL_SHORT ?? s?.serial ?? vpd,
      wwn: l?.wwn ?? u.ID_WWN ?? wwnFromWwid(s?.wwid ?? null),
      sizeBytes: l?.sizeBytes ?? s?.sizeBytes ?? null,
      removable: l?.removable ?? s?.removable ?? null,
      subsystems: l?.subsystems ?? null,
      devicePath: s?.devicePath ?? (u.DEVPATH ? `/sys${u.DEVPATH}` : null),
      backingFile: s?.backingFile ?? null,
      cardType: s?.cardType ?? null,
      udevBus: u.ID_BUS ?? null,
      rotationRpm: rpm(u.ID_ATA_ROTATION_RATE_RPM),
    };
  }

  /** The layers from `tops` down, and the disks at the bottom (no parents). */
  descend(tops: string[]): { layers: StackLayer[]; disks: string[] } {
    const layers: StackLayer[] = [];
    const disks: string[] = [];
    const seen = new Set<string>();
    const queue = [...tops];
    while (queue.length > 0) {
      const kname = queue.shift()!;
      if (seen.has(kname)) continue;
      seen.add(kname);
      const parents = this.parents(kname);
      if (parents.length === 0) disks.push(kname);
      else {
        layers.push({ kname, kind: this.kind(kname) });
        queue.push(...parents);
      }
    }
    return { layers, disks };
  }
}

function unknownsForDisk(d: DiskFacts, c: Classification, obs: Observations, label: string): UnknownFact[] {
  if (!REAL_DISKS.has(c.type)) return [];
  const out: UnknownFact[] = [];
  const noUdev = obs.udev === null;
  const udevWhy = obs.udevProblem ?? 'udev has no record of it';
  if (d.serial === null && (noUdev || !obs.isRoot)) {
    const scsi = c.transport !== null && ['sata', 'ata', 'sas', 'scsi', 'usb'].includes(c.transport);
    const needs = !obs.isRoot && scsi ? 'root' : 'udevadm';
    const detail = !obs.isRoot && scsi ? '; the SCSI serial page (device/vpd_pg80) is readable by root only' : '';
    out.push({ fact: `serial of ${label}`, reason: `lsblk printed none and ${udevWhy}${detail}`, needs });
  }
  if (d.wwn === null && noUdev) out.push({ fact: `WWN of ${label}`, reason: `not in sysfs and ${udevWhy}`, needs: 'udevadm' });
  if (d.model === null && noUdev) out.push({ fact: `model of ${label}`, reason: `not in sysfs and ${udevWhy}`, needs: 'udevadm' });
  if (c.rotational === null && c.type !== 'usb') out.push({ fact: `rotational of ${label}`, reason: 'neither lsblk nor sysfs said whether it spins' });
  return out;
}

function build(f: Facts, mounts: MountFacts[], top: string | null): DetectedDevice {
  const obs = f.obs;
  const unknown: UnknownFact[] = [];
  const warnings: string[] = [];
  const source = mounts[0]!.source;
  const devicePath = top ? f.path(top) : source;
  const blk = obs.blkid.get(devicePath) ?? (top ? obs.blkid.get(`/dev/${top}`) : undefined) ?? obs.blkid.get(source) ?? {};
  const l = top ? f.lsblk.get(top) : undefined;
  const u = top ? f.udev(top) : {};
  const btrfsFsid = top ? [...obs.btrfsMembers].find(([, members]) => members.includes(top))?.[0] : undefined;
  const fsUuid = blk.UUID ?? l?.uuid ?? u.ID_FS_UUID ?? btrfsFsid ?? null;

  // A multi-device btrfs is one filesystem on all its members: classify them all.
  const members = fsUuid && btrfsFsid === fsUuid ? obs.btrfsMembers.get(fsUuid)! : [];
  const tops = top ? [...new Set([top, ...members])] : [];
  const { layers, disks } = f.descend(tops);
  if (members.length > 1) layers.unshift({ kname: `btrfs ${fsUuid}`, kind: `${members.length} devices` });
  const stacked = layers.some((layer) => layer.kind !== 'part');
  const diskFacts = disks.map((k) => f.disk(k));
  const classified = diskFacts.map((d) => ({ kname: d.kname, classification: classifyDisk(d), facts: d }));

  const single = !stacked && classified.length === 1 ? classified[0]!.facts : null;
  const partition = top && single && top !== single.kname ? (obs.sysfs.get(top)?.partition ?? l?.partition ?? partitionFromName(top, single.kname)) : null;
  let c: Classification;
  if (top === null) {
    c = { type: 'unknown', evidence: [`${source} is not a block device known to sysfs or lsblk here`], transport: null, rotational: null, network: false };
    unknown.push({ fact: 'device', reason: `${source} is not visible in this system's /sys or lsblk (a container without the device?)`, needs: 'the device passed through' });
  } else if (single) {
    c = classified[0]!.classification;
    if (top !== single.kname) c = { ...c, evidence: [`${top} is partition ${partition ?? '?'} of ${single.kname}`, ...c.evidence] };
  } else {
    c = classifyStack(layers, classified);
  }
  for (const { facts, classification } of classified) unknown.push(...unknownsForDisk(facts, classification, obs, facts.kname));

  if (fsUuid === null) {
    const asked = obs.blkidAsked.has(devicePath) || obs.blkidAsked.has(source);
    const blkidWhy = obs.blkidProblem ?? (asked ? `blkid could not read ${devicePath}` : 'blkid was not asked');
    const lsblkWhy = obs.lsblk === null ? (obs.lsblkProblem ?? 'lsblk gave nothing') : obs.udev === null ? 'lsblk reads UUIDs from udev, absent here' : 'lsblk printed none';
    unknown.push({ fact: 'filesystem UUID', reason: `${blkidWhy}; ${lsblkWhy}`, needs: obs.isRoot ? 'read access to the device' : 'root' });
  }
  if (obs.lsblk === null && obs.lsblkProblem) unknown.push({ fact: 'lsblk facts (transport, model, serial, WWN)', reason: obs.lsblkProblem, needs: 'lsblk' });
  if (obs.blkidProblem) warnings.push(obs.blkidProblem);

  const s = top ? obs.sysfs.get(top) : undefined;
  const mapperName = s?.dmName ?? (l && /^(crypt|lvm|dm|mpath)$/.test(l.type ?? '') ? l.name : null);
  const stableName = s?.backingFile ?? (mapperName ? `/dev/mapper/${mapperName}` : null);
  const chosen = chooseIdentity({ fsUuid, disk: single, partition, kname: top ?? source, stableName });
  warnings.unshift(...chosen.warnings);

  return {
    identity: chosen.identity,
    devicePath,
    fsType: blk.TYPE ?? l?.fsType ?? u.ID_FS_TYPE ?? mounts[0]!.fsType,
    fsUuid,
    label: blk.LABEL ?? l?.label ?? u.ID_FS_LABEL ?? null,
    type: c.type,
    evidence: c.evidence,
    rotational: c.rotational,
    transport: c.transport,
    model: single?.model ?? null,
    serial: single?.serial ?? null,
    wwn: single?.wwn ?? null,
    sizeBytes: (top ? (l?.sizeBytes ?? s?.sizeBytes) : null) ?? null,
    network: c.network,
    mounts,
    unknown,
    warnings,
  };
}

// sda1 → 1, nvme0n1p2 → 2, mmcblk0p1 → 1: when neither sysfs nor lsblk gave the number.
function partitionFromName(part: string, disk: string): number | null {
  const m = part.startsWith(disk) ? /^p?(\d+)$/.exec(part.slice(disk.length)) : null;
  return m ? Number(m[1]) : null;
}

/** One device per filesystem: its bind mounts and btrfs subvolume mounts become its MountFacts. */
export function assemble(obs: Observations): DetectedDevice[] {
  const facts = new Facts(obs);
  const groups = new Map<string, MountFacts[]>();
  for (const mount of obs.mounts) {
    const key = filesystemKey(mount);
    groups.set(key, [...(groups.get(key) ?? []), mount]);
  }
  const devices: DetectedDevice[] = [];
  for (const mounts of groups.values()) {
    const top = mounts.map((m) => facts.resolve(m)).find((k) => k !== null) ?? null;
    // A /dev/ source nothing here knows is still the user's mount: report it, with what is missing.
    if (top === null && (!mounts[0]!.source.startsWith('/dev/') || obs.nonBlockSources?.has(mounts[0]!.source))) continue;
    devices.push(build(facts, mounts, top));
  }
  return devices;
}
