/**
 * After a complete walk: baselines under a root that the scan did not see are `missing`, unless a
 * `new` file of the same scan is the same file under another name (same inode, size and mtime
 * where inodes are stable, or same hash and size), which makes the pair one `moved`.
 *
 * Missing baselines are taken a group at a time and matched in memory against a pass over the
 * scan's `new` findings, so no index on inode or hash has to be paid for by every insert.
 */
import type { Knex } from 'knex';
import type { BaselineRepository, BaselineRow } from '../repositories/baseline.repository.js';
import type { FindingRepository, FindingRow } from '../repositories/finding.repository.js';
import type { ScanWriter } from './scan-writer.js';

const GROUP = 20_000;

export async function markMissingAndMoved(
  db: Knex,
  repos: { baselines: BaselineRepository; findings: FindingRepository },
  writer: ScanWriter,
  scanId: number,
  root: { id: number; path: string },
  relative: (path: string) => string,
  stableInodes: boolean,
): Promise<void> {
  const claimed = new Set<number>();
  let after = '';
  for (;;) {
    const group: BaselineRow[] = [];
    while (group.length < GROUP) {
      const page = await repos.baselines.unseenPage(root.path, scanId, after);
      if (!page.length) break;
      group.push(...page);
      after = page[page.length - 1].path;
    }
    if (!group.length) return;
    const moves = (writer.counts.new ?? 0) > 0 ? await findMoves(repos.findings, scanId, root.id, group, claimed, stableInodes) : new Map<number, FindingRow>();
    const missing = group.filter((b) => !moves.has(b.id));
    const byId = new Map(group.map((b) => [b.id, b]));
    await db.transaction(async (trx) => {
      for (const [baselineId, to] of moves) {
        await repos.findings.setStatus(trx, to.id, 'moved', `moved from ${relative(byId.get(baselineId)!.path)}`);
      }
      await repos.baselines.deleteIds(trx, [...moves.keys()]);
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
    writer.count('new', -moves.size);
    writer.count('moved', moves.size);
    writer.count('missing', missing.length);
  }
}

/** baseline id → the `new` finding that is the same file. */
async function findMoves(
  findings: FindingRepository,
  scanId: number,
  rootId: number,
  group: BaselineRow[],
  claimed: Set<number>,
  stableInodes: boolean,
): Promise<Map<number, FindingRow>> {
  const byInode = new Map<string, BaselineRow[]>();
  const byHash = new Map<string, BaselineRow[]>();
  const add = (m: Map<string, BaselineRow[]>, k: string, b: BaselineRow) => m.set(k, [...(m.get(k) ?? []), b]);
  for (const b of group) {
    if (stableInodes) add(byInode, `${b.inode}:${b.size}:${b.mtimeNs}`, b);
    add(byHash, `${b.hash.toString('hex')}:${b.size}`, b);
  }
  const moves = new Map<number, FindingRow>();
  const take = (list: BaselineRow[] | undefined) => list?.find((b) => !moves.has(b.id));
  let cursor: { path: string; id: number } | null = null;
  for (;;) {
    const page = await findings.page(scanId, { status: 'new', after: cursor, limit: 2000 });
    if (!page.length) return moves;
    cursor = { path: page[page.length - 1].path, id: page[page.length - 1].id };
    for (const f of page) {
      if (f.rootId !== rootId || claimed.has(f.id) || f.size === null) continue;
      const from =
        (stableInodes && f.inode !== null ? take(byInode.get(`${f.inode}:${f.size}:${f.mtimeNs}`)) : undefined) ??
        (f.hash ? take(byHash.get(`${f.hash.toString('hex')}:${f.size}`)) : undefined);
      if (!from) continue;
      moves.set(from.id, f);
      claimed.add(f.id);
    }
  }
}
