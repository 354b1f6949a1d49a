/** Device health from SMART: parse smartctl's JSON, judge it by the rule tables, follow it over time. */
export { parseSmartctlJson } from './smartctl-json.js';
export { assessHealth, type HealthAssessment, type HealthContext, type Verdict } from './assess.js';
export { analyseTrends, leastSquaresSlope, type Growth, type HealthSample, type Projection, type TrendAnalysis } from './trends.js';
export { readMetrics, metricValues, type MetricReading, type MetricValues } from './metrics.js';
export { noHealthDataWithoutOutput, hintsFor, NO_DATA_HINTS } from './no-data.js';
export { decodeExitStatus, couldNotOpen, EXIT_STATUS_BITS, type ExitFlag, type ExitStatus } from './exit-status.js';
export { decodeRaw, vendorOf, RAW_DECODERS } from './raw-values.js';
export { METRIC_RULES, SEVERITY_PENALTY, LEVEL_RANK, rangeOf, type Level, type MetricRule, type Range, type Severity } from './metric-rules.js';
export type { HealthReason } from './reasons.js';
export type * from './report.js';
