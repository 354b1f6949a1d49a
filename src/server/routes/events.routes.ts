/**
 * Bitrot events: the list, one event with its clusters, files and actions, and the form that
 * acknowledges, resolves or dismisses it (plain form → 303 back, htmx → the event fragment).
 * The same events as JSON under /api/v1, in the shapes of `bitarr events --json` / `bitarr event ID --json`.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { notFoundError, usageError } from '../../domain/errors.js';
import { allowedActions, type LifecycleAction } from '../../domain/events/index.js';
import type { StoredEvent } from '../../repositories/event.repository.js';
import type { DeviceService } from '../../services/device.service.js';
import { deviceNames, eventDetailJson, eventJson, sectorRange } from '../../services/event-view.js';
import type { EventService } from '../../services/event.service.js';
import { render, seeOther, wantsFragment } from '../render.js';
import { body, idParam } from '../params.js';

const ACTIONS: Record<string, LifecycleAction> = { acknowledge: 'acknowledge', resolve: 'resolve', dismiss: 'dismiss' };
const NOTE_LIMIT = 2000;


const showAll = (ctx: Context) => ctx.query.all === '1' || ctx.query.all === 'true';

export function eventsRoutes(events: EventService, devices: DeviceService): Router {
  const router = new Router();
  /** Device names from the recorded model (one query for all devices, not one per event). */
  const names = async (list: StoredEvent[]) => {
    const all = new Map((await devices.model()).flatMap((h) => h.devices).map((d) => [d.id, d]));
    return deviceNames(list, async (id) => all.get(id) ?? null);
  };
  const listed = async (all: boolean) => {
    const list = await events.list(all ? {} : { statuses: ['open', 'acknowledged'] });
    const n = await names(list);
    return list.map((e) => eventJson(e, n));
  };
  const detailView = async (id: number, extra: Record<string, unknown> = {}) => {
    const e = await events.get(id);
    const json = eventJson(e, await names([e]));
    return {
      page: 'event',
      fragment: 'event',
      data: {
        title: `Event #${e.id}`,
        event: { ...json, clusters: json.clusters.map((c) => ({ ...c, sectors: sectorRange(c) })) },
        allowed: allowedActions(e.status),
        note: '',
        error: null,
        unverified: [],
        ...extra,
      },
    };
  };

  router.get('/events', async (ctx) => {
    const all = showAll(ctx);
    render(ctx, { page: 'events', fragment: 'events', data: { events: await listed(all), all } });
  });

  router.get('/events/:id', async (ctx) => render(ctx, await detailView(idParam(ctx.params.id, 'bitrot event'))));

  router.post('/events/:id/:action', async (ctx) => {
    const id = idParam(ctx.params.id, 'bitrot event');
    const action = ACTIONS[ctx.params.action ?? ''];
    if (!action) throw notFoundError(`no action "${ctx.params.action}" for an event: acknowledge, resolve or dismiss`);
    const raw = body(ctx).note;
    const note = typeof raw === 'string' ? raw : '';
    // Set before acting: a refusal (400, 409) comes back inside this form, with the note kept.
    ctx.state.form = await detailView(id, { note });
    if (note.length > NOTE_LIMIT) throw usageError(`a note has at most ${NOTE_LIMIT} characters`);
    await events.act(id, action, ctx.state.user.username, note.trim() || null);
    if (wantsFragment(ctx)) return render(ctx, await detailView(id));
    seeOther(ctx, `/events/${id}`);
  });

  router.get('/api/v1/events', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { events: await listed(showAll(ctx)) };
  });

  router.post('/api/v1/events/:id/:action', async (ctx) => {
    const id = idParam(ctx.params.id, 'bitrot event');
    const action = ACTIONS[ctx.params.action ?? ''];
    if (!action) throw notFoundError(`no action "${ctx.params.action}" for an event: acknowledge, resolve or dismiss`);
    const raw = body(ctx).note;
    if (raw !== undefined && typeof raw !== 'string') throw usageError('the note is a string');
    const note = (raw ?? '') as string;
    if (note.length > NOTE_LIMIT) throw usageError(`a note has at most ${NOTE_LIMIT} characters`);
    await events.act(id, action, ctx.state.user.username, note.trim() || null);
    const e = await events.get(id);
    ctx.body = await eventDetailJson(events, e, await names([e]));
  });

  router.get('/api/v1/events/:id', async (ctx) => {
    const e = await events.get(idParam(ctx.params.id, 'bitrot event'));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await eventDetailJson(events, e, await names([e]));
  });

  return router;
}
