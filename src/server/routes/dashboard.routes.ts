/** The dashboard: Machine → Storage Device, and its device list as an htmx fragment. */
import { Router } from '@koa/router';
import type { DeviceService } from '../../services/device.service.js';
import { dashboardHosts, type DashboardFacts } from '../../services/device-view.js';
import type { EventService } from '../../services/event.service.js';
import { render } from '../render.js';

export function dashboardRoutes(devices: DeviceService, events: EventService, facts: DashboardFacts): Router {
  const router = new Router();
  const view = async () => ({ page: 'dashboard', fragment: 'devices', data: { hosts: await dashboardHosts(devices, events, { facts }), now: new Date().toISOString() } });
  router.get('/', async (ctx) => render(ctx, await view()));
  router.get('/fragments/devices', async (ctx) => render(ctx, await view()));
  return router;
}
