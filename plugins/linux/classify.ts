// What kind of disk a device is, and why. Pure: facts in, type and evidence out, so recorded
// outputs of hardware this machine lacks test it. The rotational flag is never trusted alone:
// loop and virtio-blk devices say 1 whatever backs them, USB bridges often say 1 for SSDs, and a
// hypervisor may say 0 for a file on a spinning disk.
import type { DeviceType } from '../../src/shared/plugin-api.js';

/** Everything known about one whole disk (a leaf: no device under it), whatever source said it. */
export interface DiskFacts {
  kname: string;
  /** lsblk TYPE: disk, loop, rom… */
  blockType: string | null;
  transport: string | null;
  rotational: boolean | null;
  model: string | null;
  vendor: string | null;
  serial: string | null;
  wwn: string | null;
  sizeBytes: number | null;
  removable: boolean | null;
  subsystems: string | null;
  /** The sysfs device path, or udev's DEVPATH. */
  devicePath: string | null;
  backingFile: string | null;
  cardType: string | null;
  /** udev ID_BUS: ata, scsi, usb, nvme… */
  udevBus: string | null;
  /** udev ID_ATA_ROTATION_RATE_RPM: what the drive itself says, 0 for solid state. */
  rotationRpm: number | null;
}

export interface Classification {
  type: DeviceType;
  evidence: string[];
  transport: string | null;
  rotational: boolean | null;
  network: boolean;
}

// Hypervisors' and clouds' emulated disks, by the vendor/model strings they report.
const VIRTUAL_MODEL = /\b(QEMU|VBOX|VMware|Virtual[ _]disk|Msft|Xen|KVM|VirtIO|BHYVE|PersistentDisk|Elastic Block Store|Hyper-V|Parallels)\b/i;

// Buses that make a "disk" a real SATA/SAS/SCSI drive whose rotational flag comes from the drive.
const DRIVE_TRANSPORTS = new Set(['sata', 'ata', 'sas', 'scsi', 'spi', 'fc', 'fcoe', 'sbp']);
const NETWORK_TRANSPORTS = new Set(['iscsi', 'tcp', 'rdma', 'nvmeof']);

function words(d: DiskFacts) {
  const segments = (d.devicePath ?? '').split('/');
  const subsystems = (d.subsystems ?? '').split(':');
  const onPath = (pattern: RegExp) => segments.some((s) => pattern.test(s));
  return { onPath, subsystems };
}

function rotationWords(d: DiskFacts): string {
  return d.rotational === null ? 'rotational flag unknown' : `kernel says rotational=${d.rotational ? 1 : 0}`;
}

function described(d: DiskFacts): string[] {
  const model = [d.vendor === 'ATA' ? null : d.vendor, d.model].filter(Boolean).join(' ');
  return model ? [`model ${model}`] : [];
}

