// plugin.json validation. Pure: given the parsed JSON and the folder name, every problem is
// listed at once, so an author fixes a manifest in one round instead of one error at a time.
import { PLUGIN_API_VERSION, type PluginCapability, type PluginConfigField, type PluginManifest, type PluginPlatform } from '../shared/plugin-api.js';

const PLATFORMS: readonly PluginPlatform[] = ['linux', 'win32', 'darwin'];
const CAPABILITIES: readonly PluginCapability[] = ['detector', 'sectorMapper'];
const FIELD_TYPES = ['string', 'number', 'boolean'] as const;
const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

export type ManifestCheck = { ok: true; manifest: PluginManifest } | { ok: false; problems: string[] };

export function validateManifest(raw: unknown, folderName: string): ManifestCheck {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: ['plugin.json is not a JSON object'] };
  const m = raw as Record<string, unknown>;

  const text = (key: string): string => {
    const v = m[key];
    if (typeof v !== 'string' || v.trim() === '') problems.push(`"${key}" must be a non-empty string`);
    return typeof v === 'string' ? v : '';
  };
  const list = <T extends string>(value: unknown, key: string, allowed?: readonly T[], allowEmpty = false): T[] => {
    if (!Array.isArray(value) || value.some((x) => typeof x !== 'string' || x === '')) {
      problems.push(`"${key}" must be a list of strings`);
      return [];
    }
    if (!allowEmpty && value.length === 0) problems.push(`"${key}" must not be empty`);
    const bad = allowed ? value.filter((x) => !allowed.includes(x as T)) : [];
    if (bad.length) problems.push(`"${key}" has unknown value(s) ${bad.map((b) => JSON.stringify(b)).join(', ')}; known: ${allowed!.join(', ')}`);
    return value as T[];
  };

  const id = text('id');
  if (id && !ID.test(id)) problems.push(`"id" ${JSON.stringify(id)} must be lowercase letters, digits and '-'`);
  if (id && id !== folderName) problems.push(`"id" ${JSON.stringify(id)} must equal the folder name ${JSON.stringify(folderName)}`);
  const name = text('name');
  const version = text('version');
  if (version && !SEMVER.test(version)) problems.push(`"version" ${JSON.stringify(version)} is not semver (1.2.3)`);
  const apiVersion = m.apiVersion;
  if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) problems.push('"apiVersion" must be an integer');
  else if (apiVersion !== PLUGIN_API_VERSION) {
    problems.push(`"apiVersion" ${apiVersion} is not supported: this Bitarr speaks plugin API ${PLUGIN_API_VERSION}`);
  }
  const filesystems = list<string>(m.filesystems, 'filesystems');
  const platforms = list(m.platforms, 'platforms', PLATFORMS);
  const provides = list(m.provides, 'provides', CAPABILITIES);

  const requires = m.requires;
  let binaries: string[] = [];
  let privileges: string[] = [];
  if (typeof requires !== 'object' || requires === null || Array.isArray(requires)) problems.push('"requires" must be an object with "binaries" and "privileges"');
  else {
    const r = requires as Record<string, unknown>;
    binaries = list<string>(r.binaries, 'requires.binaries', undefined, true);
    privileges = list<string>(r.privileges, 'requires.privileges', undefined, true);
    const bad = binaries.filter((b) => b.includes('/') && !b.startsWith('/'));
    if (bad.length) problems.push(`"requires.binaries" must be names on PATH or absolute paths: ${bad.join(', ')}`);
  }

  const main = m.main === undefined ? 'index.js' : m.main;
  if (typeof main !== 'string' || !/\.(m?js)$/.test(main) || main.startsWith('/') || main.split(/[\\/]/).includes('..')) {
    problems.push('"main" must be a .js/.mjs file inside the plugin folder');
  }

  const config: Record<string, PluginConfigField> = {};
  if (m.config !== undefined) {
    if (typeof m.config !== 'object' || m.config === null || Array.isArray(m.config)) problems.push('"config" must be an object of fields');
    else {
      for (const [key, field] of Object.entries(m.config as Record<string, unknown>)) {
        const f = field as Record<string, unknown> | null;
        const type = f?.type as (typeof FIELD_TYPES)[number];
        if (!f || typeof f !== 'object' || !FIELD_TYPES.includes(type)) {
          problems.push(`"config.${key}.type" must be one of ${FIELD_TYPES.join(', ')}`);
          continue;
        }
        if (typeof f.description !== 'string' || !f.description) problems.push(`"config.${key}.description" must say what the setting does`);
        if (f.default !== undefined && typeof f.default !== type) problems.push(`"config.${key}.default" must be a ${type}`);
        config[key] = { type, description: String(f.description ?? ''), ...(f.default !== undefined ? { default: f.default as string | number | boolean } : {}) };
      }
    }
  }

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    manifest: { id, name, version, apiVersion: apiVersion as number, filesystems, platforms, provides, requires: { binaries, privileges }, main: main as string, config },
  };
}
