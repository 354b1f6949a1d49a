/** The only place that reads the environment. Everything else is handed a Config. */
import { resolve } from 'node:path';
import { usageError } from '../domain/errors.js';

export interface Config {
  configDir: string;
  /** postgres://… selects PostgreSQL; unset means SQLite in the config dir. */
  databaseUrl: string | null;
  ci: boolean;
  /** The host's name and address as users know them; in a container the real ones are hidden. */
  hostnameOverride: string | null;
  addressOverride: string | null;
  /** `bitarr serve`: the TCP port (0 picks a free one) and the address to listen on. */
  port: number;
  bind: string;
  /** BITARR_SCAN_ROOTS (colon-separated): the folders the web UI may scan, fixed by the deployment (a container's mounts). */
  scanRoots: string[] | null;
  /** The time zone schedules run in (TZ); null is the system's. */
  timeZone: string | null;
}

export const DEFAULT_PORT = 8286;

function port(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`BITARR_PORT must be a port number (0-65535), not "${text}"`);
  return n;
}

export function loadConfig(overrides: { configDir?: string } = {}, env: NodeJS.ProcessEnv = process.env): Config {
  return {
    configDir: resolve(overrides.configDir ?? env.BITARR_CONFIG_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || null,
    ci: env.CI === 'true',
    hostnameOverride: env.BITARR_HOSTNAME?.trim() || null,
    addressOverride: env.BITARR_HOST_ADDRESS?.trim() || null,
    port: port(env.BITARR_PORT),
    bind: env.BITARR_BIND?.trim() || '0.0.0.0',
    scanRoots: env.BITARR_SCAN_ROOTS?.trim() ? env.BITARR_SCAN_ROOTS.split(':').map((p) => p.trim()).filter(Boolean) : null,
    timeZone: env.TZ?.trim() || null,
  };
}