export function classifyDisk(d: DiskFacts): Classification {
  const { onPath, subsystems } = words(d);
  const tran = d.transport;
  const model = `${d.vendor ?? ''} ${d.model ?? ''}`;
  const result = (type: DeviceType, evidence: string[], transport: string | null, rotational = d.rotational, network = false): Classification => ({
    type,
    evidence,
    transport,
    rotational,
    network,
  });

  if (/^loop\d+$/.test(d.kname) || d.blockType === 'loop') {
    const backing = d.backingFile ? `backed by file ${d.backingFile}` : 'backing file unknown';
    const evidence = [`${d.kname} is a loop device`, backing];
    if (d.rotational !== null) evidence.push(`${rotationWords(d)}: meaningless for a loop device, ignored`);
    return result('loop', evidence, 'loop', null);
  }
  if (/^(nbd|rbd)\d+$/.test(d.kname) || (tran !== null && NETWORK_TRANSPORTS.has(tran))) {
    const why = tran && NETWORK_TRANSPORTS.has(tran) ? `transport ${tran}` : `${d.kname} is a network block device`;
    return result('network', [why, 'the disk is on another machine'], tran ?? d.kname.replace(/\d+$/, ''), null, true);
  }
  if (/^sr\d+$/.test(d.kname) || d.blockType === 'rom') {
    return result('optical', [d.blockType === 'rom' ? `lsblk TYPE rom` : `${d.kname} is an optical drive`, ...described(d)], tran, d.rotational);
  }
  if (/^(zram|ram)\d+$/.test(d.kname)) {
    return result('virtual', [`${d.kname} is RAM-backed: nothing outlives a reboot`], 'ram', null);
  }

  const virtio = tran === 'virtio' || /^vd[a-z]+$/.test(d.kname) || subsystems.includes('virtio') || onPath(/^virtio\d+$/);
  const xen = /^xvd[a-z]+$/.test(d.kname) || subsystems.includes('xen') || onPath(/^vbd-\d+$/);
  const hyperv = subsystems.includes('vmbus') || onPath(/^vmbus/);
  const virtualModel = VIRTUAL_MODEL.exec(model);
  if (virtio || xen || hyperv || virtualModel) {
    const evidence: string[] = [];
    if (virtio) evidence.push(tran === 'virtio' ? 'transport virtio' : /^vd/.test(d.kname) ? `${d.kname} is a virtio-blk disk` : 'virtio in the device path');
    if (xen) evidence.push('Xen virtual block device');
    if (hyperv) evidence.push('Hyper-V VMBus storage');
    if (virtualModel) evidence.push(`model "${model.trim()}" is an emulated disk`);
    // The hypervisor decides the flag: 1 is the default and says nothing; 0 was set on purpose.
    if (d.rotational === true) evidence.push('kernel says rotational=1: virtual disks report that by default, ignored');
    if (d.rotational === false) evidence.push('the hypervisor reports it non-rotational');
    const transport = virtio ? 'virtio' : xen ? 'xen' : hyperv ? 'vmbus' : tran;
    return result('virtual', evidence, transport, d.rotational === false ? false : null);
  }

  if (tran === 'usb' || subsystems.includes('usb') || onPath(/^usb\d+$/) || d.udevBus === 'usb') {
    const evidence = [tran === 'usb' ? 'transport usb' : subsystems.includes('usb') ? `subsystems ${d.subsystems}` : 'USB in the device path', ...described(d)];
    // USB-SATA bridges pass the drive's flag through, or not: a USB SSD often says 1.
    if (d.rotationRpm !== null) evidence.push(d.rotationRpm === 0 ? 'the drive reports solid state (rotation rate 0)' : `the drive spins at ${d.rotationRpm} rpm`);
    evidence.push(`${rotationWords(d)} (flash or SSD if 0; a bridge may report 1 for an SSD)`);
    const rotational = d.rotationRpm !== null ? d.rotationRpm > 0 : d.rotational;
    return result('usb', evidence, 'usb', rotational);
  }
  if (tran === 'nvme' || /^nvme\d+n\d+$/.test(d.kname) || subsystems.includes('nvme') || onPath(/^nvme\d+$/)) {
    const evidence = [tran === 'nvme' ? 'transport nvme' : `${d.kname} is an NVMe namespace`, ...described(d)];
    return result('nvme', evidence, 'nvme', d.rotational);
  }
  if (/^mmcblk\d+$/.test(d.kname) || tran === 'mmc' || subsystems.includes('mmc') || onPath(/^mmc\d+$/)) {
    const kind = d.cardType === 'MMC' ? 'eMMC' : d.cardType === 'SD' ? 'SD card' : 'SD card or eMMC';
    const evidence = [/^mmcblk/.test(d.kname) ? `${d.kname} is an MMC block device (${kind})` : `MMC bus (${kind})`, ...described(d)];
    return result('sd', evidence, 'mmc', false);
  }

  // libata disks answer SCSI INQUIRY with vendor "ATA"; udev and the sysfs path say it too.
  const ataWhy = d.udevBus === 'ata' ? 'udev ID_BUS=ata' : onPath(/^ata\d+$/) ? 'ATA port in the device path' : d.vendor === 'ATA' ? 'SCSI vendor "ATA" (a libata disk)' : null;
  const sas = onPath(/^end_device-/) || onPath(/^sas_/);
  const transport = tran ?? (ataWhy ? 'ata' : sas ? 'sas' : null);
  if ((transport !== null && DRIVE_TRANSPORTS.has(transport)) || ataWhy || sas) {
    const evidence = [tran ? `transport ${tran}` : ataWhy ?? 'SAS end device in the device path', ...described(d)];
    if (d.rotationRpm !== null) {
      evidence.push(d.rotationRpm === 0 ? 'the drive reports solid state (rotation rate 0)' : `the drive spins at ${d.rotationRpm} rpm`);
      return result(d.rotationRpm === 0 ? 'ssd' : 'hdd', evidence, transport, d.rotationRpm > 0);
    }
    if (d.rotational === null) return result('unknown', [...evidence, 'rotational flag unknown: SSD or HDD cannot be told'], transport, null);
    evidence.push(`${rotationWords(d)} on a real ${transport ?? 'SCSI'} drive`);
    return result(d.rotational ? 'hdd' : 'ssd', evidence, transport, d.rotational);
  }

  const evidence = [`no transport known for ${d.kname}`, ...described(d)];
  if (d.rotational !== null) evidence.push(`${rotationWords(d)}: not trusted without a known transport`);
  return result('unknown', evidence, tran, d.rotational);
}

/** One layer between the mounted device and its disks: a partition, dm-crypt, LVM, md RAID… */
export interface StackLayer {
  kname: string;
  kind: string;
}

/**
 * A filesystem on dm/md/LVM sits on several disks, or one disk through several layers. The stack
 * gets the disks' type when they all agree; when they do not, it is unknown and says why.
 */
export function classifyStack(layers: StackLayer[], disks: { kname: string; classification: Classification }[]): Classification {
  const chain = layers.map((l) => `${l.kname} (${l.kind})`).join(' on ');
  const evidence = [`${chain} on ${disks.map((d) => d.kname).join(', ') || 'no disk found'}`];
  if (disks.length === 0) return { type: 'unknown', evidence: [...evidence, 'the disks under it could not be found'], transport: null, rotational: null, network: false };
  for (const disk of disks) evidence.push(`${disk.kname}: ${disk.classification.type} (${disk.classification.evidence.join('; ')})`);
  const agreed = <T>(pick: (c: Classification) => T): T | null => {
    const values = new Set(disks.map((d) => pick(d.classification)));
    return values.size === 1 ? [...values][0]! : null;
  };
  const type = agreed((c) => c.type);
  if (type === null) evidence.push(`the disks disagree (${disks.map((d) => `${d.kname} ${d.classification.type}`).join(', ')})`);
  return {
    type: type ?? 'unknown',
    evidence,
    transport: agreed((c) => c.transport),
    rotational: agreed((c) => c.rotational),
    network: disks.some((d) => d.classification.network),
  };
}
