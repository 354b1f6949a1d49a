/** The Koa app: wiring only. Order matters: log, errors, open routes, then who you are and may you. */
import Koa from 'koa';
import type { AuthService } from '../services/auth.service.js';
import type { BackupService } from '../services/backup.service.js';
import type { DeviceService } from '../services/device.service.js';
import type { DashboardFacts } from '../services/device-view.js';
import type { EventService } from '../services/event.service.js';
import type { HealthService } from '../services/health.service.js';
import type { ScanManager } from '../services/scan-manager.service.js';
import type { ScanQueryService } from '../services/scan-query.service.js';
import type { ScheduleService } from '../services/schedule.service.js';
import type { SettingsService } from '../services/settings.service.js';
import { authenticate, csrf, requireUser, setupGate } from './auth.middleware.js';
import { errorHandler, type Log } from './errors.js';
import { parseBody, requestLog, serveStatic } from './http.js';
import { bytes, useTemplates } from './render.js';
import { apiRoutes } from './routes/api.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { dashboardRoutes } from './routes/dashboard.routes.js';
import { databaseRoutes } from './routes/database.routes.js';
import { devicesRoutes, type RecentScans } from './routes/devices.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { scansRoutes } from './routes/scans.routes.js';
import { schedulesRoutes } from './routes/schedules.routes.js';
import { settingsRoutes } from './routes/settings.routes.js';
import { displayPath } from '../domain/path-bytes.js';

export interface AppDeps {
  version: string;
  auth: AuthService;
  devices: DeviceService;
  events: EventService;
  backups: BackupService;
  settings: SettingsService;
  schedules: ScheduleService;
  dashboard: DashboardFacts;
  scans: { manager: ScanManager; query: ScanQueryService };
  /** Aborted when the appliance begins to shut down (live streams end). */
  closing: AbortSignal;
  /** A device page reads recorded health; only its "Check now" runs smartctl. */
  health: HealthService;
  recentScans: RecentScans;
  /** Throws when the database cannot be queried. */
  ping: () => Promise<void>;
  log: Log;
  templatesDir: string;
  publicDir: string;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // Errors are answered and logged by errorHandler; koa's default would print them again.
  app.silent = true;
  useTemplates(app, deps.templatesDir, { version: deps.version, bytes, showPath: displayPath });
  const routers = [
    authRoutes(deps.auth),
    settingsRoutes(deps.auth, deps.settings),
    schedulesRoutes(deps.schedules, deps.devices, deps.settings),
    scansRoutes({ ...deps.scans, settings: deps.settings, devices: deps.devices, closing: deps.closing }),
    dashboardRoutes(deps.devices, deps.events, deps.dashboard),
    devicesRoutes(deps.devices, deps.events, deps.health, deps.recentScans),
    eventsRoutes(deps.events, deps.devices),
    apiRoutes(deps.devices),
    databaseRoutes(deps.backups),
  ];
  const health = healthRoutes(deps.version, deps.ping);

  app.use(requestLog(deps.log));
  app.use(errorHandler(deps.log));
  app.use(async (ctx, next) => {
    ctx.set({ 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
    await next();
  });
  app.use(serveStatic(deps.publicDir));
  app.use(health.routes());
  app.use(parseBody);
  app.use(authenticate(deps.auth));
  app.use(setupGate(deps.auth));
  app.use(csrf);
  app.use(requireUser);
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  return app;
}
