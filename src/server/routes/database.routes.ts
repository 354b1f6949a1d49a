/**
 * The database page: backups (taken with SQLite's online backup), restore behind a confirmation
 * that shows what will be replaced, and a scan's findings exported as CSV or JSON (streamed).
 * The same under /api/v1/database and /api/v1/scans/:id/findings.
 */
import { Readable } from 'node:stream';
import { Router } from '@koa/router';
import { BACKUP_NAME } from '../../repositories/backup.repository.js';
import { findingsCsv, findingsJson, type BackupService, type RestorePlan } from '../../services/backup.service.js';
import { render, seeOther, wantsFragment } from '../render.js';
import { body, idParam } from '../params.js';

const RECENT_SCANS = 20;

/** A name from a query string, shown back only if it is a backup's name. */
const shownName = (v: unknown) => (typeof v === 'string' && BACKUP_NAME.test(v) ? v : null);

export function databaseRoutes(backups: BackupService): Router {
  const router = new Router();

  const pageView = async (extra: Record<string, unknown> = {}) => ({
    page: 'database',
    fragment: 'backups',
    data: {
      title: 'Database',
      current: await backups.current(),
      backups: await backups.list(),
      scans: await backups.recentScans(RECENT_SCANS),
      created: null,
      restored: null,
      saved: null,
      error: null,
      ...extra,
    },
  });
  const restoreView = (plan: RestorePlan, extra: Record<string, unknown> = {}) => ({
    page: 'database-restore',
    fragment: 'backup-restore',
    data: { title: `Restore ${plan.backup.name}`, ...plan, confirm: '', error: null, ...extra },
  });

  router.get('/database', async (ctx) => {
    render(ctx, await pageView({ created: shownName(ctx.query.created), restored: shownName(ctx.query.restored), saved: shownName(ctx.query.saved) }));
  });

  router.post('/database/backups', async (ctx) => {
    const made = await backups.create();
    if (wantsFragment(ctx)) return render(ctx, { ...(await pageView({ created: made.name })), status: 201 });
    seeOther(ctx, `/database?created=${encodeURIComponent(made.name)}`);
  });

  router.get('/database/backups/:name/restore', async (ctx) => {
    render(ctx, restoreView(await backups.plan(ctx.params.name ?? '')));
  });

  router.post('/database/backups/:name/restore', async (ctx) => {
    const confirm = body(ctx).confirm;
    // Set before acting: a wrong confirmation (400) or a refusal (409) comes back inside this form.
    ctx.state.form = restoreView(await backups.plan(ctx.params.name ?? ''), { confirm: typeof confirm === 'string' ? confirm : '' });
    const done = await backups.restore(ctx.params.name ?? '', confirm);
    // Logins are kept across a restore (see readLogins), so this session is still valid.
    seeOther(ctx, `/database?restored=${encodeURIComponent(done.restored.name)}&saved=${encodeURIComponent(done.preRestore.name)}`);
  });

  router.get('/scans/:id/findings.csv', async (ctx) => {
    const { scanId: id, findings } = await backups.findings(idParam(ctx.params.id, 'scan'));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="bitarr-scan-${id}-findings.csv"`);
    ctx.type = 'text/csv; charset=utf-8; header=present';
    ctx.body = Readable.from(findingsCsv(findings));
  });

  router.get('/api/v1/scans/:id/findings', async (ctx) => {
    const { scanId: id, findings } = await backups.findings(idParam(ctx.params.id, 'scan'));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = Readable.from(findingsJson(id, findings));
  });

  router.get('/api/v1/database', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { current: await backups.current(), backups: await backups.list() };
  });

  router.get('/api/v1/database/backups', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { backups: await backups.list() };
  });

  router.post('/api/v1/database/backups', async (ctx) => {
    ctx.status = 201;
    ctx.body = { backup: await backups.create() };
  });

  router.get('/api/v1/database/backups/:name', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await backups.plan(ctx.params.name ?? '');
  });

  router.post('/api/v1/database/backups/:name/restore', async (ctx) => {
    ctx.body = await backups.restore(ctx.params.name ?? '', body(ctx).confirm);
  });

  return router;
}
