/**
 * When there is no SMART data, say what would get it. The usual causes are few and recognisable
 * from smartctl's own messages and the device's name and model, so the advice is a table.
 */
import { decodeExitStatus } from './exit-status.js';
import type { DeviceIdentity, NoHealthData, NoHealthDataWhy } from './report.js';

export interface NoDataHint {
  code: string;
  hint: string;
  /** Every given test must match; a regular expression is tried on that text. */
  when: { why?: NoHealthDataWhy[]; messages?: RegExp; name?: RegExp; model?: RegExp; type?: RegExp };
}

export const NO_DATA_HINTS: readonly NoDataHint[] = [
  {
    code: 'virtual_disk',
    when: { name: /^\/dev\/x?vd[a-z]+$/ },
    hint: 'a virtual disk (virtio) has no SMART: run Bitarr or its agent on the host, or pass the physical disk through to the VM',
  },
  {
    code: 'virtual_disk',
    when: { model: /QEMU|VirtIO|VMware|VBOX|Virtual disk|Msft Virtual|Xen/i },
    hint: 'a virtual disk has no SMART: run Bitarr or its agent on the host, or pass the physical disk through to the VM',
  },
  {
    code: 'raid_volume',
    when: { model: /\bRaid\b|Logical Volume|PERC|MegaRAID/i },
    hint: 'a hardware RAID volume hides its disks: ask for each member disk (-d megaraid,N for LSI/Dell PERC, -d cciss,N for HP Smart Array, -d areca,N); smartctl --scan lists them',
  },
  {
    code: 'megaraid',
    when: { messages: /megaraid/i },
    hint: 'the disk is behind a MegaRAID/PERC controller: set the device type to megaraid,N (N from smartctl --scan)',
  },
  {
    code: 'usb_bridge',
    when: { messages: /USB bridge|Unknown USB|\[USB/i },
    hint: 'the disk is behind a USB bridge that does not pass SMART through by default: set the device type to sat (or usbjmicron, usbcypress, usbprolific, usbsunplus); some bridges never pass it',
  },
  {
    code: 'usb_bridge',
    when: { type: /^usb/ },
    hint: 'the disk is behind a USB bridge: if sat does not work, try usbjmicron, usbcypress, usbprolific or usbsunplus as the device type',
  },
  {
    code: 'needs_privilege',
    when: { messages: /Permission denied|Operation not permitted|Error=5\b|Access is denied/i },
    hint: 'smartctl was refused the device: run as root (Administrator on Windows); in a container, pass the device in and add CAP_SYS_RAWIO (ATA/SCSI) and CAP_SYS_ADMIN (NVMe)',
  },
  {
    code: 'device_missing',
    when: { messages: /No such (device|file)/i },
    hint: 'the device path does not exist (now): use a stable name from /dev/disk/by-id/',
  },
  {
    code: 'unknown_device_type',
    when: { messages: /Unable to detect device type/i },
    hint: 'smartctl does not know what this device is: set its device type (sat, scsi, nvme); loop, zram, device-mapper and virtual devices have no SMART',
  },
  { code: 'asleep', when: { messages: /STANDBY|SLEEP/ }, hint: 'the disk was asleep and smartctl was told not to wake it (-n): collect again later' },
  { code: 'scan_listing', when: { why: ['scan_listing'] }, hint: 'run smartctl --json -x DEVICE on one of the listed devices' },
  { code: 'identity_only', when: { why: ['identity_only'] }, hint: 'collect the health data as well: smartctl --json -x DEVICE' },
  { code: 'smart_unavailable', when: { why: ['smart_unavailable'] }, hint: 'the device has no SMART: only Bitarr’s own scans can speak for it' },
  { code: 'smart_disabled', when: { why: ['smart_disabled'] }, hint: 'turn SMART on: smartctl -s on DEVICE' },
  { code: 'smartctl_missing', when: { why: ['smartctl_missing'] }, hint: 'install smartmontools 7.0 or later (smartctl --json appeared in 7.0)' },
];

export function hintsFor(noData: NoHealthData): NoDataHint[] {
  const messages = [noData.message, ...noData.smartctl.messages.map((m) => m.text), noData.identity.infoName ?? ''].join('\n');
  const matches = (re: RegExp | undefined, text: string | null) => re === undefined || (text !== null && re.test(text));
  const found = NO_DATA_HINTS.filter(
    ({ when }) =>
      (when.why === undefined || when.why.includes(noData.why)) &&
      matches(when.messages, messages) &&
      matches(when.name, noData.identity.name) &&
      matches(when.model, noData.identity.model) &&
      matches(when.type, noData.identity.type),
  );
  return found.filter((h, i) => found.findIndex((o) => o.code === h.code) === i);
}

const EMPTY_IDENTITY: DeviceIdentity = {
  protocol: null, name: null, type: null, infoName: null, model: null, family: null, serial: null, wwn: null, firmware: null, capacityBytes: null, rotationRate: null,
};

/** For callers that got no smartctl JSON at all (smartctl missing, killed, timed out). */
export function noHealthDataWithoutOutput(why: 'smartctl_missing' | 'smartctl_failed', message: string, identity: Partial<DeviceIdentity> = {}): NoHealthData {
  return {
    kind: 'no_health_data',
    why,
    message,
    identity: { ...EMPTY_IDENTITY, ...identity },
    smartctl: { version: null, argv: [], exitStatus: decodeExitStatus(null), messages: [], platform: null },
  };
}
