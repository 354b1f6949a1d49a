// Finds, validates and loads plugins, and keeps each failure to its plugin: a broken manifest,
// a missing tool or a module that throws is reported with its reason and never stops Bitarr.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BitarrPlugin, PluginCapability, PluginContext, PluginManifest, PluginPlatform } from '../shared/plugin-api.js';
import { findExecutable } from '../repositories/command.js';
import { createPluginContext } from './context.js';
import { validateManifest } from './manifest.js';

export type PluginOrigin = 'builtin' | 'user';

export type PluginState =
  /** Loaded and usable. */
  | 'ready'
  /** Valid, but for another platform. */
  | 'inactive'
  /** Valid, but a required tool is missing: usable once it is installed. */
  | 'unavailable'
  /** The manifest or the module is wrong: the author must fix it. */
  | 'broken';

export interface PluginRecord {
  id: string;
  dir: string;
  origin: PluginOrigin;
  state: PluginState;
  /** Why the plugin is not ready; empty when it is. */
  reasons: string[];
  manifest: PluginManifest | null;
  plugin: BitarrPlugin | null;
  context: PluginContext | null;
}

export interface PluginHostOptions {
  /** Where built-in plugins' folders are (plugin.json, README). */
  builtinDir?: string;
  /** `<config-dir>/plugins`: users' plugins, plain JavaScript. */
  userDir?: string | null;
  platform?: PluginPlatform;
  /** Load only plugins providing one of these (a scan needs detectors, not mappers): less to import at start-up. */
  capabilities?: PluginCapability[];
  log?: (line: string) => void;
}

// Folders in plugins/ that are not plugins: the copy-me template is one only in name.
const NOT_PLUGINS = new Set(['_template', 'node_modules']);

const here = dirname(fileURLToPath(import.meta.url));
// Compiled: dist/src/plugin-host → the package root is three up, built-in code is in dist/plugins.
// From source (tests under tsx): src/plugin-host → two up, code next to plugin.json as .ts.
const compiled = here.split(/[\\/]/).includes('dist');
const packageRoot = resolve(here, compiled ? '../../..' : '../..');

export function builtinPluginDir(): string {
  return join(packageRoot, 'plugins');
}

function builtinModulePath(id: string, main: string): string {
  return compiled ? join(packageRoot, 'dist', 'plugins', id, main) : join(packageRoot, 'plugins', id, main.replace(/\.m?js$/, '.ts'));
}

export class PluginHost {
  readonly records: PluginRecord[] = [];

  private constructor(
    private readonly platform: PluginPlatform,
    private readonly capabilities: PluginCapability[] | null,
  ) {}

  static async load(options: PluginHostOptions = {}): Promise<PluginHost> {
    const host = new PluginHost(options.platform ?? (process.platform as PluginPlatform), options.capabilities ?? null);
    const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
    await host.loadDir(options.builtinDir ?? builtinPluginDir(), 'builtin', log);
    if (options.userDir && existsSync(options.userDir)) await host.loadDir(options.userDir, 'user', log);
    return host;
  }

  ready(): PluginRecord[] {
    return this.records.filter((r) => r.state === 'ready');
  }

  /** Ready detectors, the ones naming filesystems before the catch-all (`*`) ones. */
  detectors(): PluginRecord[] {
    const ds = this.ready().filter((r) => r.plugin?.detector);
    return [...ds.filter((r) => !r.manifest!.filesystems.includes('*')), ...ds.filter((r) => r.manifest!.filesystems.includes('*'))];
  }

  /** The ready sector mapper for a filesystem type, or null. */
  mapperFor(fsType: string): PluginRecord | null {
    return this.mappersFor(fsType)[0] ?? null;
  }

