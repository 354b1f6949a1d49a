/**
 * The other rules, as tables: the drive's own verdicts (overall status, attribute thresholds,
 * smartctl's exit bits, NVMe critical warnings), and what Bitarr knows of the device besides
 * SMART (I/O errors, bitrot history, growth between collections).
 */
import type { ExitFlag } from './exit-status.js';
import type { Severity } from './metric-rules.js';

/** The manufacturer's own threshold, per attribute (smartctl's WHEN_FAILED column). */
export const ATTRIBUTE_THRESHOLD_RULES: ReadonlyArray<{ whenFailed: 'now' | 'past'; prefailure: boolean; code: string; severity: Severity; message: string }> = [
  { whenFailed: 'now', prefailure: true, code: 'attribute_failing', severity: 'critical', message: 'is at or below the manufacturer’s failure threshold now' },
  { whenFailed: 'now', prefailure: false, code: 'attribute_worn_out', severity: 'warning', message: 'is at its threshold: the drive’s rated life for it is used up' },
  { whenFailed: 'past', prefailure: true, code: 'attribute_failed_before', severity: 'warning', message: 'was at or below the manufacturer’s failure threshold in the past' },
  { whenFailed: 'past', prefailure: false, code: 'attribute_failed_before', severity: 'info', message: 'reached its usage threshold in the past' },
];

/**
 * smartctl's exit bits that say something of the drive. `withoutAttributes`: only when there is no
 * attribute table to name the attribute (the per-attribute reason says it better).
 */
export const EXIT_FLAG_RULES: ReadonlyArray<{ flag: ExitFlag; code: string; severity: Severity; message: string; withoutAttributes?: boolean }> = [
  { flag: 'disk_failing', code: 'smart_failed', severity: 'critical', message: 'the drive’s own SMART health check says it is failing' },
  { flag: 'prefail_at_threshold', code: 'attribute_failing', severity: 'critical', message: 'a pre-failure attribute is at or below its threshold', withoutAttributes: true },
  { flag: 'past_at_threshold', code: 'attribute_failed_before', severity: 'warning', message: 'an attribute was at or below its threshold in the past', withoutAttributes: true },
  { flag: 'self_test_log', code: 'self_test_failed', severity: 'warning', message: 'a self-test failed (smartctl -l selftest); run a long self-test again' },
  { flag: 'error_log', code: 'error_log', severity: 'info', message: 'the drive’s error log records past command errors (smartctl -l error)' },
  { flag: 'smart_command_failed', code: 'smart_command_failed', severity: 'info', message: 'some SMART commands failed, so some data may be missing' },
];

/** NVMe SMART log byte 0, one bit per condition (NVM Express base specification, SMART / Health Information). */
export const NVME_CRITICAL_WARNING_BITS: ReadonlyArray<{ bit: number; code: string; severity: Severity; message: string }> = [
  { bit: 0, code: 'nvme_spare_low', severity: 'critical', message: 'available spare has fallen below the threshold' },
  { bit: 1, code: 'nvme_temperature', severity: 'warning', message: 'temperature is outside the drive’s limits' },
  { bit: 2, code: 'nvme_reliability_degraded', severity: 'critical', message: 'reliability is degraded by media errors or an internal error' },
  { bit: 3, code: 'nvme_read_only', severity: 'critical', message: 'the media has been put in read-only mode' },
  { bit: 4, code: 'nvme_backup_failed', severity: 'critical', message: 'the volatile memory backup device has failed' },
  { bit: 5, code: 'nvme_pmr_unreliable', severity: 'critical', message: 'the persistent memory region has become read-only or unreliable' },
];

/**
 * What Bitarr saw of the device itself. Each unit costs `perUnit` points up to `maxPenalty`.
 * None of these fails a drive alone: an unreadable file or an I/O error can also be a cable, a
 * controller or the filesystem, and SMART is what speaks for the drive.
 */
export interface ContextRule {
  code: string;
  severity: Severity;
  perUnit: number;
  maxPenalty: number;
  /** "3 unreadable files": the noun after the count. */
  noun: string;
  advice: string;
}

export const CONTEXT_RULES: Record<'ioErrors' | 'unreadableFiles' | 'severeEvents' | 'moderateEvents' | 'minorEvents', ContextRule> = {
  ioErrors: { code: 'io_errors', severity: 'warning', perUnit: 5, maxPenalty: 30, noun: 'I/O errors reported for the device', advice: 'check the kernel log (dmesg) for the failing commands' },
  unreadableFiles: { code: 'unreadable_files', severity: 'warning', perUnit: 5, maxPenalty: 30, noun: 'files that could not be read (EIO)', advice: 'restore them from backup and run a long self-test' },
  severeEvents: { code: 'bitrot_severe', severity: 'warning', perUnit: 20, maxPenalty: 40, noun: 'open severe bitrot events', advice: 'see bitarr events; replace the drive if SMART counts grew' },
  moderateEvents: { code: 'bitrot_moderate', severity: 'warning', perUnit: 10, maxPenalty: 20, noun: 'open moderate bitrot events', advice: 'see bitarr events and scan this device more often' },
  minorEvents: { code: 'bitrot_minor', severity: 'info', perUnit: 3, maxPenalty: 9, noun: 'open minor bitrot events', advice: 'see bitarr events' },
};

/** A damage count that grew since the previous collection. */
export const GROWTH_RULE = { code: 'count_grew', severity: 'warning' as Severity };

/** A projection is worth a reason when the failing range is this close at the current rate. */
export const PROJECTION_RULE = { code: 'projected_failure', severity: 'info' as Severity, horizonDays: 180 };

/** Mean month length, for "per month" rates. */
export const DAYS_PER_MONTH = 365.25 / 12;
