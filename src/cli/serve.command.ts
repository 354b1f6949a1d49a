/**
 * `bitarr serve`: the appliance. Opens the database (migrations run), detects this host's devices
 * once, serves the UI and the JSON API, and on SIGTERM/SIGINT stops accepting, finishes requests
 * in flight, closes the database and exits 0. Logs are JSON lines on stdout; the first one says
 * where it listens (useful with BITARR_PORT=0).
 */
import { usageError } from '../domain/errors.js';
import type { Db } from '../repositories/db.js';
import { ApiTokenRepository } from '../repositories/api-token.repository.js';
import { HealthRepository } from '../repositories/health.repository.js';
import { ScanRepository } from '../repositories/scan.repository.js';
import { SessionRepository } from '../repositories/session.repository.js';
import { UserRepository } from '../repositories/user.repository.js';
import { AuthService } from '../services/auth.service.js';
import { BackupService } from '../services/backup.service.js';
import type { Log } from '../server/errors.js';
import { appRoot, appVersion, listen, type RunningServer } from '../server/server.js';
import { join } from 'node:path';
import { parse } from './args.js';
import { deviceService, loadPlugins, openContext, settingsService, type Context } from './context.js';
import { eventService, healthService } from './event-context.js';
import { DEFAULT_EVENT_SETTINGS } from '../domain/events/index.js';
import { ALARM_STATUSES } from '../domain/findings.js';
import { databaseFile, openReader, openWriter } from '../repositories/db.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';
import { ScanManager, scannedDevices } from '../services/scan-manager.service.js';
import { ScanQueryService } from '../services/scan-query.service.js';
import { ScheduleService } from '../services/schedule.service.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { RetentionService } from '../services/retention.service.js';
import { ScanService } from '../services/scan.service.js';
import type { DeviceService } from '../services/device.service.js';

export const jsonLog: Log = (entry) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');

export interface ServeOptions {
  configDir?: string;
  /** Override BITARR_PORT / BITARR_BIND (tests use 0 and 127.0.0.1). */
  port?: number;
  bind?: string;
  log?: Log;
}

/** Starts the appliance and returns once it listens (with its database, for the health test). */
export async function startAppliance(opts: ServeOptions = {}): Promise<RunningServer & { db: Db; manager: ScanManager }> {
  const log = opts.log ?? jsonLog;
  const ctx = await openContext(opts.configDir);
  try {
    const plugins = await loadPlugins(ctx.config);
    const devices = deviceService(ctx, plugins);
    // The dashboard shows what was recorded: record this host's devices as they are now.
    await devices.refresh().catch((err: Error) => log({ level: 'warn', msg: 'device detection failed', error: err.message }));
    const root = appRoot();
    const settings = settingsService(ctx);
    let backups: BackupService | null = null;
    const manager = scanManager(ctx, plugins, devices, settings, log, () => backups?.isRestoring ?? false);
    backups = new BackupService(ctx.db, ctx.config, () => manager.isBusy());
    await manager.init();
    const schedules = new ScheduleService(new ScheduleRepository(ctx.db), manager, devices, settings, ctx.config.timeZone, log);
    const reader = openReader(ctx.config);
    const closing = new AbortController();
    const server = await listen(
      {
        version: appVersion(root),
        auth: new AuthService(new UserRepository(ctx.db), new SessionRepository(ctx.db), new ApiTokenRepository(ctx.db)),
        devices,
        events: eventService(ctx, plugins),
        backups,
        settings,
        schedules,
        dashboard: { latestHealth: () => new HealthRepository(ctx.db).latestVerdicts(), lastVerified: () => new ScanRepository(ctx.db).lastVerifiedByDevice() },
        // Reads of scan history on their own read-only pool: a slow search does not stall other pages.
        scans: { manager, query: new ScanQueryService(reader) },
        closing: closing.signal,
        health: healthService(ctx),
        recentScans: (deviceId, limit) => new ScanRepository(ctx.db).list({ deviceId, limit }),
        ping: async () => void (await ctx.db.raw('select 1')),
        log,
        templatesDir: join(root, 'templates'),
        publicDir: join(root, 'public'),
      },
      { port: opts.port ?? ctx.config.port, bind: opts.bind ?? ctx.config.bind, onClose: async () => void (await Promise.all([reader.destroy(), ctx.db.destroy()])) },
    );
    // Shutdown: live streams end, running scans stop resumably and save, then requests drain.
    let closed: Promise<void> | null = null;
    const close = () =>
      (closed ??= (async () => {
        closing.abort();
        schedules.stop();
        const stopped = await manager.shutdown();
        for (const s of stopped) log({ level: 'info', msg: 'scan stopped for shutdown', scanId: s.id, status: s.status, files: s.filesDone });
        await server.close();
      })());
    await schedules.start();
    const running = { ...server, close, manager };
    log({ level: 'info', msg: 'listening', url: running.url, configDir: ctx.config.configDir });
    return { ...running, db: ctx.db };
  } catch (err) {
    await ctx.db.destroy();
    throw err;
  }
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'config-dir': { type: 'string' } });
  if (positionals.length) throw usageError('usage: bitarr serve [--config-dir DIR]');
  const running = await startAppliance({ configDir: values['config-dir'] as string | undefined });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      // A second signal while draining: the user means it, drop the slow connections now.
      if (stopping) return running.server.closeAllConnections();
      stopping = true;
      jsonLog({ level: 'info', msg: 'shutting down', signal });
      running.close().then(resolve, (err: Error) => {
        jsonLog({ level: 'error', msg: 'shutdown failed', error: err.message });
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  jsonLog({ level: 'info', msg: 'stopped' });
  return 0;
}

/** Scans of the appliance: each on connections of its own; damage becomes events with the current settings. */
function scanManager(ctx: Context, plugins: PluginHost, devices: DeviceService, settings: ReturnType<typeof settingsService>, log: Log, isRestoring: () => boolean): ScanManager {
  return new ScanManager({
    settings,
    log,
    isRestoring,
    isNetwork: async (path) => (await devices.locate(path)).device?.network ?? false,
    open: async () => {
      const writer = openWriter(ctx.config);
      const reader = openReader(ctx.config);
      const service = new ScanService(writer, reader, ctx.host, databaseFile(ctx.config), (path) => devices.forScan(path));
      return { service, close: async () => void (await Promise.all([writer.destroy(), reader.destroy()])) };
    },
    afterScan: async (outcome, current) => {
      const events = eventService(ctx, plugins, (device) => healthService(ctx).growthNow(device), { ...DEFAULT_EVENT_SETTINGS, gapBytes: current.clusterGapBytes });
      if ([...ALARM_STATUSES].some((s) => (outcome.scan.counts[s] ?? 0) > 0)) {
        for (const e of await events.afterScan(outcome.scan.id)) log({ level: 'warn', msg: `bitrot event ${e.change}`, eventId: e.eventId, deviceId: e.deviceId, severity: e.severity, files: e.files.length });
      }
      // The device map's used space, measured once a scan (seconds on a big disk), not on every view.
      const damaged = [...ALARM_STATUSES].some((s) => (outcome.scan.counts[s] ?? 0) > 0);
      for (const id of scannedDevices(outcome)) await events.usedSpaceAfterScan(id, damaged);
      if (outcome.status === 'completed') {
        const pruned = await new RetentionService(new ScanRepository(ctx.db)).prune(current.retentionDays);
        if (pruned.length) log({ level: 'info', msg: 'old scans deleted (retention)', retentionDays: current.retentionDays, scans: pruned });
      }
    },
  });
}
