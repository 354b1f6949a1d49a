/**
 * Schedules: the list with each one's next and last run, a form to add one (preset or cron),
 * enable/disable, delete, run now. Plain forms get 303 back to /schedules; htmx gets the list
 * fragment. The same under /api/v1/schedules.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { ALGORITHMS } from '../../domain/algorithms.js';
import { PRESETS, presetOf, type ScheduleForm } from '../../domain/schedules.js';
import { insideRoots } from '../../domain/settings.js';
import type { DeviceService } from '../../services/device.service.js';
import type { ScheduleService, ScheduleView } from '../../services/schedule.service.js';
import type { SettingsService } from '../../services/settings.service.js';
import { render, seeOther, wantsFragment } from '../render.js';
import { body, text, idParam } from '../params.js';


const EMPTY_FORM = { name: '', target: '', preset: 'weekly', time: '03:00', cron: '', algorithm: '', excludes: '', maxRuntimeMinutes: '' };

export const scheduleJson = (s: ScheduleView) => ({
  id: s.id,
  name: s.name,
  deviceId: s.deviceId,
  roots: s.roots,
  target: s.target,
  cron: s.cron,
  algorithm: s.algorithm,
  excludes: s.excludes,
  maxRuntimeMinutes: s.maxRuntimeMinutes,
  enabled: s.enabled,
  nextRunAt: s.nextRunAt,
  lastRunAt: s.lastRunAtMs === null ? null : new Date(s.lastRunAtMs).toISOString(),
  lastScanId: s.lastScanId,
  lastResult: s.lastResult,
});

export function schedulesRoutes(schedules: ScheduleService, devices: DeviceService, settings: SettingsService): Router {
  const router = new Router();

  /** What a schedule can scan: this host's devices and the configured scan roots. */
  const targets = async () => {
    const out: Array<{ value: string; label: string }> = [];
    const roots = (await settings.get()).scanRoots;
    for (const h of await devices.model()) {
      if (!h.isLocal) continue;
      for (const d of h.devices) {
        // Only devices Bitarr may scan: mounted (now or before) inside the scan roots.
        if (!d.mounts.some((m) => insideRoots(m.mountPoint, roots))) continue;
        out.push({ value: `device:${d.id}`, label: `${[d.label, d.model, d.devicePath ?? d.identityValue].filter(Boolean).join(' · ')} (${d.type}, wherever it is mounted: now ${d.mounts.filter((m) => m.present).map((m) => m.mountPoint).join(', ') || 'not mounted'})` });
      }
    }
    for (const r of roots) out.push({ value: `root:${r}`, label: `${r} (folder)` });
    return out;
  };

  const view = async (extra: Record<string, unknown> = {}) => ({
    page: 'schedules',
    fragment: 'schedules',
    data: {
      title: 'Schedules',
      schedules: (await schedules.list()).map(scheduleJson),
      targets: await targets(),
      presets: PRESETS,
      algorithms: ALGORITHMS,
      form: EMPTY_FORM,
      presetOf,
      error: null,
      notice: null,
      ...extra,
    },
  });

  const done = async (ctx: Context, notice: string | null = null) => {
    if (wantsFragment(ctx)) return render(ctx, await view({ notice }));
    seeOther(ctx, '/schedules');
  };

  router.get('/schedules', async (ctx) => render(ctx, await view()));

  router.post('/schedules', async (ctx) => {
    const b = body(ctx);
    const form = Object.fromEntries(Object.keys(EMPTY_FORM).map((k) => [k, text(b[k])]));
    ctx.state.form = await view({ form });
    await schedules.create(form as ScheduleForm);
    await done(ctx);
  });

  router.post('/schedules/:id/enable', async (ctx) => {
    await schedules.setEnabled(idParam(ctx.params.id, 'schedule'), true);
    await done(ctx);
  });

  router.post('/schedules/:id/disable', async (ctx) => {
    await schedules.setEnabled(idParam(ctx.params.id, 'schedule'), false);
    await done(ctx);
  });

  router.post('/schedules/:id/delete', async (ctx) => {
    await schedules.remove(idParam(ctx.params.id, 'schedule'));
    await done(ctx);
  });

  router.post('/schedules/:id/run', async (ctx) => {
    const id = idParam(ctx.params.id, 'schedule');
    ctx.state.form = await view();
    const r = await schedules.runNow(id);
    if (wantsFragment(ctx)) return render(ctx, await view({ notice: `Started scan #${r.scanId}.` }));
    seeOther(ctx, `/scans/${r.scanId}`);
  });

  router.get('/api/v1/schedules', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { schedules: (await schedules.list()).map(scheduleJson) };
  });

  router.post('/api/v1/schedules', async (ctx) => {
    const s = await schedules.create(body(ctx) as ScheduleForm);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/schedules/${s.id}`);
    ctx.body = scheduleJson(s);
  });

  router.get('/api/v1/schedules/:id', async (ctx) => {
    ctx.body = scheduleJson(await schedules.get(idParam(ctx.params.id, 'schedule')));
  });

  router.put('/api/v1/schedules/:id', async (ctx) => {
    ctx.body = scheduleJson(await schedules.update(idParam(ctx.params.id, 'schedule'), body(ctx) as ScheduleForm));
  });

  router.delete('/api/v1/schedules/:id', async (ctx) => {
    await schedules.remove(idParam(ctx.params.id, 'schedule'));
    ctx.status = 204;
  });

  router.post('/api/v1/schedules/:id/run', async (ctx) => {
    const r = await schedules.runNow(idParam(ctx.params.id, 'schedule'));
    ctx.status = 202;
    ctx.body = r;
  });

  return router;
}
