/**
 * Baselines on their way to SQLite as one JSON text: `[[path, size, mtime, ctime, inode,
 * "hash hex", verifiedAt], …]` (BaselineRepository.upsertJson). Built by the main thread and, for
 * files a worker settles as `new` by itself, by the hashing workers; so it is plain string work
 * (sql.ts imports knex only as a type). Integers are written as JSON numbers: SQLite's JSON
 * reads them as 64-bit integers, exactly (nanosecond times are beyond 2^53).
 */
import { inodeToSql } from './sql.js';

export class JsonRows {
  private parts: string[] = [];

  get count() {
    return this.parts.length;
  }

  add(path: string, size: bigint, mtimeNs: bigint, ctimeNs: bigint, inode: bigint, hashHex: string, verifiedAtNs: bigint) {
    // JSON.stringify escapes quotes and control characters; names are never lone surrogates.
    this.parts.push(`[${JSON.stringify(path)},${size},${mtimeNs},${ctimeNs},${inodeToSql(inode)},"${hashHex}",${verifiedAtNs}]`);
  }

  text(): string {
    return `[${this.parts.join(',')}]`;
  }
}
