/**
 * SMART counters and the ranges that judge them: data, not code. Every rule covers all values
 * (contiguous integer ranges, the last one open-ended), so no value can fall between buckets.
 *
 * Source: AnalogJ/scrutiny, webapp/backend/pkg/thresholds/ata_attribute_metadata.go (Backblaze
 * drive-stats buckets: annual failure rate and its 95% interval per raw-value bucket, read at
 * commit 0e859ecbb9801568fd5bc73371c68f2c1eb3a7e5), and pkg/models/measurements/smart.go (NVMe:
 * critical_warning 0, spare below its threshold, percentage_used over 100, media_errors over 0;
 * SCSI: grown defects over 40 from thomas-krenn/check_smart_attributes, uncorrected errors over 10).
 * `afr` and `interval` below are Scrutiny's numbers in percent; Scrutiny's bucket (low, high] is
 * written here as the integers [low+1, high].
 *
 * How a bucket's failure rate becomes a level (so the table can be re-derived and checked):
 *   info      AFR under 5%: no worse than drives at zero; noted, costs a few points.
 *   warning   AFR 5–10%, or AFR 10%+ whose interval reaches below 10% (too few drives to be
 *             sure), or no failure data at all.
 *   critical  AFR 10%+ with the whole interval above 10%: Scrutiny's failing line for critical
 *             attributes, kept only where the data is sure of it.
 *   A higher count never gets a milder level than a lower one (`worse: 'higher'`), and values
 *   beyond Backblaze's last bucket keep the last bucket's level.
 *
 * Gaps in Scrutiny this closes: 1 is in no bucket for 5, 10, 197 and 198 ({0}, then (1, …]) and
 * values past the last bucket are in none either, so both only warn; buckets are not monotonic
 * (196: 17% at 12–17, 5.9% at 18–27); 201 has no buckets, so every drive that reports it warns;
 * 188's top buckets are Seagate-packed raw values, not counts (see raw-values.ts); SCSI and NVMe
 * values below the failing line pass silently.
 *
 * Not judged at all: 1, 7 and 195. Their raw values are vendor-specific rates (Seagate packs an
 * error count over an operation count), and Scrutiny's buckets for 195's normalised value would
 * fail healthy Seagates (19 on the ST3000NM0033 and 20 on the ST10000NM0016 in the fixtures fall
 * in its 31% bucket). The drive's own threshold for them still applies (reason-rules.ts).
 */
export type Severity = 'info' | 'warning' | 'critical';
export type Level = 'ok' | Severity;

export const LEVEL_RANK: Record<Level, number> = { ok: 0, info: 1, warning: 2, critical: 3 };

/** Points off the score of 100 for each reason, by severity (a failed drive ends at 40 or below). */
export const SEVERITY_PENALTY: Record<Severity, number> = { info: 3, warning: 15, critical: 60 };

export interface Range {
  min: number;
  max: number;
  level: Level;
  /** Annual failure rate in percent; a span where the range joins several of Scrutiny's buckets. */
  afr?: number | [number, number];
  interval?: [number, number];
  note?: string;
}

export type NvmeField = 'mediaErrors' | 'percentageUsed' | 'spareMargin';
export type ScsiField = 'grownDefects' | 'readUncorrected' | 'writeUncorrected' | 'verifyUncorrected' | 'percentageUsed';

export type MetricSource =
  | { ata: number; names?: RegExp }
  | { nvme: NvmeField }
  | { scsi: ScsiField };

export interface MetricRule {
  metric: string;
  /** What the number counts: "media errors: 7". */
  label: string;
  sources: MetricSource[];
  worse: 'higher' | 'lower';
  ranges: Range[];
  /** Growth between two collections is itself a warning: the count is of damage, not of use. */
  growthIsBad: boolean;
  advice: string;
}

const INF = Number.POSITIVE_INFINITY;
// smartctl names attributes it knows to be unused on a model; such an id is not this counter.
const UNUSED = /^(Not_In_Use|Unknown_(SSD_)?Attribute)$/;
const BEYOND = 'beyond Backblaze’s last bucket: the last bucket’s level or worse';

