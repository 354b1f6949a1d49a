/**
 * An event's explanation (clusters, pattern, severity, reasons, actions) is derived from its files
 * and its evidence only. Recomputing it on every change, instead of patching the stored one, is
 * what makes merging idempotent: the same files and evidence always explain the same way.
 */
import type { PhysicalExtent } from '../../shared/plugin-api.js';
import { recommendActions } from './actions.js';
import { clusterFiles, evidentClusters, patternOf } from './clusters.js';
import { assessSeverity, severityFacts } from './severity.js';
import type { Action, Cluster, DamagedFile, DeviceFacts, EventEvidence, EventFile, EventSettings, Pattern, Severity, SeverityReason, UnlocatedFile } from './types.js';
import { DAMAGE_STATUSES } from './types.js';

export interface Explanation {
  clusters: Cluster[];
  unlocated: UnlocatedFile[];
  pattern: Pattern;
  severity: Severity;
  reasons: SeverityReason[];
  actions: Action[];
}

export function explainEvent(files: readonly EventFile[], evidence: EventEvidence, device: DeviceFacts, settings: EventSettings): Explanation {
  const clustering = clusterFiles(files, settings.gapBytes);
  // Severity and actions count only the clusters that are evidence by themselves; the event keeps them all.
  const evident = evidentClusters(clustering.clusters);
  const pattern = patternOf(files.length, evident, settings);
  const { severity, reasons } = assessSeverity(severityFacts(files, evident, pattern, evidence, settings.listLimit));
  const actions = recommendActions({ files, clusters: evident, pattern, severity, evidence, device }, settings);
  return { clusters: clustering.clusters, unlocated: clustering.unlocated, pattern, severity, reasons, actions };
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** One scan's damaged files as event files: one entry per path, sorted by path. */
export function toEventFiles(damaged: readonly DamagedFile[], scanId: number): EventFile[] {
  const out = new Map<string, EventFile>();
  for (const d of damaged) {
    const f: EventFile = {
      path: d.path,
      size: d.size,
      statuses: [d.status],
      extents: d.extents,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      firstScanId: scanId,
    };
    const had = out.get(d.path);
    out.set(d.path, had ? mergeFile(had, f) : f);
  }
  return [...out.values()].sort(byPath);
}

/**
 * The same file seen again: statuses and extents accumulate (where it was damaged stays part of
 * the event even when a restore moved it), a later unmappable sighting keeps the known location,
 * and the size is the newest.
 */
export function mergeFile(old: EventFile, add: EventFile): EventFile {
  const statuses = DAMAGE_STATUSES.filter((s) => old.statuses.includes(s) || add.statuses.includes(s));
  const extents = old.extents === null ? add.extents : add.extents === null ? old.extents : unionExtents(old.extents, add.extents);
  const reason = add.reason ?? old.reason;
  return {
    path: old.path,
    size: add.size,
    statuses,
    extents,
    ...(reason !== undefined ? { reason } : {}),
    firstScanId: Math.min(old.firstScanId, add.firstScanId),
  };
}

function unionExtents(a: readonly PhysicalExtent[], b: readonly PhysicalExtent[]): PhysicalExtent[] {
  const key = (e: PhysicalExtent) => `${e.logical}:${e.physical}:${e.length}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((e) => !seen.has(key(e)))];
}

/** Union of two file lists by path, sorted by path. */
export function mergeFiles(a: readonly EventFile[], b: readonly EventFile[]): EventFile[] {
  const out = new Map(a.map((f) => [f.path, f]));
  for (const f of b) {
    const had = out.get(f.path);
    out.set(f.path, had ? mergeFile(had, f) : f);
  }
  return [...out.values()].sort(byPath);
}

/** Evidence only accumulates; the same growth or recurrence seen twice is kept once. */
export function mergeEvidence(a: EventEvidence, b: EventEvidence): EventEvidence {
  const out: EventEvidence = { smartGrowth: [...a.smartGrowth], recurrences: [...a.recurrences] };
  const g = (x: EventEvidence['smartGrowth'][number]) => `${x.counter}:${x.label ?? ''}:${x.before}:${x.after}`;
  for (const x of b.smartGrowth) if (!out.smartGrowth.some((y) => g(y) === g(x))) out.smartGrowth.push(x);
  // One entry per earlier event: the first time damage came back there is the evidence.
  for (const r of b.recurrences) if (!out.recurrences.some((y) => y.eventId === r.eventId)) out.recurrences.push(r);
  return out;
}
