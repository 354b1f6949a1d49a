/** The database page: backups, restore with a confirmation, findings export. */
import { Router } from '@koa/router';
import type { BackupService } from '../../services/backup.service.js';

export function databaseRoutes(_backups: BackupService): Router {
  return new Router();
}
