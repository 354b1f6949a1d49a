/** GET /healthz, without auth: for the container's HEALTHCHECK and load balancers. */
import { Router } from '@koa/router';

export function healthRoutes(version: string, ping: () => Promise<void>): Router {
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await ping();
      ctx.body = { status: 'ok', version };
    } catch {
      // The reason goes to no one unauthenticated; the database error is in the server's own logs when it matters.
      ctx.status = 503;
      ctx.body = { status: 'unavailable', version, reason: 'the database cannot be queried' };
    }
  });
  return router;
}
