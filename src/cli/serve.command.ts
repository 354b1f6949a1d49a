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
import { SessionRepository } from '../repositories/session.repository.js';
import { UserRepository } from '../repositories/user.repository.js';
import { AuthService } from '../services/auth.service.js';
import { BackupService } from '../services/backup.service.js';
import type { Log } from '../server/errors.js';
import { appRoot, appVersion, listen, type RunningServer } from '../server/server.js';
import { join } from 'node:path';
import { parse } from './args.js';
import { deviceService, eventService, loadPlugins, openContext } from './context.js';

export const jsonLog: Log = (entry) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');

export interface ServeOptions {
  configDir?: string;
  /** Override BITARR_PORT / BITARR_BIND (tests use 0 and 127.0.0.1). */
  port?: number;
  bind?: string;
  log?: Log;
}

/** Starts the appliance and returns once it listens (with its database, for the health test). */
export async function startAppliance(opts: ServeOptions = {}): Promise<RunningServer & { db: Db }> {
  const log = opts.log ?? jsonLog;
  const ctx = await openContext(opts.configDir);
  try {
    const plugins = await loadPlugins(ctx.config);
    const devices = deviceService(ctx, plugins);
    // The dashboard shows what was recorded: record this host's devices as they are now.
    await devices.refresh().catch((err: Error) => log({ level: 'warn', msg: 'device detection failed', error: err.message }));
    const root = appRoot();
    const running = await listen(
      {
        version: appVersion(root),
        auth: new AuthService(new UserRepository(ctx.db), new SessionRepository(ctx.db), new ApiTokenRepository(ctx.db)),
        devices,
        events: eventService(ctx, plugins),
        backups: new BackupService(ctx.db, ctx.config),
        latestHealth: (id) => new HealthRepository(ctx.db).latest(id),
        ping: async () => void (await ctx.db.raw('select 1')),
        log,
        templatesDir: join(root, 'templates'),
        publicDir: join(root, 'public'),
      },
      { port: opts.port ?? ctx.config.port, bind: opts.bind ?? ctx.config.bind, onClose: () => ctx.db.destroy() },
    );
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
