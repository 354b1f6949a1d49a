/**
 * The lifecycle of an event, a pure state machine:
 *   open → acknowledged | resolved | dismissed
 *   acknowledged → resolved | dismissed
 *   resolved, dismissed: final.
 * Resolving straight from open is allowed: a user who restored the files and rescanned should not
 * have to acknowledge first. A final event never reopens; new damage in its region opens a new
 * event (a resolved one makes it a recurrence, see merge.ts). Resolving needs proof: every file of
 * the event verified good since it was last seen damaged, or the refusal names the ones missing.
 */
import { BitarrError } from '../errors.js';
import { listPaths, plural } from './format.js';
import type { BitrotEvent, EventStatus, HistoryAction, HistoryEntry } from './types.js';

export type LifecycleAction = 'acknowledge' | 'resolve' | 'dismiss';

/** Who did it, when (ns, the caller's clock) and why. */
export interface TransitionInput {
  who: string;
  atNs: bigint;
  note?: string | null;
}

const RULES: Record<LifecycleAction, { to: EventStatus; from: readonly EventStatus[]; entry: HistoryAction }> = {
  acknowledge: { to: 'acknowledged', from: ['open'], entry: 'acknowledged' },
  resolve: { to: 'resolved', from: ['open', 'acknowledged'], entry: 'resolved' },
  dismiss: { to: 'dismissed', from: ['open', 'acknowledged'], entry: 'dismissed' },
};

export type TransitionRefusal = 'invalid-transition' | 'not-verified';

/** A refused transition: kind `conflict` (HTTP 409, CLI error), with what the UI needs to explain it. */
export class EventTransitionError extends BitarrError {
  constructor(
    readonly refusal: TransitionRefusal,
    readonly eventId: number,
    readonly from: EventStatus,
    readonly action: LifecycleAction,
    /** For `not-verified`: the files that have not verified good yet. */
    readonly unverified: readonly string[],
    message: string,
  ) {
    super('conflict', message);
    this.name = 'EventTransitionError';
  }
}

export const allowedActions = (status: EventStatus): LifecycleAction[] =>
  (Object.keys(RULES) as LifecycleAction[]).filter((a) => RULES[a].from.includes(status));

/**
 * Apply a user's action. `verifiedOk`: paths verified good on a rescan since the event last saw
 * them damaged (the service knows; only `resolve` looks at it). Returns the new event; the input
 * is not changed.
 */
export function transition(
  event: BitrotEvent,
  action: LifecycleAction,
  by: TransitionInput,
  verifiedOk: ReadonlySet<string> | readonly string[] = [],
): BitrotEvent {
  const rule = RULES[action];
  if (!by.who.trim()) throw new BitarrError('usage', `${action} of event #${event.id} needs to say who does it`);
  if (!rule.from.includes(event.status)) {
    const can = allowedActions(event.status);
    throw new EventTransitionError(
      'invalid-transition',
      event.id,
      event.status,
      action,
      [],
      `event #${event.id} is ${event.status}: it cannot be ${rule.to}${can.length ? ` (it can be: ${can.join(', ')})` : ' (that is final)'}`,
    );
  }
  if (action === 'resolve') {
    const ok = verifiedOk instanceof Set ? verifiedOk : new Set(verifiedOk as readonly string[]);
    const missing = event.files.map((f) => f.path).filter((p) => !ok.has(p));
    if (missing.length > 0) {
      throw new EventTransitionError(
        'not-verified',
        event.id,
        event.status,
        action,
        missing,
        `event #${event.id} cannot be resolved yet: ${plural(missing.length, 'file has', 'files have')} not verified good since the damage: ${listPaths(missing, 10)}. Restore ${missing.length === 1 ? 'it' : 'them'}, rescan, then resolve.`,
      );
    }
  }
  const note = by.note?.trim() ? by.note.trim() : null;
  const entry: HistoryEntry = { action: rule.entry, status: rule.to, who: by.who.trim(), atNs: by.atNs, note };
  return { ...event, status: rule.to, updatedAtNs: by.atNs, history: [...event.history, entry] };
}

export const acknowledge = (event: BitrotEvent, by: TransitionInput) => transition(event, 'acknowledge', by);
export const dismiss = (event: BitrotEvent, by: TransitionInput) => transition(event, 'dismiss', by);
export const resolve = (event: BitrotEvent, by: TransitionInput, verifiedOk: ReadonlySet<string> | readonly string[]) =>
  transition(event, 'resolve', by, verifiedOk);
