/** The JSON API (/api/v1), for a session or a bearer token. Same shapes as the CLI's --json. */
import { Router } from '@koa/router';
import type { DeviceService } from '../../services/device.service.js';
import { hostJson, presentOnly } from '../../services/device-view.js';

export function apiRoutes(devices: DeviceService): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.get('/hosts', async (ctx) => {
    const all = ctx.query.all === '1' || ctx.query.all === 'true';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { hosts: presentOnly(await devices.model(), all).map(hostJson) };
  });
  return router;
}
