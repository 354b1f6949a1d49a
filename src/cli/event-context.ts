/**
 * The bitrot-event and health services, apart from context.ts: a clean scan never needs them,
 * and `bitarr scan` loads this only when it has damage to place or used space to measure (their
 * modules, node-cron among them, were ~20 ms of every scan's start).
 */
import type { Context } from './context.js';
import { deviceService } from './context.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';
import { DeviceRepository } from '../repositories/device.repository.js';
import { HealthService } from '../services/health.service.js';
import { HealthRepository } from '../repositories/health.repository.js';
import { EventService, type EventServiceDeps } from '../services/event.service.js';
import { SectorMapService } from '../services/sector-map.service.js';
import { BaselineRepository } from '../repositories/baseline.repository.js';
import { EventRepository } from '../repositories/event.repository.js';
import { FindingRepository } from '../repositories/finding.repository.js';
import { ScanRepository } from '../repositories/scan.repository.js';
import { UsedSpaceRepository } from '../repositories/used-space.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { scanIntervalSeconds } from '../services/schedule.service.js';

export function eventService(ctx: Context, plugins: PluginHost, smartGrowth?: EventServiceDeps['smartGrowth'], settings?: EventServiceDeps['settings']): EventService {
  const devices = new DeviceRepository(ctx.db);
  return new EventService({
    events: new EventRepository(ctx.db),
    findings: new FindingRepository(ctx.db),
    scans: new ScanRepository(ctx.db),
    devices,
    baselines: new BaselineRepository(ctx.db),
    sectorMap: new SectorMapService(plugins, deviceService(ctx, plugins)),
    smartGrowth,
    settings,
    usedSpace: new UsedSpaceRepository(ctx.db),
    scanInterval: (deviceId) => scanIntervalSeconds(new ScheduleRepository(ctx.db), deviceId, ctx.config.timeZone),
  });
}

export function healthService(ctx: Context): HealthService {
  return new HealthService(new DeviceRepository(ctx.db), new HealthRepository(ctx.db), new EventRepository(ctx.db));
}
