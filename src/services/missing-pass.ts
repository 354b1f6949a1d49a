/**
 * After a complete walk: baselines under a root that the scan did not see are `missing`, unless a
 * `new` file of the same scan is the same file under another name (same inode, size and mtime
 * where inodes are stable, or same hash and size), which makes the pair one `moved`.
 */
import type { Knex } from 'knex';
import { sameBytes } from '../domain/findings.js';
import type { BaselineRepository, BaselineRow } from '../repositories/baseline.repository.js';
import type { FindingRepository, FindingRow } from '../repositories/finding.repository.js';
import type { ScanWriter } from './scan-writer.js';

export async function markMissingAndMoved(
  db: Knex,
  repos: { baselines: BaselineRepository; findings: FindingRepository },
  writer: ScanWriter,
  scanId: number,
  root: { id: number; path: string },
  relative: (path: string) => string,
  stableInodes: boolean,
): Promise<void> {
  let after = '';
  const claimed = new Set<number>();
  for (;;) {
    const page = await repos.baselines.unseenPage(root.path, scanId, after);
    if (!page.length) return;
    after = page[page.length - 1].path;
    const candidates = await repos.findings.newByInodeOrHash(
      scanId,
      page.map((b) => b.inode),
      page.map((b) => b.hash),
    );
    const moves: Array<{ from: BaselineRow; to: FindingRow }> = [];
    const missing: BaselineRow[] = [];
    for (const b of page) {
      const to = candidates.find((c) => !claimed.has(c.id) && c.rootId === root.id && isSameFile(b, c, stableInodes));
      if (to) {
        claimed.add(to.id);
        moves.push({ from: b, to });
      } else {
        missing.push(b);
      }
    }
    await db.transaction(async (trx) => {
      for (const m of moves) await repos.findings.setStatus(trx, m.to.id, 'moved', `moved from ${relative(m.from.path)}`);
      await repos.baselines.deleteIds(trx, moves.map((m) => m.from.id));
      await repos.baselines.markMissing(trx, missing.map((b) => b.id), scanId);
      await repos.findings.insert(
        trx,
        missing.map((b) => ({
          scanId,
          rootId: root.id,
          path: b.path,
          status: 'missing' as const,
          detail: `not found; last verified ${new Date(Number(b.verifiedAtNs / 1_000_000n)).toISOString()}`,
          size: b.size,
          mtimeNs: b.mtimeNs,
          inode: b.inode,
          hash: b.hash,
        })),
      );
    });
    writer.count('new', -moves.length);
    writer.count('moved', moves.length);
    writer.count('missing', missing.length);
  }
}

function isSameFile(b: BaselineRow, c: FindingRow, stableInodes: boolean): boolean {
  if (c.size !== b.size) return false;
  if (stableInodes && c.inode === b.inode && c.mtimeNs === b.mtimeNs) return true;
  return c.hash !== null && sameBytes(c.hash, b.hash);
}
