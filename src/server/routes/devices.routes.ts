/**
 * One storage device: identity and mounts, its type and why, what is unknown and what would tell
 * it, its health as recorded (the SMART table of the latest check, the history as charts), the
 * device map with used space as last measured and damage drawn, its events and its latest scans.
 * Viewing never runs smartctl or reads the filesystem's allocation: "Check now" does, on request.
 * The same as JSON at /api/v1/devices/:id.
 */
import { Router } from '@koa/router';
import { ALARM_STATUSES, type FindingStatus } from '../../domain/findings.js';
import { notFoundError } from '../../domain/errors.js';
import type { HealthRow } from '../../repositories/health.repository.js';
import type { ScanRow } from '../../repositories/scan.repository.js';
import type { DeviceService, DeviceView, HostView } from '../../services/device.service.js';
import { deviceJson, healthTrends, scriptJson, smartTable } from '../../services/device-view.js';
import { deviceNames, eventJson, mapBars } from '../../services/event-view.js';
import type { EventService } from '../../services/event.service.js';
import { withoutSmart, type HealthService } from '../../services/health.service.js';
import { bytes, render, seeOther, wantsFragment } from '../render.js';
import { idParam } from '../params.js';

/** A device's latest scans, newest first: those with a root on it. */
export type RecentScans = (deviceId: number, limit: number) => Promise<ScanRow[]>;

const SCANS_SHOWN = 10;
/** Checks listed as numbers under the charts (and without JS): the latest ones. */
const CHECKS_LISTED = 30;

const isoFromNs = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

export const healthJson = (h: HealthRow | null) =>
  h && { verdict: h.verdict, score: h.score, reasons: h.reasons, counters: h.counters, checkedAt: isoFromNs(h.collectedAtNs) };

/** "3 hours ago": how old a recorded measurement is, in the largest whole unit. */
function age(iso: string | null, nowMs = Date.now()): string | null {
  if (!iso) return null;
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  const [n, unit] = s < 60 ? [s, 'second'] : s < 3600 ? [Math.floor(s / 60), 'minute'] : s < 86_400 ? [Math.floor(s / 3600), 'hour'] : [Math.floor(s / 86_400), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

const scanRowJson = (s: ScanRow) => ({
  id: s.id,
  status: s.status,
  startedAt: isoFromNs(s.startedAtNs),
  endedAt: isoFromNs(s.endedAtNs),
  files: s.filesDone,
  bytes: Number(s.bytesDone),
  alarms: [...ALARM_STATUSES].reduce((n, st: FindingStatus) => n + (s.counts[st] ?? 0), 0),
});

/** Why "Check now" cannot run for this device here, or null when it can. */
function uncheckable(host: HostView, device: DeviceView): string | null {
  if (!host.isLocal) return `This device is on ${host.displayName}: its health is checked there.`;
  if (!device.present) return 'This device is not connected now: it can be checked when it is back.';
  return null;
}

export function devicesRoutes(devices: DeviceService, events: EventService, health: HealthService, recentScans: RecentScans): Router {
  const router = new Router();

  const find = async (id: number) => {
    for (const host of await devices.model()) {
      const device = host.devices.find((d) => d.id === id);
      if (device) return { host, device };
    }
    throw notFoundError(`no storage device ${id}`);
  };

  /** Everything the page shows, from what was recorded. */
  const load = async (id: number) => {
    const { host, device } = await find(id);
    const [overview, map, scans] = await Promise.all([health.overview(id), events.deviceMap(id), recentScans(id, SCANS_SHOWN)]);
    const trends = healthTrends(overview.history, overview.trends);
    return {
      host,
      device,
      health: healthJson(overview.latest),
      smart: overview.report && smartTable(overview.report, overview.latest?.reasons ?? []),
      trends,
      map,
      scans: scans.map(scanRowJson),
    };
  };

  const pageView = async (id: number, extra: Record<string, unknown> = {}) => {
    const { host, device, health: latest, smart, trends, map, scans } = await load(id);
    const list = await events.list({ deviceId: device.id });
    const names = await deviceNames(list, async () => device);
    const json = deviceJson(device);
    return {
      page: 'device',
      fragment: 'device-health',
      data: {
        title: json.label || json.model || json.devicePath || json.identity.value,
        host: { id: host.id, displayName: host.displayName, local: host.isLocal },
        device: json,
        health: latest,
        smart,
        trends: { ...trends, checks: trends.checks.slice(-CHECKS_LISTED).reverse(), total: trends.checks.length },
        // Raw into the page only through scriptJson, which escapes what could end the <script>.
        trendsJson: scriptJson({ score: trends.score, series: trends.series }),
        check: { blocked: uncheckable(host, device), withoutSmart: withoutSmart(device) },
        map: map && {
          sizeBytes: map.sizeBytes,
          bars: mapBars(map, bytes),
          usedGranularity: map.usedGranularity,
          usedUnknown: map.usedUnknown,
          usedMeasuredAt: map.usedMeasuredAt,
          usedAge: age(map.usedMeasuredAt),
          usedAttemptedAt: map.usedAttemptedAt,
          beyondEnd: map.beyondEnd,
        },
        events: list.map((e) => eventJson(e, names)),
        scans,
        error: null,
        mapOob: false,
        ...extra,
      },
    };
  };

  router.get('/devices/:id', async (ctx) => render(ctx, await pageView(idParam(ctx.params.id, 'storage device'))));

  /** Runs a health check and measures the used space now: plain form → 303 back, htmx → the health card (and the map). */
  router.post('/devices/:id/health', async (ctx) => {
    const id = idParam(ctx.params.id, 'storage device');
    // Set before acting: a refusal (409: another machine's device, one not connected) comes back in the card.
    ctx.state.form = await pageView(id);
    await health.checkNow(id);
    await events.recordUsedSpace(id);
    if (wantsFragment(ctx)) return render(ctx, await pageView(id, { mapOob: true }));
    seeOther(ctx, `/devices/${id}#health`);
  });

  router.post('/api/v1/devices/:id/health', async (ctx) => {
    const id = idParam(ctx.params.id, 'storage device');
    await health.checkNow(id);
    await events.recordUsedSpace(id);
    const { health: latest, smart } = await load(id);
    ctx.body = { health: latest, smart };
  });

  router.get('/api/v1/devices/:id', async (ctx) => {
    const { device, health: latest, smart, trends, map, scans } = await load(idParam(ctx.params.id, 'storage device'));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { device: deviceJson(device), health: latest, smart, trends: { score: trends.score, series: trends.series }, deviceMap: map, scans };
  });

  return router;
}
