/** `bitarr map FILE... [--json]`: where each file's bytes are on its block device. */
import { readFileSync } from 'node:fs';
import { usageError } from '../domain/errors.js';
import { SectorMapService } from '../services/sector-map.service.js';
import { parse } from './args.js';
import { deviceService, loadPlugins, openContext } from './context.js';

const SECTOR = 512;

export async function mapCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'config-dir': { type: 'string' }, 'files-from': { type: 'string' }, json: { type: 'boolean', default: false } });
  const paths = [...positionals, ...(values['files-from'] !== undefined ? readList(values['files-from'] as string) : [])];
  if (!paths.length) throw usageError('usage: bitarr map FILE... [--files-from LIST|-] [--json]');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const plugins = await loadPlugins(ctx.config);
    const service = new SectorMapService(plugins, deviceService(ctx, plugins));
    const files = await service.map(service.resolveFiles(paths));
    const unmapped = files.filter((f) => f.error !== null).length;
    if (values.json) {
      process.stdout.write(
        JSON.stringify({
          files: files.map((f) => ({
            path: f.path,
            device: f.device,
            deviceId: f.deviceId,
            fsType: f.fsType,
            mapper: f.mapper,
            extents: f.extents.map((e) => ({ ...e, sector: Math.floor(e.physical / SECTOR), sectors: Math.ceil(((e.physical % SECTOR) + e.length) / SECTOR) })),
            note: f.note,
            error: f.error,
          })),
        }) + '\n',
      );
    } else {
      for (const f of files) {
        process.stdout.write(`${f.path}  on ${f.device ?? '?'} (${f.fsType ?? '?'})\n`);
        if (f.error) process.stdout.write(`  cannot map: ${f.error}\n`);
        else if (!f.extents.length) process.stdout.write(`  no extents of its own${f.note ? `: ${f.note}` : ''}\n`);
        for (const e of f.extents) {
          const first = Math.floor(e.physical / SECTOR);
          const last = Math.floor((e.physical + e.length - 1) / SECTOR);
          process.stdout.write(`  bytes ${e.logical}+${e.length}  at device byte ${e.physical}  sectors ${first}-${last}\n`);
        }
        if (f.note && f.extents.length) process.stdout.write(`  note: ${f.note}\n`);
      }
    }
    // 1 when some file could not be placed: a script must not take a partial map for a whole one.
    return unmapped ? 1 : 0;
  } finally {
    await ctx.db.destroy();
  }
}

/** One path a line (`-`: standard input), for more files than a command line holds. */
function readList(source: string): string[] {
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8').split('\n').filter((line) => line !== '');
  } catch (err) {
    throw usageError(`cannot read the file list ${source}: ${(err as Error).message}`);
  }
}
