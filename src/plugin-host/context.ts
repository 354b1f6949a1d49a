import type { PluginContext, PluginManifest } from '../shared/plugin-api.js';
import { runCommand } from '../repositories/command.js';

/** What a plugin is handed: the shared command runner, its settings with defaults, and a log line prefixed with its id. */
export function createPluginContext(
  manifest: Pick<PluginManifest, 'id' | 'config'> | null,
  settings: Record<string, string | number | boolean> = {},
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): PluginContext {
  const config: Record<string, string | number | boolean> = {};
  for (const [key, field] of Object.entries(manifest?.config ?? {})) {
    if (field.default !== undefined) config[key] = field.default;
  }
  Object.assign(config, settings);
  const id = manifest?.id ?? 'plugin';
  return {
    run: runCommand,
    config,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    log: (message) => log(`[${id}] ${message}`),
  };
}
