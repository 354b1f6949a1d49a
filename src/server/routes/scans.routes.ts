/**
 * Scans: start one (a device's mount or a folder inside the configured scan roots), watch it live
 * over SSE, stop it, resume it, the history, and one scan's findings 25 a page. The same under
 * /api/v1/scans for scripts.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { ALGORITHMS, parseAlgorithm } from '../../domain/algorithms.js';
import { conflictError, usageError } from '../../domain/errors.js';
import { FINDING_STATUSES, type FindingStatus } from '../../domain/findings.js';
import type { ScanStatus, ScanTrigger } from '../../repositories/scan.repository.js';
import type { DeviceService } from '../../services/device.service.js';
import type { ScanManager } from '../../services/scan-manager.service.js';
import type { ScanQueryService } from '../../services/scan-query.service.js';
import { countChips, duration, progressJson, scanJson } from '../../services/scan-view.js';
import type { SettingsService } from '../../services/settings.service.js';
import { render, seeOther, wantsFragment } from '../render.js';
import { progressStream } from '../sse.js';
import { body, text, idParam } from '../params.js';

export const FINDINGS_PER_PAGE = 25;
const HISTORY_PER_PAGE = 30;
const STATUSES: ScanStatus[] = ['running', 'completed', 'interrupted', 'aborted'];
const TRIGGERS: ScanTrigger[] = ['cli', 'web', 'api', 'schedule'];
const MAX_EXCLUDES = 100;

export interface ScansDeps {
  manager: ScanManager;
  query: ScanQueryService;
  settings: SettingsService;
  devices: DeviceService;
  /** Aborted when the appliance shuts down: live progress streams end. */
  closing: AbortSignal;
}

const one = (v: unknown) => (Array.isArray(v) ? v[0] : v) as string | undefined;

function pageNumber(v: string | undefined): number {
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw usageError(`page must be a whole number from 1, not "${v}"`);
  return n;
}

/** The form's or the JSON body's excludes: one glob a line, or a list. */
function excludesOf(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/\r?\n/) : [];
  const out = list.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean);
  if (out.length > MAX_EXCLUDES) throw usageError(`at most ${MAX_EXCLUDES} exclusions`);
  return out;
}

/** A read-speed limit in MB/s (empty: none) as bytes a second. */
function rateOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw usageError('the read-speed limit is a number of MB/s above 0 (or empty for none)');
  return Math.round(n * 1_000_000);
}

