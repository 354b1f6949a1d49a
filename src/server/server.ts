/**
 * A running appliance: the app on a socket, and a close() that stops accepting, lets requests in
 * flight finish (up to a deadline), then closes the database.
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type AppDeps } from './app.js';

/** The repository (or installed package) root, from src/server or dist/src/server alike. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Bitarr root (package.json beside templates/)');
    dir = up;
  }
  return dir;
}

export const appVersion = (root = appRoot()): string => (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

export interface RunningServer {
  server: Server;
  /** http://host:port as bound (port 0 becomes the real port). */
  url: string;
  close(): Promise<void>;
}

const DRAIN_MS = 10_000;

export async function listen(deps: AppDeps, opts: { port: number; bind: string; onClose?: () => Promise<void> }): Promise<RunningServer> {
  const app = createApp(deps);
  const server = createServer(app.callback());
  // Slow clients must not hold a socket for ever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  server.listen(opts.port, opts.bind);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() stops accepting and drops idle keep-alive sockets; busy ones finish their request.
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
      await closed;
      clearTimeout(timer);
      await opts.onClose?.();
    })());
  return { server, url: `http://${host}:${addr.port}`, close };
}
