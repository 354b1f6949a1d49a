/** `bitarr files PATH [--page N] [--json]`: what Bitarr knows of each file at or below PATH. */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { usageError } from '../domain/errors.js';
import { ScanQueryService } from '../services/scan-query.service.js';
import { parse, positiveInt } from './args.js';
import { openContext } from './context.js';
import { isoFromNs } from './format.js';
import { displayPath } from '../domain/path-bytes.js';

const PER_PAGE = 1000;

export async function filesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'config-dir': { type: 'string' }, page: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw usageError('usage: bitarr files PATH [--page N] [--json]');
  const page = positiveInt(values.page, '--page');
  // A file that is gone is still worth asking about: fall back to the plain absolute path.
  const path = await realpath(positionals[0]).catch(() => resolve(positionals[0]));
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const rows = await new ScanQueryService(ctx.db).files(path, page, PER_PAGE);
    const items = rows.map((b) => ({
      path: b.path,
      kind: b.kind,
      size: Number(b.size),
      mtime: isoFromNs(b.mtimeNs),
      lastVerifiedGood: isoFromNs(b.verifiedAtNs),
      algorithm: b.algorithm,
      hash: b.hash.toString('hex'),
      firstScan: b.firstScanId,
      lastSeenScan: b.lastSeenScanId,
      missingSinceScan: b.missingSinceScanId,
    }));
    if (values.json) {
      process.stdout.write(JSON.stringify({ path, page, files: items }) + '\n');
      return 0;
    }
    if (!items.length) {
      process.stdout.write(page === 1 ? `Bitarr knows no files at ${path}. Scan it first: bitarr scan ${path}\n` : 'No more files.\n');
      return 0;
    }
    for (const f of items) {
      const state = f.missingSinceScan ? `missing since scan ${f.missingSinceScan}` : `last verified good ${f.lastVerifiedGood}`;
      process.stdout.write(`${displayPath(f.path)}\n  ${f.size} bytes, ${state}, ${f.algorithm} ${f.hash}\n`);
    }
    if (items.length === PER_PAGE) process.stdout.write(`… more: bitarr files ${positionals[0]} --page ${page + 1}\n`);
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}
