/** `bitarr plugins [--json]`: every plugin found, its state and, when not ready, why. */
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { usageError } from '../domain/errors.js';
import { PluginHost } from '../plugin-host/plugin-host.js';
import { parse } from './args.js';
import { table } from './format.js';

export async function pluginsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'config-dir': { type: 'string' }, json: { type: 'boolean', default: false } });
  if (positionals.length) throw usageError('usage: bitarr plugins [--json]');
  // No database needed: listing plugins must work even when the database cannot be opened.
  const config = loadConfig({ configDir: values['config-dir'] as string | undefined });
  const host = await PluginHost.load({ userDir: join(config.configDir, 'plugins'), log: () => undefined });
  const rows = host.records.map((r) => ({
    id: r.id,
    origin: r.origin,
    state: r.state,
    reasons: r.reasons,
    name: r.manifest?.name ?? null,
    version: r.manifest?.version ?? null,
    provides: r.manifest?.provides ?? [],
    filesystems: r.manifest?.filesystems ?? [],
    platforms: r.manifest?.platforms ?? [],
    privileges: r.manifest?.requires.privileges ?? [],
    dir: r.dir,
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify({ plugins: rows }) + '\n');
    return 0;
  }
  process.stdout.write(
    table([
      ['PLUGIN', 'STATE', 'PROVIDES', 'FILESYSTEMS'],
      ...rows.map((r) => [`${r.id}${r.origin === 'user' ? ' (yours)' : ''}`, r.state, r.provides.join(', '), r.filesystems.length > 4 ? `${r.filesystems.slice(0, 4).join(', ')}, …` : r.filesystems.join(', ')]),
    ]) + '\n',
  );
  for (const r of rows.filter((r) => r.reasons.length)) process.stdout.write(`\n${r.id} (${r.dir}) is ${r.state}:\n${r.reasons.map((x) => `  - ${x}`).join('\n')}\n`);
  return 0;
}
