/**
 * What to do about an event, naming the files, the device and the command, so a user can act
 * without working anything out. Each action is chosen by its own condition below; the order is
 * the order a user should act in (the network caveat first, because it changes what else applies).
 */
import { formatBytes, formatInterval, formatRegion, listPaths, plural, shellArg } from './format.js';
import { describeGrowth } from './severity.js';
import type { Action, Cluster, DeviceFacts, EventEvidence, EventFile, EventSettings, Pattern, Severity } from './types.js';
import { SEVERITY_RANK } from './types.js';

export interface ActionInput {
  files: readonly EventFile[];
  clusters: readonly Cluster[];
  pattern: Pattern;
  severity: Severity;
  evidence: EventEvidence;
  device: DeviceFacts;
}

/** Devices without a SMART-capable disk of their own behind them. */
const NO_SMART: ReadonlySet<string> = new Set(['network', 'virtual', 'loop', 'optical']);

export function recommendActions(input: ActionInput, settings: EventSettings): Action[] {
  const { files, clusters, pattern, severity, evidence, device } = input;
  const name = device.name;
  const limit = settings.listLimit;
  const actions: Action[] = [];
  const local = !device.network;

  if (device.network) {
    actions.push({
      code: 'network-agent',
      text: `${name} is network storage: run a Bitarr agent on the machine that owns its disks, to place the damage on a disk, read SMART and scrub there`,
      why: 'from this side of the network only the files are visible, not the disks that hold them',
      things: { device: name },
    });
  }

  if (local && (evidence.smartGrowth.length > 0 || evidence.recurrences.length > 0)) {
    const why = [
      ...(evidence.smartGrowth.length > 0 ? [`SMART ${evidence.smartGrowth.map(describeGrowth).join(', ')} while files rotted`] : []),
      ...evidence.recurrences.map((r) => `damage came back at ${formatRegion(r.start, r.end)}, the region of resolved event #${r.eventId}`),
    ].join('; ');
    actions.push({
      code: 'replace-drive',
      text: `Replace the disk behind ${name}: copy what is still good off it first, then swap it`,
      why,
      things: { device: name, regions: evidence.recurrences.map((r) => ({ start: r.start, end: r.end })) },
    });
  }

  // Unstable files may still hold good bytes on the platter: they belong to the hardware check,
  // and only a file that reads back wrong or not at all needs its backup.
  const toRestore = files.filter((f) => f.statuses.includes('corrupted') || f.statuses.includes('unreadable')).map((f) => f.path);
  if (toRestore.length > 0) {
    actions.push({
      code: 'restore-from-backup',
      text: `Restore ${toRestore.length === 1 ? 'this file' : `these ${toRestore.length} files`} from backup: ${listPaths(toRestore, limit)}`,
      why: 'their content is no longer what was written, or cannot be read at all',
      things: { device: name, files: toRestore },
    });
  }

  if (local && !NO_SMART.has(device.type)) {
    const command = device.devicePath ? `smartctl -t long ${shellArg(device.devicePath)}` : null;
    const usb = device.type === 'usb' ? ' (behind a USB bridge add -d sat if smartctl cannot see the disk)' : '';
    actions.push({
      code: 'smart-long-test',
      text: command
        ? `Run a SMART long test on ${name}: ${command}, then read the result with smartctl -l selftest ${shellArg(device.devicePath!)}${usb}`
        : `Run a SMART long test on the disk behind ${name} (smartctl -t long on its device; the device path is not known here)${usb}`,
      why: 'the long test reads the whole surface and makes the disk report sectors it cannot read',
      things: { device: name, command },
    });
  }

  if (local && device.fsType === 'btrfs') {
    const command = device.mountPoint ? `btrfs scrub start ${shellArg(device.mountPoint)}` : null;
    actions.push({
      code: 'scrub',
      text: command
        ? `Scrub ${name}: ${command}`
        : `Scrub ${name} once it is mounted: btrfs scrub start on its mount point`,
      why: 'btrfs checks every block against its checksum, repairs from a good copy where the profile keeps one (dup, raid1) and logs every damaged file',
      things: { device: name, command, ...(device.mountPoint ? { mountPoint: device.mountPoint } : {}) },
    });
  }

  const unstable = files.filter((f) => f.statuses.includes('unstable')).map((f) => f.path);
  if (local && (pattern === 'scattered' || unstable.length > 0)) {
    const why = [
      ...(pattern === 'scattered'
        ? [`damage is scattered over ${clusters.length} regions far apart (${clusters.map((c) => `at ${formatBytes(c.start)}`).join(', ')}), not one bad spot`]
        : []),
      ...(unstable.length > 0 ? [`two reads of ${listPaths(unstable, limit)} gave different bytes`] : []),
    ].join('; ');
    actions.push({
      code: 'check-cable-controller',
      text: `Check the cable, port and controller of ${name}, and the machine's RAM (a memory test)${unstable.length > 0 ? `, then verify ${plural(unstable.length, 'unstable file')} again` : ''}`,
      why,
      things: { device: name, regions: clusters.map((c) => ({ start: c.start, end: c.end })), ...(unstable.length > 0 ? { files: unstable } : {}) },
    });
  }

  const more = scanMoreOften(device, severity, settings);
  if (more) actions.push(more);
  return actions;
}

/**
 * A damaged device is scanned at half its interval, never below the floor; one damaged file
 * (minor) does not ask for it, and a device already at the floor gets no action rather than a
 * proposal that changes nothing.
 */
function scanMoreOften(device: DeviceFacts, severity: Severity, settings: EventSettings): Action | null {
  if (SEVERITY_RANK[severity] < SEVERITY_RANK.moderate) return null;
  const current = device.scanIntervalSeconds;
  const floor = settings.minScanIntervalSeconds;
  const why = `${severity} damage: find out sooner whether it spreads`;
  if (current === null) {
    const proposed = Math.max(floor, settings.unscheduledIntervalSeconds);
    return {
      code: 'scan-more-often',
      text: `Schedule scans of ${device.name}: every ${formatInterval(proposed)} (it has no schedule now)`,
      why,
      things: { device: device.name, currentIntervalSeconds: null, proposedIntervalSeconds: proposed },
    };
  }
  const proposed = Math.max(floor, Math.round(current / 2));
  if (proposed >= current) return null;
  return {
    code: 'scan-more-often',
    text: `Scan ${device.name} more often: every ${formatInterval(proposed)} instead of every ${formatInterval(current)}`,
    why,
    things: { device: device.name, currentIntervalSeconds: current, proposedIntervalSeconds: proposed },
  };
}
