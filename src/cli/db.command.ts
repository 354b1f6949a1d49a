/**
 * `bitarr db backup|list|restore NAME [--yes] [--json]`: backups of the database in
 * <config-dir>/backups through SQLite's online backup (safe while a scan or `bitarr serve` runs),
 * and restore. Restoring while `bitarr serve` runs is the user's call; it is refused while a scan
 * is running (a scan row whose process still beats).
 */
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/index.js';
import { BitarrError, usageError } from '../domain/errors.js';
import { BackupService, refusePostgres, type BackupInfo, type DatabaseSummary } from '../services/backup.service.js';
import { parse } from './args.js';
import { openContext } from './context.js';
import { bytes, int, table } from './format.js';

const USAGE = 'usage: bitarr db backup|list|restore NAME [--yes] [--json]';

const schema = (s: DatabaseSummary) => (s.migrations.length ? `${s.migrations.length} (${s.migrations.at(-1)})` : 'none');

function listing(backups: BackupInfo[]): string {
  if (!backups.length) return 'No backups yet. Make one with: bitarr db backup\n';
  const rows = [['NAME', 'TAKEN', 'SIZE', 'MIGRATIONS', 'SCANS', 'BASELINES', 'EVENTS', 'NEWEST SCAN']];
  for (const b of backups) {
    const s = b.summary;
    const taken = b.createdAt.replace('T', ' ').slice(0, 19);
    rows.push(s ? [b.name, taken, bytes(b.size), schema(s), int(s.scans), int(s.baselines), int(s.events), s.newestScanAt ?? 'none'] : [b.name, taken, bytes(b.size), `unusable: ${b.problem}`]);
  }
  return table(rows) + '\n';
}

function comparison(current: DatabaseSummary, backup: BackupInfo): string {
  const b = backup.summary;
  const row = (label: string, now: string, then: string | null) => [label, now, then ?? '—'];
  return table([
    ['', 'NOW (REPLACED)', `BACKUP ${backup.name}`],
    row('migrations', schema(current), b && schema(b)),
    row('scans', int(current.scans), b && int(b.scans)),
    row('baselines', int(current.baselines), b && int(b.baselines)),
    row('bitrot events', int(current.events), b && int(b.events)),
    row('newest scan', current.newestScanAt ?? 'none', b && (b.newestScanAt ?? 'none')),
  ]) + '\n';
}

/** Without --yes the user types the backup's name, as in the web form; without a terminal, --yes is required. */
async function confirmation(name: string, yes: boolean): Promise<string> {
  if (yes) return name;
  if (!process.stdin.isTTY) throw usageError(`restoring replaces the database: add --yes, or run it in a terminal to confirm`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(`Type ${name} to replace the current database with it: `);
  } finally {
    rl.close();
  }
}

export async function dbCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    yes: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const [action, name, ...extra] = positionals;
  const wanted = action === 'restore' ? 1 : 0;
  if (!action || !['backup', 'list', 'restore'].includes(action) || (name === undefined ? 0 : 1) + extra.length !== wanted) throw usageError(USAGE);
  if (values.yes && action !== 'restore') throw usageError('--yes goes with restore');
  const configDir = values['config-dir'] as string | undefined;
  // Before opening anything: a PostgreSQL database is not ours to copy.
  refusePostgres(loadConfig({ configDir }));
  const ctx = await openContext(configDir);
  try {
    const service = new BackupService(ctx.db, ctx.config);
    const out = (json: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(json) + '\n' : text);
    if (action === 'backup') {
      const made = await service.create();
      out({ backup: made }, `Backup ${made.name} written and checked (${bytes(made.size)}) in ${service.backupsDir}\n`);
    } else if (action === 'list') {
      const backups = await service.list();
      out({ current: await service.current(), backups }, listing(backups));
    } else {
      const plan = await service.plan(name!);
      if (!values.json) process.stdout.write(comparison(plan.current, plan.backup));
      if (plan.refusal) throw new BitarrError('conflict', plan.refusal);
      const done = await service.restore(name!, await confirmation(plan.backup.name, values.yes as boolean));
      out(done, `Restored ${done.restored.name}. The database as it was before is saved as ${done.preRestore.name}; to undo: bitarr db restore ${done.preRestore.name} --yes\n`);
    }
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}
