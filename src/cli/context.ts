/** What every command needs: config, an open database, this host; plugins and devices on demand. */
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/index.js';
import { PluginHost } from '../plugin-host/plugin-host.js';
import type { PluginCapability } from '../shared/plugin-api.js';
import { openDatabase, type Db } from '../repositories/db.js';
import { DeviceRepository } from '../repositories/device.repository.js';
import { loadHostIdentity, type HostIdentity } from '../repositories/host.repository.js';
import { DeviceService } from '../services/device.service.js';
import { SettingsRepository } from '../repositories/settings.repository.js';
import { SettingsService } from '../services/settings.service.js';

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

/** Built-in plugins and the user's in <config-dir>/plugins. Problems are logged to stderr only with `verbose`. */
export function loadPlugins(config: Config, opts: { capabilities?: PluginCapability[]; log?: (line: string) => void } = {}): Promise<PluginHost> {
  return PluginHost.load({ userDir: join(config.configDir, 'plugins'), capabilities: opts.capabilities, log: opts.log ?? (() => undefined) });
}

export function deviceService(ctx: Context, plugins: PluginHost): DeviceService {
  return new DeviceService(new DeviceRepository(ctx.db), plugins, {
    id: ctx.host.id,
    hostname: ctx.host.hostname,
    addresses: ctx.host.addresses,
    hostnameOverride: ctx.config.hostnameOverride,
    addressOverride: ctx.config.addressOverride,
  }, undefined, (line) => process.stderr.write(`bitarr: ${line}\n`));
}

export function settingsService(ctx: Context): SettingsService {
  return new SettingsService(new SettingsRepository(ctx.db), ctx.config.scanRoots);
}
