/** Database backups (SQLite online backup), restore with confirmation, and findings export. */
import type { Config } from '../config/index.js';
import type { Db } from '../repositories/db.js';

export class BackupService {
  constructor(
    readonly db: Db,
    readonly config: Config,
  ) {}
}
