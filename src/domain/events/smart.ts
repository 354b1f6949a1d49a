/**
 * The bridge from the health module's trend analysis to the evidence an event needs: which of the
 * counters that mean "the medium is losing sectors" grew. Typed structurally (metric, from, to) so
 * the two domains stay independent; the metric names are the health module's METRIC_RULES ids.
 */
import type { SmartGrowth } from './types.js';

/** Health metric id → the kind of counter, and how a user knows it. Others (timeouts, CRC) are not media loss. */
const MEDIA_METRICS: Record<string, { counter: SmartGrowth['counter']; label: string }> = {
  reallocated_sectors: { counter: 'reallocated', label: 'reallocated sectors' },
  reallocation_events: { counter: 'reallocated', label: 'reallocation events' },
  grown_defects: { counter: 'reallocated', label: 'grown defects' },
  pending_sectors: { counter: 'pending', label: 'pending sectors' },
  offline_uncorrectable: { counter: 'uncorrectable', label: 'offline uncorrectable sectors' },
  reported_uncorrectable: { counter: 'uncorrectable', label: 'reported uncorrectable errors' },
  media_errors: { counter: 'uncorrectable', label: 'media errors' },
};

/** The media counters that grew, from the health module's `growth` list ({metric, from, to}). */
export function smartGrowthFrom(growth: ReadonlyArray<{ metric: string; from: number; to: number }>): SmartGrowth[] {
  return growth.flatMap((g) => {
    const m = MEDIA_METRICS[g.metric];
    return m && g.to > g.from ? [{ counter: m.counter, before: g.from, after: g.to, label: m.label }] : [];
  });
}
