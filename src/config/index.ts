/** The only place that reads the environment. Everything else is handed a Config. */
import { resolve } from 'node:path';

export interface Config {
  configDir: string;
  /** postgres://… selects PostgreSQL; unset means SQLite in the config dir. */
  databaseUrl: string | null;
  ci: boolean;
}

export function loadConfig(overrides: { configDir?: string } = {}, env: NodeJS.ProcessEnv = process.env): Config {
  return {
    configDir: resolve(overrides.configDir ?? env.BITARR_CONFIG_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || null,
    ci: env.CI === 'true',
  };
}
