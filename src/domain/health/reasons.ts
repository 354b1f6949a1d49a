/** One reason the health score went down, in the shape `bitarr smart parse --json` prints. */
import { SEVERITY_PENALTY, type Severity } from './metric-rules.js';

export interface HealthReason {
  code: string;
  severity: Severity;
  message: string;
  /** An ATA attribute id, or the NVMe/SCSI field the reason is about. */
  attribute?: number | string;
  metric?: string;
  value?: number;
  advice?: string;
  /** Points this reason took off the score. */
  penalty: number;
}

export function reason(
  code: string,
  severity: Severity,
  message: string,
  extra: Omit<Partial<HealthReason>, 'code' | 'severity' | 'message'> = {},
): HealthReason {
  return { code, severity, message, ...extra, penalty: extra.penalty ?? SEVERITY_PENALTY[severity] };
}