export function scansRoutes(deps: ScansDeps): Router {
  const router = new Router();
  const { manager, query, settings } = deps;

  /** Where a scan can start: this host's mounted devices inside the scan roots, and the roots. */
  const targets = async () => {
    const s = await settings.get();
    const out: Array<{ path: string; label: string }> = [];
    for (const host of await deps.devices.model()) {
      if (!host.isLocal) continue;
      for (const d of host.devices) {
        for (const m of d.mounts) {
          if (!m.present) continue;
          const allowed = await settings.allowedRoot(m.mountPoint).then(() => true, () => false);
          if (allowed) out.push({ path: m.mountPoint, label: `${m.mountPoint} — ${[d.label, d.model, d.devicePath ?? d.identityValue, d.fsType].filter(Boolean).join(', ')}` });
        }
      }
    }
    for (const r of s.scanRoots) if (!out.some((t) => t.path === r)) out.push({ path: r, label: `${r} (scan root)` });
    return { targets: out, defaults: s, scanRoots: s.scanRoots };
  };

  const formView = async (extra: Record<string, unknown> = {}) => ({
    ...(await targets()),
    algorithms: ALGORITHMS,
    form: { path: '', target: '', algorithm: '', excludes: '', threads: '', maxRateMBps: '' },
    error: null as string | null,
    ...extra,
  });

  const historyView = async (ctx: Context) => {
    const status = one(ctx.query.status);
    const trigger = one(ctx.query.trigger);
    const device = one(ctx.query.device);
    const before = one(ctx.query.before);
    if (status && !STATUSES.includes(status as ScanStatus)) throw usageError(`status must be one of ${STATUSES.join(', ')}`);
    if (trigger && !TRIGGERS.includes(trigger as ScanTrigger)) throw usageError(`started by must be one of ${TRIGGERS.join(', ')}`);
    const filter = {
      limit: HISTORY_PER_PAGE + 1,
      status: (status || undefined) as ScanStatus | undefined,
      trigger: (trigger || undefined) as ScanTrigger | undefined,
      deviceId: device ? idParam(device, 'storage device') : undefined,
      before: before ? idParam(before, 'scan') : undefined,
    };
    const list = await query.history(filter);
    const more = list.length > HISTORY_PER_PAGE;
    const scans = list.slice(0, HISTORY_PER_PAGE).map((s) => scanJson(s.scan, s.roots));
    const qs = new URLSearchParams(Object.entries({ status, trigger, device }).filter(([, v]) => v) as Array<[string, string]>);
    return { scans, filter: { status: status ?? '', trigger: trigger ?? '', device: device ?? '' }, statuses: STATUSES, triggers: TRIGGERS, older: more ? `/scans?${new URLSearchParams([...qs, ['before', String(scans[scans.length - 1]!.id)]])}` : null, newest: before ? `/scans?${qs}` : null };
  };

  const running = () => manager.running().map((r) => ({ ...progressJson(r.progress(), r.stopping, Date.now(), r.network), roots: r.roots, trigger: r.trigger }));

  const scansPage = async (ctx: Context, extra: Record<string, unknown> = {}) => ({
    page: 'scans',
    fragment: 'scans-history',
    data: { title: 'Scans', running: running(), history: await historyView(ctx), start: await formView(), duration, ...extra },
  });

  router.get('/scans', async (ctx) => render(ctx, await scansPage(ctx)));

  /** Starts a scan from the form: a typed path wins over the picked target. */
  router.post('/scans', async (ctx) => {
    const b = body(ctx);
    const form = { path: text(b.path), target: text(b.target), algorithm: text(b.algorithm), excludes: text(b.excludes), threads: text(b.threads), maxRateMBps: text(b.maxRateMBps) };
    ctx.state.form = { page: 'scans', fragment: 'scan-start', data: { title: 'Scans', running: running(), history: await historyView(ctx), start: await formView({ form }), duration } };
    const path = form.path.trim() || form.target;
    if (!path) throw usageError('pick a device or type a folder to scan');
    const algorithm = form.algorithm ? parseAlgorithm(form.algorithm) : undefined;
    if (algorithm === null) throw usageError(`unknown algorithm "${form.algorithm}"; choose one of ${ALGORITHMS.join(', ')}`);
    const threads = form.threads ? Number(form.threads) : undefined;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64)) throw usageError('threads must be a whole number from 1 to 64');
    const scan = await manager.start({ roots: [path], algorithm, excludes: excludesOf(form.excludes), threads, maxRate: rateOf(form.maxRateMBps), trigger: 'web' });
    seeOther(ctx, `/scans/${scan.scanId}`);
  });

  const detailView = async (ctx: Context, id: number) => {
    const status = one(ctx.query.status) || undefined;
    if (status && !FINDING_STATUSES.includes(status as FindingStatus)) throw usageError(`finding must be one of ${FINDING_STATUSES.join(', ')}`);
    const q = (one(ctx.query.q) ?? '').slice(0, 200);
    const page = pageNumber(one(ctx.query.page));
    const summary = await query.summary(id);
    const findings = await query.findingsPage(id, status as FindingStatus | undefined, page, FINDINGS_PER_PAGE, q);
    const pages = Math.max(1, Math.ceil(findings.total / FINDINGS_PER_PAGE));
    const live = manager.get(id);
    const link = (p: number) => `/scans/${id}?${new URLSearchParams([...(status ? [['status', status]] : []), ...(q ? [['q', q]] : []), ['page', String(p)]])}`;
    return {
      page: 'scan',
      fragment: 'scan-findings',
      data: {
        title: `Scan #${id}`,
        scan: scanJson(summary.scan, summary.roots),
        chips: countChips(summary.counts),
        progress: live ? progressJson(live.progress(), live.stopping, Date.now(), live.network) : null,
        findings: findings.items,
        total: findings.total,
        filter: { status: status ?? '', q },
        statuses: FINDING_STATUSES,
        pageNo: page,
        pages,
        prev: page > 1 ? link(page - 1) : null,
        next: page < pages ? link(page + 1) : null,
        duration,
      },
    };
  };

  router.get('/scans/:id', async (ctx) => render(ctx, await detailView(ctx, idParam(ctx.params.id, 'scan'))));

  router.get('/scans/:id/progress', async (ctx) => {
    const id = idParam(ctx.params.id, 'scan');
    await query.summary(id);
    progressStream(ctx, { manager, id, closing: deps.closing });
  });

  router.post('/scans/:id/stop', async (ctx) => {
    const id = idParam(ctx.params.id, 'scan');
    await query.summary(id);
    const live = manager.stop(id, `stopped by ${ctx.state.user.username} from the web; resume it to continue`);
    if (!live) throw conflictError(`scan ${id} is not running`);
    if (wantsFragment(ctx)) return render(ctx, { page: 'scan', fragment: 'scan-progress', data: { progress: progressJson(live.progress(), live.stopping, Date.now(), live.network), scan: { id } } });
    seeOther(ctx, `/scans/${id}`);
  });

  router.post('/scans/:id/resume', async (ctx) => {
    const id = idParam(ctx.params.id, 'scan');
    const { scan, roots } = await query.summary(id);
    if (scan.status !== 'interrupted' && scan.status !== 'aborted') throw conflictError(`scan ${id} is ${scan.status}: only an interrupted or aborted scan can be resumed`);
    const started = await manager.start({ roots: roots.map((r) => r.path), resume: true, trigger: 'web' });
    seeOther(ctx, `/scans/${started.scanId}`);
  });

  // JSON API: the same scans for scripts (Authorization: Bearer <token>).
  router.get('/api/v1/scans', async (ctx) => {
    const h = await historyView(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { scans: h.scans, running: running(), older: h.older && h.older.replace('/scans', '/api/v1/scans') };
  });

  router.get('/api/v1/scans/:id', async (ctx) => {
    const id = idParam(ctx.params.id, 'scan');
    const v = await detailView(ctx, id);
    ctx.set('Cache-Control', 'no-store');
    const d = v.data;
    ctx.body = { scan: d.scan, progress: d.progress, findings: { total: d.total, page: d.pageNo, pages: d.pages, perPage: FINDINGS_PER_PAGE, items: d.findings } };
  });

  router.post('/api/v1/scans', async (ctx) => {
    const b = body(ctx);
    const roots = Array.isArray(b.roots) ? b.roots : typeof b.path === 'string' ? [b.path] : [];
    if (!roots.length || !roots.every((r) => typeof r === 'string')) throw usageError('send {"roots": ["/path", ...]} (paths inside the configured scan roots)');
    const algorithm = b.algorithm === undefined ? undefined : parseAlgorithm(String(b.algorithm));
    if (algorithm === null) throw usageError(`unknown algorithm "${b.algorithm}"; choose one of ${ALGORITHMS.join(', ')}`);
    const threads = b.threads === undefined ? undefined : Number(b.threads);
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64)) throw usageError('threads must be a whole number from 1 to 64');
    const started = await manager.start({ roots: roots as string[], algorithm, excludes: excludesOf(b.excludes), threads, maxRate: rateOf(b.maxRateMBps), resume: b.resume === true, trigger: 'api' });
    ctx.status = 202;
    ctx.set('Location', `/api/v1/scans/${started.scanId}`);
    ctx.body = { scanId: started.scanId, roots: started.roots, progress: progressJson(started.progress(), null, Date.now(), started.network) };
  });

  router.post('/api/v1/scans/:id/stop', async (ctx) => {
    const id = idParam(ctx.params.id, 'scan');
    await query.summary(id);
    const live = manager.stop(id, `stopped by ${ctx.state.user.username} through the API; resume it to continue`);
    if (!live) throw conflictError(`scan ${id} is not running`);
    ctx.status = 202;
    ctx.body = { scanId: id, stopping: live.stopping };
  });

  return router;
}