  /**
   * Every ready mapper naming the type, then the catch-all ones. Several can name one type
   * (`fuseblk` is ntfs-3g's and exfat-fuse's): a caller tries the next when one says unavailable.
   */
  mappersFor(fsType: string): PluginRecord[] {
    const mappers = this.ready().filter((r) => r.plugin?.sectorMapper);
    return [...mappers.filter((r) => r.manifest!.filesystems.includes(fsType)), ...mappers.filter((r) => r.manifest!.filesystems.includes('*'))];
  }

  private async loadDir(dir: string, origin: PluginOrigin, log: (line: string) => void): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => !NOT_PLUGINS.has(n) && !n.startsWith('.')).sort();
    } catch (err) {
      log(`plugins: cannot list ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const name of names) {
      const folder = join(dir, name);
      if (!statSync(folder).isDirectory()) continue;
      const record = await this.loadOne(folder, name, origin, log);
      if (record === null) continue;
      this.records.push(record);
      if (record.state !== 'ready') log(`plugins: ${origin} plugin ${name} is ${record.state}: ${record.reasons.join('; ')}`);
    }
  }

  private async loadOne(folder: string, name: string, origin: PluginOrigin, log: (line: string) => void): Promise<PluginRecord | null> {
    const record: PluginRecord = { id: name, dir: folder, origin, state: 'broken', reasons: [], manifest: null, plugin: null, context: null };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(folder, 'plugin.json'), 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      record.reasons.push(e.code === 'ENOENT' ? 'no plugin.json in the folder' : `plugin.json cannot be read: ${e.message}`);
      return record;
    }
    const check = validateManifest(raw, name);
    if (!check.ok) {
      record.reasons.push(...check.problems);
      return record;
    }
    const manifest = (record.manifest = check.manifest);
    if (this.capabilities && !manifest.provides.some((c) => this.capabilities!.includes(c))) return null;
    if (origin === 'user' && this.records.some((r) => r.id === name && r.origin === 'builtin')) {
      record.reasons.push(`the id "${name}" is a built-in plugin's; give yours another id`);
      return record;
    }
    if (!manifest.platforms.includes(this.platform)) {
      record.state = 'inactive';
      record.reasons.push(`made for ${manifest.platforms.join(', ')}, this is ${this.platform}`);
      return record;
    }
    const missing = manifest.requires.binaries.filter((b) => !findExecutable(b));
    if (missing.length) {
      record.state = 'unavailable';
      record.reasons.push(`needs ${missing.join(', ')}, not found on PATH`);
      return record;
    }
    const modulePath = origin === 'builtin' ? builtinModulePath(name, manifest.main) : join(folder, manifest.main);
    try {
      const mod = (await import(pathToFileURL(modulePath).href)) as { default?: BitarrPlugin };
      const plugin = mod.default;
      const problems = checkModule(plugin, manifest);
      if (problems.length) {
        record.reasons.push(...problems);
        return record;
      }
      record.plugin = plugin!;
    } catch (err) {
      record.reasons.push(`${manifest.main} failed to load: ${(err as Error).message}`);
      return record;
    }
    record.context = createPluginContext(manifest, {}, log);
    record.state = 'ready';
    return record;
  }
}

function checkModule(plugin: BitarrPlugin | undefined, manifest: PluginManifest): string[] {
  if (!plugin || typeof plugin !== 'object') return [`${manifest.main} has no default export (an object with detector and/or sectorMapper)`];
  const problems: string[] = [];
  if (manifest.provides.includes('detector') && typeof plugin.detector?.detect !== 'function') problems.push('provides "detector" but exports no detector.detect()');
  if (manifest.provides.includes('sectorMapper') && typeof plugin.sectorMapper?.map !== 'function') problems.push('provides "sectorMapper" but exports no sectorMapper.map()');
  if (plugin.detector && !manifest.provides.includes('detector')) problems.push('exports a detector that plugin.json does not list in "provides"');
  if (plugin.sectorMapper && !manifest.provides.includes('sectorMapper')) problems.push('exports a sectorMapper that plugin.json does not list in "provides"');
  return problems;
}