export const METRIC_RULES: readonly MetricRule[] = [
  {
    metric: 'reallocated_sectors', label: 'reallocated sectors', sources: [{ ata: 5 }], worse: 'higher', growthIsBad: true,
    advice: 'back up, run a long self-test (smartctl -t long) and plan to replace the drive',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 2.5, interval: [2.3, 2.8] },
      { min: 1, max: 4, level: 'info', afr: 2.7, interval: [1.0, 6.0], note: 'Scrutiny’s (1,4] leaves 1 in no bucket; joined here' },
      { min: 5, max: 16, level: 'warning', afr: 7.5, interval: [4.0, 12.8] },
      { min: 17, max: 70, level: 'critical', afr: 23.6, interval: [16.4, 32.8] },
      { min: 71, max: 260, level: 'critical', afr: 36.2, interval: [26.1, 48.9] },
      { min: 261, max: 1100, level: 'critical', afr: 56.8, interval: [45.3, 70.3] },
      { min: 1101, max: 4500, level: 'critical', afr: 150.3, interval: [126.8, 176.8] },
      { min: 4501, max: 70000, level: 'critical', afr: [177.6, 206.6], interval: [128.0, 251.3], note: 'two buckets' },
      { min: 70001, max: INF, level: 'critical', note: BEYOND },
    ],
  },
  {
    metric: 'spin_retries', label: 'spin-up retries', sources: [{ ata: 10, names: /Spin_Retry/i }], worse: 'higher', growthIsBad: true,
    advice: 'the motor needs several tries to spin up: check the power supply and plan to replace the drive',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 5.5, interval: [5.1, 5.8] },
      { min: 1, max: 80, level: 'warning', afr: 55.6, interval: [1.4, 309.5], note: 'Scrutiny borrowed these numbers from attribute 11' },
      { min: 81, max: INF, level: 'warning', note: 'no failure data' },
    ],
  },
  {
    metric: 'end_to_end_errors', label: 'end-to-end errors', sources: [{ ata: 184, names: /End.to.End|E2E/i }], worse: 'higher', growthIsBad: true,
    advice: 'the drive found data corrupted inside its own data path (cache RAM): restore affected files and replace the drive',
    // Scrutiny buckets the normalised value, which these drives count down from 100 (99 = one error).
    ranges: [
      { min: 0, max: 0, level: 'ok', note: 'normalised 100; its 9.3% is the rate of the models that report 184, not of errors' },
      { min: 1, max: 1, level: 'critical', afr: 83.7, interval: [10.1, 302.4] },
      { min: 2, max: 6, level: 'critical', afr: 180.7, interval: [4.6, 1006.8], note: '3–6 saw no failures among very few drives; monotonic' },
      { min: 7, max: INF, level: 'critical', afr: 163.1, interval: [105.6, 240.8] },
    ],
  },
  {
    metric: 'reported_uncorrectable', label: 'reported uncorrectable errors', sources: [{ ata: 187, names: /Uncorrect|UE/i }], worse: 'higher', growthIsBad: true,
    advice: 'the drive could not correct data it read: verify files with Bitarr, restore bad ones and replace the drive',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 2.8, interval: [2.4, 3.2] },
      { min: 1, max: 1, level: 'critical', afr: 33.9, interval: [22.3, 49.3] },
      { min: 2, max: 3, level: 'critical', afr: 24.1, interval: [14.5, 37.6] },
      { min: 4, max: 20, level: 'critical', afr: [38.0, 53.5], interval: [29.9, 77.4], note: 'three buckets' },
      { min: 21, max: 120, level: 'critical', afr: [84.3, 161.9], interval: [65.0, 242.9], note: 'three buckets' },
      { min: 121, max: INF, level: 'critical', note: BEYOND },
    ],
  },
  {
    metric: 'command_timeouts', label: 'command timeouts', sources: [{ ata: 188, names: /Timeout/i }], worse: 'higher', growthIsBad: false,
    advice: 'commands timed out: check the power supply, the cable and the controller',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 2.5, interval: [2.1, 2.9] },
      { min: 1, max: 100, level: 'info', afr: 2.5, interval: [2.1, 2.9], note: 'Scrutiny’s 0–100 bucket, set high so old cable trouble does not alarm' },
      { min: 101, max: INF, level: 'warning', afr: 10.0, interval: [8.1, 12.3], note: 'higher buckets are Seagate-packed raw values, not counts' },
    ],
  },
  {
    metric: 'reallocation_events', label: 'reallocation events', sources: [{ ata: 196, names: /Realloc/i }], worse: 'higher', growthIsBad: true,
    advice: 'the drive has been remapping sectors: watch reallocated (5) and pending (197) sectors and run a long self-test',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 0.7, interval: [0.6, 0.9] },
      { min: 1, max: 11, level: 'info', afr: [2.5, 4.3], interval: [0.1, 24.0], note: 'five buckets' },
      { min: 12, max: 17, level: 'warning', afr: 17.0, interval: [3.5, 49.6] },
      { min: 18, max: 27, level: 'warning', afr: 5.9, interval: [0.1, 32.9], note: 'lower than 12–17; monotonic' },
      { min: 28, max: 45, level: 'warning', afr: 24.7, interval: [5.1, 72.2] },
      { min: 46, max: INF, level: 'warning', note: BEYOND },
    ],
  },
  {
    metric: 'pending_sectors', label: 'pending sectors', sources: [{ ata: 197, names: /Pending/i }], worse: 'higher', growthIsBad: true,
    advice: 'sectors could not be read: back up now, verify with Bitarr and restore unreadable files; replace the drive if the count stays',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 2.6, interval: [2.3, 2.8] },
      { min: 1, max: 2, level: 'critical', afr: 34.2, interval: [22.7, 49.4], note: 'Scrutiny’s (1,2] leaves 1 in no bucket; joined here' },
      { min: 3, max: 16, level: 'critical', afr: [61.1, 68.2], interval: [41.1, 106.6], note: 'two buckets' },
      { min: 17, max: 100, level: 'critical', afr: [95.6, 165.2], interval: [77.0, 203.1], note: 'two buckets' },
      { min: 101, max: 1600, level: 'critical', afr: [251.4, 332.0], interval: [115.0, 681.9], note: 'three buckets' },
      { min: 1601, max: INF, level: 'critical', note: BEYOND },
    ],
  },
  {
    metric: 'offline_uncorrectable', label: 'offline uncorrectable sectors', sources: [{ ata: 198, names: /Uncorrect/i }], worse: 'higher', growthIsBad: true,
    advice: 'sectors could not be read in the drive’s own scan: back up now, verify with Bitarr and replace the drive',
    ranges: [
      { min: 0, max: 0, level: 'ok', afr: 2.9, interval: [2.6, 3.1] },
      { min: 1, max: 2, level: 'critical', afr: 81.4, interval: [40.6, 145.6], note: 'Scrutiny’s (1,2] leaves 1 in no bucket; joined here' },
      { min: 3, max: 16, level: 'critical', afr: [57.8, 264.5], interval: [15.1, 955.4], note: 'seven buckets' },
      { min: 17, max: INF, level: 'critical', note: BEYOND },
    ],
  },
  {
    metric: 'crc_errors', label: 'interface CRC errors', sources: [{ ata: 199, names: /CRC/i }], worse: 'higher', growthIsBad: false,
    advice: 'data was garbled on the link, not on the disk: reseat or replace the SATA cable, try another backplane slot or controller port',
    // Scrutiny fails this attribute at its 20%+ buckets; CRC errors are counted on the link (cable,
    // backplane, controller) and say nothing of the medium, so they never fail a drive here.
    ranges: [
      { min: 0, max: 0, level: 'ok' },
      { min: 1, max: 1, level: 'info', afr: 4.1, interval: [3.8, 4.4] },
      { min: 2, max: INF, level: 'warning', afr: [13.7, 22.3], interval: [6.9, 40.0], note: 'eight buckets; capped at warning' },
    ],
  },
  {
    metric: 'soft_read_errors', label: 'soft read errors', sources: [{ ata: 201, names: /Soft_Read/i }], worse: 'higher', growthIsBad: true,
    advice: 'the drive is retrying reads: run a long self-test and watch pending sectors',
    // Only under its soft-read-error names: Intel SSDs use 201 for Power_Loss_Cap_Test.
    ranges: [
      { min: 0, max: 0, level: 'ok' },
      { min: 1, max: INF, level: 'warning', note: 'Scrutiny marks 201 critical but has no failure data for it' },
    ],
  },
  {
    metric: 'media_errors', label: 'media errors', sources: [{ nvme: 'mediaErrors' }], worse: 'higher', growthIsBad: true,
    advice: 'the SSD could not recover stored data: verify files with Bitarr, restore bad ones and replace the drive',
    ranges: [
      { min: 0, max: 0, level: 'ok' },
      { min: 1, max: INF, level: 'critical', note: 'Scrutiny: threshold 0; NVMe: unrecovered data integrity errors' },
    ],
  },
  {
    metric: 'percentage_used', label: 'rated endurance used (%)', sources: [{ nvme: 'percentageUsed' }, { scsi: 'percentageUsed' }], worse: 'higher', growthIsBad: false,
    advice: 'the rated write endurance is (nearly) used up: plan a replacement',
    ranges: [
      { min: 0, max: 79, level: 'ok' },
      { min: 80, max: 89, level: 'info' },
      { min: 90, max: 100, level: 'warning', note: 'Scrutiny passes these silently' },
      { min: 101, max: INF, level: 'critical', note: 'Scrutiny: over 100 fails' },
    ],
  },
  {
    metric: 'spare_margin', label: 'available spare above the drive’s threshold (points)', sources: [{ nvme: 'spareMargin' }], worse: 'lower', growthIsBad: false,
    advice: 'the SSD is running out of spare blocks: replace the drive',
    ranges: [
      { min: -INF, max: -1, level: 'critical', note: 'Scrutiny: available_spare below available_spare_threshold fails' },
      { min: 0, max: 10, level: 'warning', note: 'Scrutiny passes these silently' },
      { min: 11, max: INF, level: 'ok' },
    ],
  },
  {
    metric: 'grown_defects', label: 'grown defects', sources: [{ scsi: 'grownDefects' }], worse: 'higher', growthIsBad: true,
    advice: 'the drive has reassigned defective blocks: run a long self-test and plan to replace the drive',
    // Failing line: Scrutiny's 40. Below it, the ATA reallocated-sector ranges: a grown defect is a reassigned block.
    ranges: [
      { min: 0, max: 0, level: 'ok' },
      { min: 1, max: 4, level: 'info' },
      { min: 5, max: 40, level: 'warning', note: 'Scrutiny passes these silently' },
      { min: 41, max: INF, level: 'critical', note: 'Scrutiny: over 40 (thomas-krenn/check_smart_attributes)' },
    ],
  },
  ...(['read', 'write', 'verify'] as const).map(
    (op): MetricRule => ({
      metric: `uncorrected_${op}_errors`, label: `uncorrected ${op} errors`, sources: [{ scsi: `${op}Uncorrected` }], worse: 'higher', growthIsBad: true,
      advice: 'the drive could not correct errors: verify files with Bitarr, restore bad ones and replace the drive',
      ranges: [
        { min: 0, max: 0, level: 'ok' },
        { min: 1, max: 10, level: 'warning', note: 'Scrutiny passes these silently' },
        { min: 11, max: INF, level: 'critical', note: 'Scrutiny: over 10 fails' },
      ],
    }),
  ),
];

export const UNUSED_ATTRIBUTE_NAME = UNUSED;

export function rangeOf(rule: MetricRule, value: number): Range {
  return rule.ranges.find((r) => value >= r.min && value <= r.max) ?? rule.ranges[rule.ranges.length - 1];
}
