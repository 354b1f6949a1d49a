/**
 * One storage device: identity and mounts, its type and why, what is unknown and what would tell
 * it, its latest recorded health (never a new smartctl run: that is a check, not a page view), the
 * device map with damage drawn, and its events. The same as JSON at /api/v1/devices/:id.
 */
import { Router } from '@koa/router';
import { notFoundError } from '../../domain/errors.js';
import type { HealthRow } from '../../repositories/health.repository.js';
import type { DeviceService } from '../../services/device.service.js';
import { deviceJson } from '../../services/device-view.js';
import { deviceNames, eventJson, mapBars } from '../../services/event-view.js';
import type { EventService } from '../../services/event.service.js';
import { bytes, render } from '../render.js';

/** The latest recorded health of a device, or null when it was never checked. */
export type LatestHealth = (deviceId: number) => Promise<HealthRow | null>;

const isoFromNs = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

export const healthJson = (h: HealthRow | null) =>
  h && { verdict: h.verdict, score: h.score, reasons: h.reasons, counters: h.counters, checkedAt: isoFromNs(h.collectedAtNs) };

function deviceId(text: string | undefined): number {
  const id = Number(text);
  if (!/^\d+$/.test(text ?? '') || !Number.isSafeInteger(id) || id <= 0) throw notFoundError(`no storage device ${text}`);
  return id;
}

export function devicesRoutes(devices: DeviceService, events: EventService, latestHealth: LatestHealth): Router {
  const router = new Router();

  /** The device as recorded with its host, its latest health and its map. */
  const load = async (id: number) => {
    for (const host of await devices.model()) {
      const device = host.devices.find((d) => d.id === id);
      if (!device) continue;
      const [health, map] = await Promise.all([latestHealth(id), events.deviceMap(id)]);
      return { host, device, health, map };
    }
    throw notFoundError(`no storage device ${id}`);
  };

  router.get('/devices/:id', async (ctx) => {
    const { host, device, health, map } = await load(deviceId(ctx.params.id));
    const list = await events.list({ deviceId: device.id });
    const names = await deviceNames(list, async () => device);
    const json = deviceJson(device);
    render(ctx, {
      page: 'device',
      data: {
        title: json.label || json.model || json.devicePath || json.identity.value,
        host: { id: host.id, displayName: host.displayName },
        device: json,
        health: healthJson(health),
        map: map && { sizeBytes: map.sizeBytes, bars: mapBars(map, bytes), usedGranularity: map.usedGranularity, usedUnknown: map.usedUnknown, beyondEnd: map.beyondEnd },
        events: list.map((e) => eventJson(e, names)),
      },
    });
  });

  router.get('/api/v1/devices/:id', async (ctx) => {
    const { device, health, map } = await load(deviceId(ctx.params.id));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { device: deviceJson(device), health: healthJson(health), deviceMap: map };
  });

  return router;
}
