/**
 * The one place that reads smartctl's JSON. It never throws: a user's saved file, a truncated
 * agent upload or another tool's JSON each get a typed answer, because `bitarr smart parse` is
 * also how users send problem reports, and a crash on their file would tell us nothing.
 */
import { couldNotOpen, decodeExitStatus } from './exit-status.js';
import type {
  AtaAttribute,
  DeviceIdentity,
  NoHealthData,
  NvmeHealthLog,
  Protocol,
  ScsiErrorCounters,
  ScsiHealth,
  SmartctlMessage,
  SmartctlRun,
  SmartParseResult,
  SmartReport,
} from './report.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => obj(o)?.[k], v);
/** SCSI counters come as numbers or, for gigabytes, as decimal strings ("176987.332"). */
const numeric = (v: unknown): number | null => num(v) ?? (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : null);

/** Keys only smartctl writes; any one of them makes an object smartctl output rather than something else's JSON. */
const HEALTH_KEYS = ['smart_status', 'ata_smart_attributes', 'nvme_smart_health_information_log', 'scsi_grown_defect_list', 'scsi_error_counter_log'];

export function parseSmartctlJson(text: string): SmartParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { kind: 'not_smartctl_json', message: `not JSON (${(err as Error).message})` };
  }
  const root = obj(doc);
  if (!root) return { kind: 'not_smartctl_json', message: `JSON, but a ${Array.isArray(doc) ? 'list' : doc === null ? 'null' : typeof doc} rather than smartctl's object` };
  if (!looksLikeSmartctl(root)) {
    return { kind: 'not_smartctl_json', message: 'JSON, but not smartctl output: it has none of smartctl, json_format_version, device or SMART data' };
  }
  const smartctl = readRun(root);
  const identity = readIdentity(root, smartctl);
  const ata = readAta(root);
  const nvme = readNvme(root);
  const scsi = readScsi(root);
  const smartPassed = typeof at(root, 'smart_status', 'passed') === 'boolean' ? (at(root, 'smart_status', 'passed') as boolean) : null;
  if (smartPassed === null && !ata && !nvme && !scsi) return noHealthData(root, identity, smartctl);
  const report: SmartReport = {
    kind: 'report',
    identity,
    smartctl,
    smartPassed,
    powerOnHours: num(at(root, 'power_on_time', 'hours')) ?? nvme?.powerOnHours ?? null,
    temperatureC: num(at(root, 'temperature', 'current')) ?? nvme?.temperatureC ?? null,
    powerCycles: num(root.power_cycle_count) ?? nvme?.powerCycles ?? null,
    collectedAtMs: timeMs(num(at(root, 'local_time', 'time_t'))),
    ata,
    nvme,
    scsi,
  };
  return report;
}

const timeMs = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

function looksLikeSmartctl(root: Json): boolean {
  if (obj(root.smartctl) || Array.isArray(root.json_format_version)) return true;
  const device = obj(root.device);
  if (device && (str(device.protocol) || str(device.type))) return true;
  if (list(root.devices).some((d) => str(obj(d)?.name))) return true;
  return HEALTH_KEYS.some((k) => k in root);
}

function readIdentity(root: Json, smartctl: SmartctlRun): DeviceIdentity {
  const device = obj(root.device);
  // An output of a device that could not be opened has no "device"; the path it was given is the last argument.
  const asked = smartctl.argv.length > 1 && !smartctl.argv[smartctl.argv.length - 1].startsWith('-') ? smartctl.argv[smartctl.argv.length - 1] : null;
  const vendorProduct = [str(root.vendor) ?? str(root.scsi_vendor), str(root.product) ?? str(root.scsi_product)].filter(Boolean).join(' ');
  return {
    protocol: protocolOf(device?.protocol),
    name: str(device?.name) ?? asked,
    type: str(device?.type),
    infoName: str(device?.info_name),
    model: str(root.model_name) ?? str(root.scsi_model_name) ?? (vendorProduct || null),
    family: str(root.model_family),
    serial: str(root.serial_number),
    wwn: readWwn(root),
    firmware: str(root.firmware_version) ?? str(root.revision) ?? str(root.scsi_revision),
    capacityBytes: num(at(root, 'user_capacity', 'bytes')) ?? num(root.nvme_total_capacity),
    rotationRate: num(root.rotation_rate),
  };
}

function protocolOf(v: unknown): Protocol | null {
  const p = str(v)?.toLowerCase();
  return p === 'ata' ? 'ATA' : p === 'nvme' ? 'NVMe' : p === 'scsi' ? 'SCSI' : null;
}

/** ATA gives the NAA parts (4 + 24 + 36 bits); SCSI gives the logical unit id already as hex. */
function readWwn(root: Json): string | null {
  const naa = num(at(root, 'wwn', 'naa'));
  const oui = num(at(root, 'wwn', 'oui'));
  const id = num(at(root, 'wwn', 'id'));
  if (naa !== null && oui !== null && id !== null) {
    return `0x${naa.toString(16)}${oui.toString(16).padStart(6, '0')}${id.toString(16).padStart(9, '0')}`;
  }
  const lu = str(root.logical_unit_id);
  return lu && /^0x[0-9a-f]+$/i.test(lu) ? lu.toLowerCase() : null;
}

