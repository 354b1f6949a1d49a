/**
 * What one finished scan's damage does to the events of its device. Rules:
 * - Damage joins an open or acknowledged event when one of its clusters lies in the event's region
 *   (overlaps, or is closer than the gap threshold to one of the event's clusters) or names a file
 *   the event already has. Clusters that share a file move together, so a file is never split
 *   across events. When several events match, the oldest takes it.
 * - Damage in the region of a resolved event opens a new event carrying a recurrence: the resolved
 *   event's files had verified good, so damage there is proven new. Dismissed events are ignored:
 *   dismissing is how a user says an alarm was not real damage, and it must not make the next one
 *   severe. Growth of an open event is not a recurrence by itself: a file first seen damaged in a
 *   later scan may have been damaged all along (an interrupted scan, a newly added root).
 * - All damage that joins no event opens ONE new event (several clusters of one scan are one
 *   event, which is how `scattered` can be seen at all).
 * - Unlocated files have no region: one already in an event stays there; the others follow the
 *   scan's new event, else the event that took this scan's clusters, else the newest open event
 *   (so a share that can never be mapped keeps one open event instead of one per scan).
 * - SMART growth given with the damage becomes evidence of every event the damage touches.
 * - Idempotent: files and evidence are unions and explanations are recomputed from them, so the
 *   same damage applied twice finds nothing new and plans nothing.
 */
import { clusterFiles, near } from './clusters.js';
import { explainEvent, mergeEvidence, mergeFiles, toEventFiles } from './explain.js';
import { describeGrowth } from './severity.js';
import { listPaths, plural } from './format.js';
import type { BitrotEvent, EventEvidence, EventFile, EventSettings, HistoryEntry, NewBitrotEvent, Recurrence, ScanDamage } from './types.js';
import { DEFAULT_EVENT_SETTINGS } from './types.js';

export interface EventUpdate {
  id: number;
  /** The whole new state of the event, to store. */
  event: BitrotEvent;
  /** `grew`: new files or evidence (a history entry was added); `seen-again`: only lastScanId moved. */
  change: 'grew' | 'seen-again';
  /** Paths new to the event: what a notification should name. */
  addedFiles: string[];
}

export interface EventPlan {
  updates: EventUpdate[];
  /** The event to open, if any damage joined no existing one. */
  open: NewBitrotEvent | null;
}

type Target = BitrotEvent | 'new';
interface Share {
  files: EventFile[];
  recurrences: Recurrence[];
}

export function planEvents(damage: ScanDamage, existing: readonly BitrotEvent[], settings: EventSettings = DEFAULT_EVENT_SETTINGS): EventPlan {
  const files = toEventFiles(damage.files, damage.scanId);
  if (files.length === 0) return { updates: [], open: null };
  const gap = settings.gapBytes;
  const byPath = new Map(files.map((f) => [f.path, f]));
  const { clusters, unlocated } = clusterFiles(files, gap);
  const live = existing
    .filter((e) => e.status === 'open' || e.status === 'acknowledged')
    .sort((a, b) => (a.openedAtNs < b.openedAtNs ? -1 : a.openedAtNs > b.openedAtNs ? 1 : a.id - b.id));
  const resolved = existing.filter((e) => e.status === 'resolved');

  const shares = new Map<Target, Share>();
  const give = (target: Target, paths: readonly string[], recurrences: Recurrence[]) => {
    const share = shares.get(target) ?? { files: [], recurrences: [] };
    shares.set(target, share);
    for (const p of paths) if (!share.files.some((f) => f.path === p)) share.files.push(byPath.get(p)!);
    share.recurrences.push(...recurrences);
  };
  const hasFile = (e: BitrotEvent, path: string) => e.files.some((f) => f.path === path);

  for (const group of groupBySharedFiles(clusters)) {
    const target =
      live.find((e) => group.some((c) => c.files.some((p) => hasFile(e, p)) || e.clusters.some((ec) => near(ec, c, gap)))) ?? 'new';
    const recurrences = group.flatMap((c) =>
      resolved.filter((r) => r.clusters.some((rc) => near(rc, c, gap))).map((r) => ({ eventId: r.id, scanId: damage.scanId, start: c.start, end: c.end })),
    );
    give(target, [...new Set(group.flatMap((c) => c.files))], recurrences);
  }

  for (const u of unlocated) {
    const target =
      live.find((e) => hasFile(e, u.path)) ??
      (shares.has('new') ? 'new' : undefined) ??
      [...shares.keys()].find((t) => t !== 'new') ??
      live[live.length - 1] ??
      'new';
    give(target, [u.path], []);
  }

  const updates: EventUpdate[] = [];
  let open: NewBitrotEvent | null = null;
  for (const [target, share] of shares) {
    const evidence: EventEvidence = mergeEvidence({ smartGrowth: [], recurrences: [] }, { smartGrowth: damage.smartGrowth, recurrences: share.recurrences });
    if (target === 'new') open = openEvent(damage, share.files, evidence, settings);
    else {
      const update = absorb(target, damage, share.files, evidence, settings);
      if (update) updates.push(update);
    }
  }
  return { updates: updates.sort((a, b) => a.id - b.id), open };
}

