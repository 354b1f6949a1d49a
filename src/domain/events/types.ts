/**
 * The shapes of bitrot events (DESIGN.md, "Bitrot events"). Everything here is plain data, so the
 * service can store an event as JSON columns and rebuild the same object; numbers are bytes on the
 * block device, times are integers in ns since the epoch (bigint, the caller's clock).
 */
import type { DeviceType, PhysicalExtent } from '../../shared/plugin-api.js';

/** The findings that make a file part of an event (findings.ts ALARM_STATUSES). */
export type DamageStatus = 'corrupted' | 'unreadable' | 'unstable';
export const DAMAGE_STATUSES: readonly DamageStatus[] = ['unreadable', 'corrupted', 'unstable'];

/** One damaged file of one scan, as the scan service hands it over after mapping. */
export interface DamagedFile {
  path: string;
  status: DamageStatus;
  size: number;
  /** null: the mapper could not say where the file is (`reason` says why). [] : no data of its own. */
  extents: PhysicalExtent[] | null;
  reason?: string;
}

/** [start, end) in bytes on the device. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Damaged extents close enough together to be one spot on the disk. */
export interface Cluster {
  start: number;
  /** Exclusive. */
  end: number;
  /** Unique, in physical order of their first extent in the cluster. */
  files: string[];
  /** Bytes of damaged files' data inside the cluster (overlaps counted once), not end - start. */
  bytes: number;
  /** The damaged byte ranges themselves, merged: what the device map colours. */
  ranges: ByteRange[];
}

/** A damaged file that could not be placed on the disk: listed, never dropped. */
export interface UnlocatedFile {
  path: string;
  reason: string;
}

export type Pattern = 'one-file' | 'one-cluster' | 'band' | 'scattered' | 'unlocated';
export type Severity = 'minor' | 'moderate' | 'severe';
export const SEVERITY_RANK: Record<Severity, number> = { minor: 0, moderate: 1, severe: 2 };
export type EventStatus = 'open' | 'acknowledged' | 'resolved' | 'dismissed';

/** What the rules need to know about the device; the service fills it from storage_devices/mounts. */
export interface DeviceFacts {
  /** How texts name the device to a user: model and serial, label, or the share. */
  name: string;
  /** The disk as smartctl should open it (the whole disk preferred: /dev/sdb); null when unknown. */
  devicePath: string | null;
  type: DeviceType;
  rotational: boolean | null;
  network: boolean;
  fsType: string;
  /** A mount point of the device (for `btrfs scrub start`); null when not mounted now. */
  mountPoint: string | null;
  /** How often the device is scanned now, in seconds; null when it has no schedule. */
  scanIntervalSeconds: number | null;
}

/** A SMART counter that grew since the previous health check (the health module decides). */
export interface SmartGrowth {
  counter: 'reallocated' | 'pending' | 'uncorrectable';
  before: number;
  after: number;
  /** The attribute as a user knows it ("media errors" on NVMe); defaults to the counter's name. */
  label?: string;
}

/** The damage one finished scan found on one device. */
export interface ScanDamage {
  scanId: number;
  /** When the scan ended: the time stamped on what this damage opens or changes. */
  atNs: bigint;
  device: DeviceFacts;
  files: DamagedFile[];
  /** Counters that grew since the last check; [] when none grew or SMART is not available. */
  smartGrowth: SmartGrowth[];
}

/** A file as an event remembers it: every status it was seen with, and where it was. */
export interface EventFile {
  path: string;
  size: number;
  /** Every damage status seen for this file, in DAMAGE_STATUSES order (evidence only accumulates). */
  statuses: DamageStatus[];
  extents: PhysicalExtent[] | null;
  reason?: string;
  firstScanId: number;
}

/** New damage inside the region of an earlier, resolved event. */
export interface Recurrence {
  /** The earlier event. */
  eventId: number;
  scanId: number;
  /** The new damage's cluster that lies in that region. */
  start: number;
  end: number;
}

/** Evidence that is not in the files themselves and must survive later merges. */
export interface EventEvidence {
  smartGrowth: SmartGrowth[];
  recurrences: Recurrence[];
}

export interface SeverityReason {
  rule: string;
  severity: Severity;
  text: string;
}

export type ActionCode =
  | 'network-agent'
  | 'replace-drive'
  | 'restore-from-backup'
  | 'smart-long-test'
  | 'scrub'
  | 'check-cable-controller'
  | 'scan-more-often';

/** The things an action names, so a UI can link them and a script can run them. */
export interface ActionThings {
  device: string;
  files?: string[];
  command?: string | null;
  mountPoint?: string;
  regions?: ByteRange[];
  currentIntervalSeconds?: number | null;
  proposedIntervalSeconds?: number;
}

export interface Action {
  code: ActionCode;
  /** What to do, naming the files, device or command. */
  text: string;
  /** Why this event calls for it. */
  why: string;
  things: ActionThings;
}

export type HistoryAction = 'opened' | 'grew' | 'acknowledged' | 'resolved' | 'dismissed';

export interface HistoryEntry {
  action: HistoryAction;
  /** The status after this entry. */
  status: EventStatus;
  who: string;
  atNs: bigint;
  note: string | null;
  scanId?: number;
}

/** An event as stored. clusters..actions are derived from files + evidence by explainEvent(). */
export interface BitrotEvent {
  id: number;
  status: EventStatus;
  severity: Severity;
  pattern: Pattern;
  clusters: Cluster[];
  unlocated: UnlocatedFile[];
  files: EventFile[];
  evidence: EventEvidence;
  reasons: SeverityReason[];
  actions: Action[];
  firstScanId: number;
  lastScanId: number;
  openedAtNs: bigint;
  updatedAtNs: bigint;
  history: HistoryEntry[];
}

export type NewBitrotEvent = Omit<BitrotEvent, 'id'>;

export interface EventSettings {
  /** Extents closer than this (bytes) are one cluster, and new damage this close joins an event. */
  gapBytes: number;
  /** A single cluster with at least this many files … */
  bandMinFiles: number;
  /** … whose damaged bytes fill at least this share of its span is a band (a failing region). */
  bandMinDensity: number;
  /** "Scan more often" never proposes less than this (seconds). */
  minScanIntervalSeconds: number;
  /** What "scan more often" proposes for a device without a schedule (seconds). */
  unscheduledIntervalSeconds: number;
  /** Paths spelled out in an action's text; the `things` list always has them all. */
  listLimit: number;
  /** `who` of the entries Bitarr itself writes. */
  systemActor: string;
}

export const DEFAULT_EVENT_SETTINGS: EventSettings = {
  gapBytes: 1024 * 1024,
  bandMinFiles: 3,
  bandMinDensity: 0.5,
  minScanIntervalSeconds: 24 * 3600,
  unscheduledIntervalSeconds: 7 * 24 * 3600,
  listLimit: 10,
  systemActor: 'bitarr',
};