function readRun(root: Json): SmartctlRun {
  const s = obj(root.smartctl);
  const version = list(s?.version).filter((n) => num(n) !== null);
  const messages: SmartctlMessage[] = list(s?.messages)
    .map((m) => ({ severity: str(obj(m)?.severity) ?? 'information', text: str(obj(m)?.string) ?? '' }))
    .filter((m) => m.text);
  return {
    version: version.length ? version.join('.') : null,
    argv: list(s?.argv).filter((a): a is string => typeof a === 'string'),
    exitStatus: decodeExitStatus(num(s?.exit_status)),
    messages,
    platform: str(s?.platform_info),
  };
}

function readAta(root: Json): SmartReport['ata'] {
  const table = list(at(root, 'ata_smart_attributes', 'table'));
  const attributes = table.map(readAttribute).filter((a): a is AtaAttribute => a !== null);
  if (!attributes.length) return null;
  const errorLog = obj(root.ata_smart_error_log);
  const selfTests = obj(at(root, 'ata_smart_self_test_log', 'extended')) ?? obj(at(root, 'ata_smart_self_test_log', 'standard'));
  const failed = num(selfTests?.error_count_total);
  return {
    attributes,
    errorLogCount: num(at(errorLog, 'extended', 'count')) ?? num(at(errorLog, 'summary', 'count')),
    // A failed self-test made moot by a newer passing extended test is "outdated" (smartctl(8)).
    selfTestsFailed: failed === null ? null : Math.max(0, failed - (num(selfTests?.error_count_outdated) ?? 0)),
  };
}

function readAttribute(v: unknown): AtaAttribute | null {
  const a = obj(v);
  const id = num(a?.id);
  if (!a || id === null) return null;
  const raw = obj(a.raw);
  return {
    id,
    name: str(a.name) ?? `Attribute_${id}`,
    value: num(a.value),
    worst: num(a.worst),
    thresh: num(a.thresh),
    raw: num(raw?.value),
    rawString: str(raw?.string) ?? '',
    whenFailed: (str(a.when_failed) ?? '').toLowerCase().replace('in_the_past', 'past').replace('failing_now', 'now'),
    prefailure: at(a, 'flags', 'prefailure') === true,
  };
}

function readNvme(root: Json): NvmeHealthLog | null {
  const log = obj(root.nvme_smart_health_information_log);
  if (!log) return null;
  return {
    criticalWarning: num(log.critical_warning),
    temperatureC: num(log.temperature),
    availableSpare: num(log.available_spare),
    availableSpareThreshold: num(log.available_spare_threshold),
    percentageUsed: num(log.percentage_used),
    dataUnitsRead: num(log.data_units_read),
    dataUnitsWritten: num(log.data_units_written),
    powerCycles: num(log.power_cycles),
    powerOnHours: num(log.power_on_hours),
    unsafeShutdowns: num(log.unsafe_shutdowns),
    mediaErrors: num(log.media_errors),
    errorLogEntries: num(log.num_err_log_entries),
    warningTempMinutes: num(log.warning_temp_time),
    criticalTempMinutes: num(log.critical_comp_time),
  };
}

function readScsi(root: Json): ScsiHealth | null {
  const grownDefects = num(root.scsi_grown_defect_list);
  const log = obj(root.scsi_error_counter_log);
  const percentageUsed = num(root.scsi_percentage_used_endurance_indicator);
  if (grownDefects === null && !log && percentageUsed === null) return null;
  const counters = (v: unknown): ScsiErrorCounters | null => {
    const c = obj(v);
    if (!c) return null;
    return { corrected: numeric(c.total_errors_corrected), uncorrected: numeric(c.total_uncorrected_errors), gigabytesProcessed: numeric(c.gigabytes_processed) };
  };
  return { grownDefects, read: counters(log?.read), write: counters(log?.write), verify: counters(log?.verify), percentageUsed };
}

function noHealthData(root: Json, identity: DeviceIdentity, smartctl: SmartctlRun): NoHealthData {
  const base = { kind: 'no_health_data' as const, identity, smartctl };
  const firstError = smartctl.messages.find((m) => m.severity === 'error')?.text;
  // An empty scan has no "devices" at all; its argv still says what it was.
  if (Array.isArray(root.devices) || smartctl.argv.some((a) => a.startsWith('--scan'))) {
    return { ...base, why: 'scan_listing', message: `a --scan listing of ${list(root.devices).length} device(s), not the SMART data of one` };
  }
  if (couldNotOpen(smartctl.exitStatus) || (firstError && !identity.model)) {
    return { ...base, why: 'smartctl_error', message: firstError ?? `smartctl could not read the device (exit status ${smartctl.exitStatus.code})` };
  }
  const support = root.smart_support;
  const available = typeof support === 'boolean' ? support : at(support, 'available');
  if (available === false) return { ...base, why: 'smart_unavailable', message: 'the device says it has no SMART' };
  if (at(support, 'enabled') === false) return { ...base, why: 'smart_disabled', message: 'SMART is turned off on the device' };
  if (smartctl.exitStatus.flags.includes('smart_command_failed')) {
    return { ...base, why: 'smart_commands_failed', message: firstError ?? 'the SMART commands to the device failed (exit status bit 2)' };
  }
  return { ...base, why: 'identity_only', message: 'only the identity of the device (smartctl --info); no health data was asked for' };
}