/** Clusters linked by a file with extents in both (a fragmented file) must land in one event. */
function groupBySharedFiles<C extends { files: string[] }>(clusters: readonly C[]): C[][] {
  const parent = clusters.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  const firstWith = new Map<string, number>();
  clusters.forEach((c, i) => {
    for (const p of c.files) {
      const j = firstWith.get(p);
      if (j === undefined) firstWith.set(p, i);
      else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, C[]>();
  clusters.forEach((c, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), c]));
  return [...groups.values()];
}

function openEvent(damage: ScanDamage, files: EventFile[], evidence: EventEvidence, settings: EventSettings): NewBitrotEvent {
  const sorted = mergeFiles([], files);
  const explained = explainEvent(sorted, evidence, damage.device, settings);
  const notes = [`scan #${damage.scanId} found ${plural(sorted.length, 'damaged file')}: ${listPaths(sorted.map((f) => f.path), settings.listLimit)}`, ...evidenceNotes(evidence)];
  const entry: HistoryEntry = { action: 'opened', status: 'open', who: settings.systemActor, atNs: damage.atNs, note: notes.join('; '), scanId: damage.scanId };
  return {
    status: 'open',
    ...explained,
    files: sorted,
    evidence,
    firstScanId: damage.scanId,
    lastScanId: damage.scanId,
    openedAtNs: damage.atNs,
    updatedAtNs: damage.atNs,
    history: [entry],
  };
}

function absorb(event: BitrotEvent, damage: ScanDamage, add: EventFile[], addEvidence: EventEvidence, settings: EventSettings): EventUpdate | null {
  const files = mergeFiles(event.files, add);
  const evidence = mergeEvidence(event.evidence, addEvidence);
  const grew = canonical(files) !== canonical(event.files) || canonical(evidence) !== canonical(event.evidence);
  if (!grew) {
    // Nothing new. A later scan that saw the same damage still moves lastScanId ("still damaged
    // as of scan #n"); the same scan applied again changes nothing at all.
    if (damage.scanId <= event.lastScanId) return null;
    return { id: event.id, event: { ...event, lastScanId: damage.scanId, updatedAtNs: damage.atNs }, change: 'seen-again', addedFiles: [] };
  }
  const explained = explainEvent(files, evidence, damage.device, settings);
  const addedFiles = add.map((f) => f.path).filter((p) => !event.files.some((f) => f.path === p));
  const newEvidence: EventEvidence = {
    smartGrowth: evidence.smartGrowth.slice(event.evidence.smartGrowth.length),
    recurrences: evidence.recurrences.slice(event.evidence.recurrences.length),
  };
  const notes = [
    ...(addedFiles.length > 0 ? [`scan #${damage.scanId} added ${plural(addedFiles.length, 'damaged file')}: ${listPaths(addedFiles, settings.listLimit)}`] : []),
    ...(addedFiles.length === 0 ? [`scan #${damage.scanId} found more about the damaged files`] : []),
    ...evidenceNotes(newEvidence),
    ...(explained.severity !== event.severity ? [`severity ${event.severity} → ${explained.severity}`] : []),
  ];
  const entry: HistoryEntry = { action: 'grew', status: event.status, who: settings.systemActor, atNs: damage.atNs, note: notes.join('; '), scanId: damage.scanId };
  return {
    id: event.id,
    event: {
      ...event,
      ...explained,
      files,
      evidence,
      lastScanId: Math.max(event.lastScanId, damage.scanId),
      updatedAtNs: damage.atNs,
      history: [...event.history, entry],
    },
    change: 'grew',
    addedFiles,
  };
}

function evidenceNotes(e: EventEvidence): string[] {
  return [
    ...(e.smartGrowth.length > 0 ? [`SMART ${e.smartGrowth.map(describeGrowth).join(', ')}`] : []),
    ...e.recurrences.map((r) => `recurs in the region of resolved event #${r.eventId}`),
  ];
}

/** JSON with sorted keys: events read back from the database may list keys in another order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
