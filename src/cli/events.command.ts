/**
 * `bitarr events [--all] [--json]`: bitrot events, open and acknowledged ones unless --all.
 * `bitarr event ID [ack|resolve|dismiss] [--note TEXT] [--by NAME] [--json]`: one event, or move it on.
 */
import { userInfo } from 'node:os';
import type { LifecycleAction } from '../domain/events/index.js';
import { usageError } from '../domain/errors.js';
import type { StoredEvent } from '../repositories/event.repository.js';
import { DeviceRepository } from '../repositories/device.repository.js';
import { deviceNames, eventDetailJson, eventJson, sectorRange } from '../services/event-view.js';
import { parse, positiveInt } from './args.js';
import { loadPlugins, openContext, type Context } from './context.js';
import { eventService } from './event-context.js';
import { bytes, isoFromNs } from './format.js';
import { displayPath } from '../domain/path-bytes.js';

const ACTIONS: Record<string, LifecycleAction> = { ack: 'acknowledge', acknowledge: 'acknowledge', resolve: 'resolve', dismiss: 'dismiss' };

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'config-dir': { type: 'string' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
  if (positionals.length) throw usageError('usage: bitarr events [--all] [--json]');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const service = eventService(ctx, await loadPlugins(ctx.config));
    const events = await service.list(values.all ? {} : { statuses: ['open', 'acknowledged'] });
    const names = await namesOf(ctx, events);
    if (values.json) {
      process.stdout.write(JSON.stringify({ events: events.map((e) => eventJson(e, names)) }) + '\n');
      return 0;
    }
    if (!events.length) process.stdout.write(values.all ? 'No bitrot events.\n' : 'No open bitrot events.\n');
    for (const e of events) process.stdout.write(eventLine(e, names) + '\n');
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}

export async function eventCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    note: { type: 'string' },
    by: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const [idText, actionText, ...extra] = positionals;
  if (!idText || extra.length) throw usageError('usage: bitarr event ID [ack|resolve|dismiss] [--note TEXT] [--by NAME] [--json]');
  const id = positiveInt(idText, 'the event ID');
  const action = actionText === undefined ? null : ACTIONS[actionText];
  if (action === undefined) throw usageError(`unknown action "${actionText}": use ack, resolve or dismiss`);
  if (values.note !== undefined && !action) throw usageError('--note goes with ack, resolve or dismiss');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const service = eventService(ctx, await loadPlugins(ctx.config));
    const who = (values.by as string | undefined) ?? userInfo().username;
    const event = action ? await service.act(id, action, who, (values.note as string | undefined) ?? null) : await service.get(id);
    const names = await namesOf(ctx, [event]);
    if (values.json) {
      process.stdout.write(JSON.stringify(await eventDetailJson(service, event, names)) + '\n');
      return 0;
    }
    process.stdout.write(eventDetail(event, names));
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}

/** Device names as the CLI prints them, from the stored device rows. */
function namesOf(ctx: Context, events: StoredEvent[]): Promise<Map<number, string>> {
  const repo = new DeviceRepository(ctx.db);
  return deviceNames(events, (id) => repo.device(id));
}

function eventLine(e: StoredEvent, names: Map<number, string>): string {
  const files = e.files.length;
  return `#${e.id}  ${e.status.padEnd(12)} ${e.severity.padEnd(8)} ${e.pattern.padEnd(11)} ${files} file${files === 1 ? '' : 's'} on ${names.get(e.deviceId)}  (opened ${isoFromNs(e.openedAtNs)})`;
}

function eventDetail(e: StoredEvent, names: Map<number, string>): string {
  const lines = [eventLine(e, names), ''];
  for (const r of e.reasons) lines.push(`  ${r.severity}: ${r.text}`);
  lines.push('', '  Where on the disk:');
  for (const c of e.clusters) {
    const s = sectorRange(c);
    lines.push(`    bytes ${c.start}–${c.end} (${bytes(c.end - c.start)}, sectors ${s.first}–${s.last}): ${c.files.join(', ')}`);
  }
  for (const u of e.unlocated) lines.push(`    not located: ${displayPath(u.path)} (${u.reason})`);
  lines.push('', '  What to do:');
  for (const a of e.actions) lines.push(`    - ${a.text}`);
  lines.push('', '  History:');
  for (const h of e.history) lines.push(`    ${isoFromNs(h.atNs)} ${h.action} by ${h.who}${h.note ? `: ${h.note}` : ''}`);
  return lines.join('\n') + '\n';
}
