/**
 * Reading and changing the appliance's settings. Scan roots set by the deployment
 * (BITARR_SCAN_ROOTS) win over the stored ones and cannot be changed from the UI.
 */
import { realpath } from 'node:fs/promises';
import { usageError } from '../domain/errors.js';
import { insideRoots, settingsFromStored, validateSettings, type Settings } from '../domain/settings.js';
import type { SettingsRepository } from '../repositories/settings.repository.js';

export class SettingsService {
  constructor(
    private readonly repo: SettingsRepository,
    /** BITARR_SCAN_ROOTS, or null when the UI decides. */
    private readonly fixedScanRoots: string[] | null,
  ) {}

  get scanRootsFixed(): boolean {
    return this.fixedScanRoots !== null;
  }

  async get(): Promise<Settings> {
    const settings = settingsFromStored(await this.repo.all());
    return this.fixedScanRoots ? { ...settings, scanRoots: this.fixedScanRoots } : settings;
  }

  /** Applies a partial update; every problem is reported together (usage error) and nothing changes. */
  async update(input: Record<string, unknown>, who: string): Promise<Settings> {
    const current = await this.get();
    const { settings, problems } = validateSettings(input, current);
    if (this.fixedScanRoots && input.scanRoots !== undefined && settings.scanRoots.join('\n') !== this.fixedScanRoots.join('\n')) {
      problems.push({ key: 'scanRoots', message: 'scan roots are set by BITARR_SCAN_ROOTS for this deployment; change it there' });
    }
    if (problems.length) throw Object.assign(usageError(problems.map((p) => p.message).join('; ')), { problems });
    const changed = Object.fromEntries(Object.entries(settings).filter(([k, v]) => input[k] !== undefined && !(k === 'scanRoots' && this.fixedScanRoots) && JSON.stringify(v) !== JSON.stringify(current[k as keyof Settings])));
    if (Object.keys(changed).length) await this.repo.save(changed, who);
    return this.get();
  }

  /**
   * The resolved path of `path` when it is inside a configured scan root; a usage error saying
   * which roots are allowed otherwise. Symlinks are resolved first, so a link cannot lead out.
   */
  async allowedRoot(path: string): Promise<string> {
    const roots = (await this.get()).scanRoots;
    if (!roots.length) throw usageError('no scan roots are configured: an admin adds the folders Bitarr may scan in Settings (or BITARR_SCAN_ROOTS)');
    if (typeof path !== 'string' || !path.startsWith('/')) throw usageError(`"${path}" is not an absolute path`);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw usageError(`${path} does not exist or cannot be read`);
    }
    const resolvedRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
    if (!insideRoots(real, resolvedRoots)) throw usageError(`${path} is outside the folders Bitarr may scan (${roots.join(', ')})`);
    return real;
  }
}
