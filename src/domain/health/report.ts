/**
 * What one `smartctl --json` output says about one device, in Bitarr's own types. smartctl's JSON
 * differs between protocols, versions and options (-x, -a, -A, -H, --info, --scan); everything a
 * rule or a page needs is read from here, never from the raw JSON, so the quirks stay in one parser.
 */
import type { ExitStatus } from './exit-status.js';

export type Protocol = 'ATA' | 'NVMe' | 'SCSI';

export interface DeviceIdentity {
  protocol: Protocol | null;
  /** The path smartctl opened (`/dev/sda`, `/dev/bus/0`). */
  name: string | null;
  /** smartctl's device type (`sat`, `nvme`, `usbjmicron`, `sat+megaraid,1`). */
  type: string | null;
  /** smartctl's description of the path, e.g. `/dev/sdc [USB JMicron]`. */
  infoName: string | null;
  model: string | null;
  family: string | null;
  serial: string | null;
  /** NAA world wide name as 16 hex digits with 0x, the form lsblk and /dev/disk/by-id use. */
  wwn: string | null;
  firmware: string | null;
  capacityBytes: number | null;
  /** Revolutions per minute; 0 means solid state. */
  rotationRate: number | null;
}

export interface AtaAttribute {
  id: number;
  name: string;
  /** Normalised value, worst ever and the manufacturer's threshold (higher is better). */
  value: number | null;
  worst: number | null;
  thresh: number | null;
  /** The 48-bit raw value as smartctl read it; vendor-packed for some attributes (see raw-values.ts). */
  raw: number | null;
  /** smartctl's rendering of the raw value, decoded by its drive database where it knows the format. */
  rawString: string;
  /** '' (never), 'now' or 'past': the normalised value is or was at or below the threshold. */
  whenFailed: string;
  /** Pre-failure attributes predict failure; the others (old age) only wear out. */
  prefailure: boolean;
}

export interface NvmeHealthLog {
  /** Bit field of NVMe critical warnings (see NVME_CRITICAL_WARNING_BITS). */
  criticalWarning: number | null;
  temperatureC: number | null;
  availableSpare: number | null;
  availableSpareThreshold: number | null;
  percentageUsed: number | null;
  dataUnitsRead: number | null;
  dataUnitsWritten: number | null;
  powerCycles: number | null;
  powerOnHours: number | null;
  unsafeShutdowns: number | null;
  mediaErrors: number | null;
  errorLogEntries: number | null;
  warningTempMinutes: number | null;
  criticalTempMinutes: number | null;
}

export interface ScsiErrorCounters {
  corrected: number | null;
  uncorrected: number | null;
  gigabytesProcessed: number | null;
}

export interface ScsiHealth {
  grownDefects: number | null;
  read: ScsiErrorCounters | null;
  write: ScsiErrorCounters | null;
  verify: ScsiErrorCounters | null;
  /** SAS SSDs: the endurance used, like NVMe's percentage_used. */
  percentageUsed: number | null;
}

export interface SmartctlMessage {
  severity: string;
  text: string;
}

/** How smartctl itself ran: the version, the options it was given and what it said. */
export interface SmartctlRun {
  version: string | null;
  argv: string[];
  exitStatus: ExitStatus;
  messages: SmartctlMessage[];
  platform: string | null;
}

export interface SmartReport {
  kind: 'report';
  identity: DeviceIdentity;
  smartctl: SmartctlRun;
  /** The drive's own overall verdict (`smartctl -H`); null when it was not asked or not given. */
  smartPassed: boolean | null;
  powerOnHours: number | null;
  temperatureC: number | null;
  powerCycles: number | null;
  /** When smartctl ran, in ms since the epoch (the machine's clock, as smartctl read it). */
  collectedAtMs: number | null;
  ata: { attributes: AtaAttribute[]; errorLogCount: number | null; selfTestsFailed: number | null } | null;
  nvme: NvmeHealthLog | null;
  scsi: ScsiHealth | null;
}

/** Why a smartctl output carries no health data: each leads to its own advice (no-data.ts). */
export type NoHealthDataWhy =
  | 'scan_listing'
  | 'smartctl_error'
  | 'smart_unavailable'
  | 'smart_disabled'
  | 'smart_commands_failed'
  | 'identity_only'
  /** No output at all: smartctl is not installed, or it died before writing JSON. */
  | 'smartctl_missing'
  | 'smartctl_failed';

/** smartctl JSON, but nothing in it tells how healthy the device is. */
export interface NoHealthData {
  kind: 'no_health_data';
  why: NoHealthDataWhy;
  message: string;
  identity: DeviceIdentity;
  smartctl: SmartctlRun;
}

/** Not smartctl JSON at all: not JSON, or JSON of something else (a package.json). */
export interface NotSmartctlJson {
  kind: 'not_smartctl_json';
  message: string;
}

export type SmartParseResult = SmartReport | NoHealthData | NotSmartctlJson;
