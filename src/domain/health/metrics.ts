/**
 * The counters the rules judge, read out of a report: one reading per metric the device has.
 * These are also what the health history stores, so trends compare like with like.
 */
import { METRIC_RULES, UNUSED_ATTRIBUTE_NAME, type MetricRule, type MetricSource, type NvmeField, type ScsiField } from './metric-rules.js';
import { decodeRaw, vendorOf, type DecodedRaw } from './raw-values.js';
import type { SmartReport } from './report.js';

export interface MetricReading {
  metric: string;
  /** null: the device has the counter, but its value could not be read as a count. */
  value: number | null;
  /** An ATA attribute id, or the NVMe/SCSI field it came from. */
  source: number | string;
  /** ATA only: the raw value as the drive gave it, and how it was turned into the count. */
  raw?: number | null;
  decodedBy?: DecodedRaw['decodedBy'];
  note?: string;
}

/** A plain count this high is not a count: the vendor packed something else into the raw value. */
export const PLAUSIBLE_COUNT_LIMIT = 2 ** 32;

export type MetricValues = Record<string, number>;

export function readMetrics(report: SmartReport): MetricReading[] {
  const readings: MetricReading[] = [];
  for (const rule of METRIC_RULES) {
    for (const source of rule.sources) {
      const reading = readSource(report, rule, source);
      if (reading) {
        readings.push(reading);
        break;
      }
    }
  }
  return readings;
}

/** Metric → value, for the history table and trends (readings that could not be read are left out). */
export function metricValues(report: SmartReport): MetricValues {
  return Object.fromEntries(readMetrics(report).flatMap((r) => (r.value === null ? [] : [[r.metric, r.value]])));
}

function readSource(report: SmartReport, rule: MetricRule, source: MetricSource): MetricReading | null {
  if ('ata' in source) {
    const attribute = report.ata?.attributes.find((a) => a.id === source.ata);
    if (!attribute || UNUSED_ATTRIBUTE_NAME.test(attribute.name)) return null;
    if (source.names && !source.names.test(attribute.name)) return null;
    const decoded = decodeRaw(attribute, vendorOf(report.identity));
    const reading: MetricReading = { metric: rule.metric, value: decoded.count, source: attribute.id, raw: attribute.raw, decodedBy: decoded.decodedBy };
    if (decoded.note) reading.note = decoded.note;
    if (reading.value !== null && reading.value >= PLAUSIBLE_COUNT_LIMIT) {
      return { ...reading, value: null, note: `raw value ${attribute.raw} (${attribute.rawString}) looks vendor-packed, not a count` };
    }
    return reading;
  }
  if ('nvme' in source) {
    const value = report.nvme ? nvmeValue(report.nvme, source.nvme) : null;
    return value === null ? null : { metric: rule.metric, value, source: source.nvme };
  }
  const value = report.scsi ? scsiValue(report.scsi, source.scsi) : null;
  return value === null ? null : { metric: rule.metric, value, source: source.scsi };
}

function nvmeValue(log: NonNullable<SmartReport['nvme']>, field: NvmeField): number | null {
  if (field === 'spareMargin') {
    return log.availableSpare === null || log.availableSpareThreshold === null ? null : log.availableSpare - log.availableSpareThreshold;
  }
  return log[field];
}

function scsiValue(scsi: NonNullable<SmartReport['scsi']>, field: ScsiField): number | null {
  switch (field) {
    case 'grownDefects':
      return scsi.grownDefects;
    case 'percentageUsed':
      return scsi.percentageUsed;
    case 'readUncorrected':
      return scsi.read?.uncorrected ?? null;
    case 'writeUncorrected':
      return scsi.write?.uncorrected ?? null;
    case 'verifyUncorrected':
      return scsi.verify?.uncorrected ?? null;
  }
}
