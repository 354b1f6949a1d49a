/** What every command needs: config, an open database, this host. */
import { loadConfig, type Config } from '../config/index.js';
import { openDatabase, type Db } from '../repositories/db.js';
import { loadHostIdentity, type HostIdentity } from '../repositories/host.repository.js';

export interface Context {
  config: Config;
  db: Db;
  host: HostIdentity;
}

export async function openContext(configDir: string | undefined): Promise<Context> {
  const config = loadConfig({ configDir });
  const db = await openDatabase(config);
  return { config, db, host: loadHostIdentity(config.configDir) };
}
