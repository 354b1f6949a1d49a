/**
 * How bad an event is, from evidence only. A share of all files would call one rotten family
 * photo on a near-empty disk a catastrophe and a failing head on a full one a rounding error, so
 * no rule looks at totals: the rules below are data, each with an id, a condition over the facts,
 * a severity and the sentence a user reads. The highest matching severity wins and every
 * matching reason is kept, severe first.
 */
import { formatRegion, listPaths, plural } from './format.js';
import type { Cluster, EventEvidence, EventFile, Pattern, Severity, SeverityReason, SmartGrowth } from './types.js';
import { SEVERITY_RANK } from './types.js';

/** Everything a severity rule may look at, computed once per event. */
export interface SeverityFacts {
  /** All damaged files of the event, located or not. */
  files: string[];
  unreadable: string[];
  unstable: string[];
  clusters: Cluster[];
  pattern: Pattern;
  smartGrowth: SmartGrowth[];
  recurrences: EventEvidence['recurrences'];
  listLimit: number;
}

export interface SeverityRule {
  id: string;
  severity: Severity;
  when(f: SeverityFacts): boolean;
  reason(f: SeverityFacts): string;
}

const COUNTER_NAMES: Record<SmartGrowth['counter'], string> = {
  reallocated: 'reallocated sectors',
  pending: 'pending sectors',
  uncorrectable: 'offline uncorrectable sectors',
};

export const describeGrowth = (g: SmartGrowth) => `${g.label ?? COUNTER_NAMES[g.counter]} ${g.before} → ${g.after}`;

export const SEVERITY_RULES: readonly SeverityRule[] = [
  {
    id: 'unreadable-file',
    severity: 'severe',
    when: (f) => f.unreadable.length > 0,
    reason: (f) =>
      `${plural(f.unreadable.length, 'file')} could not be read at all (the disk returned an I/O error): ${listPaths(f.unreadable, f.listLimit)}`,
  },
  {
    id: 'smart-grew',
    severity: 'severe',
    when: (f) => f.smartGrowth.length > 0,
    reason: (f) => `SMART counts grew while files were damaged: ${f.smartGrowth.map(describeGrowth).join(', ')}`,
  },
  {
    id: 'recurrence',
    severity: 'severe',
    when: (f) => f.recurrences.length > 0,
    reason: (f) =>
      `damage came back in a region that was damaged before: ${f.recurrences
        .map((r) => `${formatRegion(r.start, r.end)}, where event #${r.eventId} was resolved`)
        .join('; ')}`,
  },
  {
    // Reads that disagree are not decay of stored bits but hardware answering differently each
    // time; it will garble writes too, so it weighs more than one rotten file.
    id: 'unstable-read',
    severity: 'moderate',
    when: (f) => f.unstable.length > 0,
    reason: (f) => `two reads gave different bytes for ${plural(f.unstable.length, 'file')}: ${listPaths(f.unstable, f.listLimit)}`,
  },
  {
    id: 'several-clusters',
    severity: 'moderate',
    when: (f) => f.clusters.length >= 2,
    reason: (f) => `damage in ${f.clusters.length} separate regions of the disk`,
  },
  {
    id: 'several-files',
    severity: 'moderate',
    when: (f) => f.files.length >= 2,
    reason: (f) => `${f.files.length} files damaged${f.pattern === 'band' ? ' side by side (a band)' : ''}: ${listPaths(f.files, f.listLimit)}`,
  },
  {
    id: 'one-file',
    severity: 'minor',
    when: (f) => f.files.length === 1,
    reason: (f) => `one file damaged: ${f.files[0]}`,
  },
];

export function severityFacts(
  files: readonly EventFile[],
  clusters: Cluster[],
  pattern: Pattern,
  evidence: EventEvidence,
  listLimit: number,
): SeverityFacts {
  const having = (s: EventFile['statuses'][number]) => files.filter((f) => f.statuses.includes(s)).map((f) => f.path);
  return {
    files: files.map((f) => f.path),
    unreadable: having('unreadable'),
    unstable: having('unstable'),
    clusters,
    pattern,
    smartGrowth: evidence.smartGrowth,
    recurrences: evidence.recurrences,
    listLimit,
  };
}

/** Run the rules. An event with no matching rule (it has no files) is minor with no reasons. */
export function assessSeverity(facts: SeverityFacts, rules: readonly SeverityRule[] = SEVERITY_RULES): { severity: Severity; reasons: SeverityReason[] } {
  const reasons = rules
    .filter((r) => r.when(facts))
    .map((r) => ({ rule: r.id, severity: r.severity, text: r.reason(facts) }))
    // Stable sort: rules of one severity keep the table's order.
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return { severity: reasons[0]?.severity ?? 'minor', reasons };
}

export const worseOf = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b);
