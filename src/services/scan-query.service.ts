/** Reading scans, findings and baselines back: `history`, `show`, `files`, and the scan's JSON. */
import type { Knex } from 'knex';
import { notFoundError } from '../domain/errors.js';
import { FINDING_STATUSES, isRecorded, type FindingStatus } from '../domain/findings.js';
import { BaselineRepository, type BaselineRow } from '../repositories/baseline.repository.js';
import { FindingRepository, type FindingRow } from '../repositories/finding.repository.js';
import { ScanRepository, type ScanListFilter, type ScanRootRow, type ScanRow } from '../repositories/scan.repository.js';
import { relativeTo } from './scan-run.js';

export interface ScanSummary {
  scan: ScanRow;
  roots: ScanRootRow[];
  counts: Record<FindingStatus, number>;
}

export interface FindingView {
  path: string;
  root: string;
  status: FindingStatus;
  detail: string | null;
}

export const fullCounts = (c: Record<string, number>) =>
  Object.fromEntries(FINDING_STATUSES.map((s) => [s, c[s] ?? 0])) as Record<FindingStatus, number>;

export class ScanQueryService {
  private readonly scans: ScanRepository;
  private readonly findings: FindingRepository;
  private readonly baselines: BaselineRepository;

  constructor(db: Knex) {
    this.scans = new ScanRepository(db);
    this.findings = new FindingRepository(db);
    this.baselines = new BaselineRepository(db);
  }

  async history(opts: ScanListFilter): Promise<ScanSummary[]> {
    const rows = await this.scans.list(opts);
    const roots = await this.scans.rootsOf(rows.map((r) => r.id));
    return rows.map((scan) => ({ scan, roots: roots.get(scan.id) ?? [], counts: fullCounts(scan.counts) }));
  }

  async summary(id: number): Promise<ScanSummary> {
    const scan = await this.scans.get(id);
    if (!scan) throw notFoundError(`no scan ${id}`);
    return { scan, roots: await this.scans.roots(id), counts: fullCounts(scan.counts) };
  }

  /**
   * A numbered page of a scan's recorded findings (every file but the plain `ok` ones), optionally
   * one status and paths containing `search`. Without a search the total comes from the scan's own
   * counts, so a page of a million-file scan does not count a million rows.
   */
  async findingsPage(id: number, status: FindingStatus | undefined, page: number, perPage: number, search?: string): Promise<{ total: number; items: FindingView[] }> {
    const { roots, counts } = await this.summary(id);
    const rows = await this.findings.offsetPage(id, status, (page - 1) * perPage, perPage, search || undefined);
    const total = search
      ? await this.findings.count(id, status, undefined, search)
      : status
        ? isRecorded(status) ? counts[status] : 0
        : FINDING_STATUSES.filter(isRecorded).reduce((n, s) => n + counts[s], 0);
    return { total, items: rows.map((r) => view(r, roots)) };
  }

  /** The first findings worth a look (not `new` or `touched`), and how many there are. */
  async notable(id: number, limit: number): Promise<{ total: number; items: FindingView[] }> {
    const { roots } = await this.summary(id);
    const except: FindingStatus[] = ['new', 'touched'];
    const rows = await this.findings.page(id, { except, limit });
    return { total: await this.findings.count(id, undefined, except), items: rows.map((r) => view(r, roots)) };
  }

  /** Every recorded finding of a scan, in path order, a page at a time (never all in memory). */
  async *allFindings(id: number): AsyncGenerator<FindingView> {
    const { roots } = await this.summary(id);
    let after: { path: string; id: number } | null = null;
    for (;;) {
      const rows: FindingRow[] = await this.findings.page(id, { after, limit: 5000 });
      if (!rows.length) return;
      for (const r of rows) yield view(r, roots);
      const last = rows[rows.length - 1];
      after = { path: last.path, id: last.id };
    }
  }

  /** The same findings as allFindings, as comma-joined JSON text a page at a time; `connections` pages built at once. */
  findingsJson(id: number, connections = 1): AsyncGenerator<string> {
    return this.findings.jsonPages(id, undefined, connections);
  }

  async files(path: string, page: number, perPage: number): Promise<BaselineRow[]> {
    // Keyset pages: walk to the requested one (pages are cheap index range reads).
    let after: string | null = null;
    let rows: BaselineRow[] = [];
    for (let i = 0; i < page; i++) {
      rows = await this.baselines.listAt(path, after, perPage);
      if (!rows.length) return [];
      after = rows[rows.length - 1].path;
    }
    return rows;
  }
}

function view(r: FindingRow, roots: ScanRootRow[]): FindingView {
  const root = roots.find((x) => x.id === r.rootId)?.path ?? '/';
  return { path: relativeTo(root, r.path), root, status: r.status, detail: r.detail };
}
