/** The only place that reads the environment. Everything else is handed a Config. */
import { resolve } from 'node:path';

export interface Config {
  configDir: string;
  /** postgres://… selects PostgreSQL; unset means SQLite in the config dir. */
  databaseUrl: string | null;
  ci: boolean;
  /** The host's name and address as users know them; in a container the real ones are hidden. */
  hostnameOverride: string | null;
  addressOverride: string | null;
}

export function loadConfig(overrides: { configDir?: string } = {}, env: NodeJS.ProcessEnv = process.env): Config {
  return {
    configDir: resolve(overrides.configDir ?? env.BITARR_CONFIG_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || null,
    ci: env.CI === 'true',
    hostnameOverride: env.BITARR_HOSTNAME?.trim() || null,
    addressOverride: env.BITARR_HOST_ADDRESS?.trim() || null,
  };
}
