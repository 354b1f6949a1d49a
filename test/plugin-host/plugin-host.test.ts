// The host on real folders: what a user who drops a plugin into <config-dir>/plugins sees.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../../src/plugin-host/plugin-host.js';

const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  version: '1.0.0',
  apiVersion: 1,
  filesystems: ['myfs'],
  platforms: ['linux'],
  provides: ['sectorMapper'],
  requires: { binaries: [], privileges: [] },
  main: 'index.js',
  config: {},
  ...extra,
});

const MAPPER = `export default { sectorMapper: { map: async () => ({ available: true, files: [] }) } };\n`;

async function userPlugins(t: import('ava').ExecutionContext, plugins: Record<string, { manifest?: unknown; code?: string }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [id, p] of Object.entries(plugins)) {
    await mkdir(join(dir, id));
    if (p.manifest !== undefined) await writeFile(join(dir, id, 'plugin.json'), typeof p.manifest === 'string' ? p.manifest : JSON.stringify(p.manifest));
    if (p.code !== undefined) await writeFile(join(dir, id, 'index.js'), p.code);
  }
  return dir;
}

test('the built-in plugins load and nothing built-in is broken', async (t) => {
  const lines: string[] = [];
  const host = await PluginHost.load({ userDir: null, log: (l) => lines.push(l) });
  const broken = host.records.filter((r) => r.state === 'broken');
  t.deepEqual(broken.map((r) => `${r.id}: ${r.reasons.join('; ')}`), []);
  t.truthy(host.mapperFor('nfs4'), 'network shares have a (no-)mapper');
  t.true(host.detectors().some((r) => r.id === 'network'));
});

test("a user's good plugin loads; each broken one is reported with its reason and the rest still load", async (t) => {
  const dir = await userPlugins(t, {
    good: { manifest: manifest('good'), code: MAPPER },
    'bad-json': { manifest: '{ "id": "bad-json", ' },
    'old-api': { manifest: manifest('old-api', { apiVersion: 0 }), code: MAPPER },
    'wrong-id': { manifest: manifest('other'), code: MAPPER },
    'no-tool': { manifest: manifest('no-tool', { requires: { binaries: ['bitarr-no-such-tool'], privileges: [] } }), code: MAPPER },
    throws: { manifest: manifest('throws'), code: `throw new Error('boom at import');\n` },
    liar: { manifest: manifest('liar', { provides: ['detector'] }), code: MAPPER },
    windows: { manifest: manifest('windows-only', { id: 'windows-only', platforms: ['win32'] }), code: MAPPER },
    nomanifest: {},
  });
  const host = await PluginHost.load({ builtinDir: join(dir, 'none'), userDir: dir, log: () => undefined });
  const state = Object.fromEntries(host.records.map((r) => [r.id, `${r.state}: ${r.reasons.join('; ')}`]));
  t.regex(state.good!, /^ready/);
  t.is(host.mapperFor('myfs')?.id, 'good');
  t.regex(state['bad-json']!, /^broken: plugin.json cannot be read/);
  t.regex(state['old-api']!, /^broken: "apiVersion" 0 is not supported: this Bitarr speaks plugin API 1/);
  t.regex(state['wrong-id']!, /^broken: "id" "other" must equal the folder name "wrong-id"/);
  t.regex(state['no-tool']!, /^unavailable: needs bitarr-no-such-tool, not found on PATH/);
  t.regex(state.throws!, /^broken: index.js failed to load: boom at import/);
  t.regex(state.liar!, /provides "detector" but exports no detector.detect\(\)/);
  t.regex(state.windows!, /"id" "windows-only" must equal the folder name "windows"/);
  t.regex(state.nomanifest!, /^broken: no plugin.json in the folder/);
});

test("a user's plugin cannot take a built-in's id", async (t) => {
  const dir = await userPlugins(t, { network: { manifest: manifest('network'), code: MAPPER } });
  const host = await PluginHost.load({ userDir: dir, log: () => undefined });
  const user = host.records.find((r) => r.origin === 'user');
  t.is(user?.state, 'broken');
  t.regex(user!.reasons.join(), /built-in plugin's; give yours another id/);
  t.is(host.records.find((r) => r.origin === 'builtin' && r.id === 'network')?.state, 'ready');
});

test('a plugin for another platform is inactive, not broken', async (t) => {
  const dir = await userPlugins(t, { win: { manifest: manifest('win', { platforms: ['win32'] }), code: MAPPER } });
  const host = await PluginHost.load({ builtinDir: join(dir, 'none'), userDir: dir, platform: 'linux', log: () => undefined });
  t.is(host.records[0]?.state, 'inactive');
  t.deepEqual(host.records[0]?.reasons, ['made for win32, this is linux']);
});

test('a host loaded for detectors only imports no mapper-only plugin', async (t) => {
  const host = await PluginHost.load({ userDir: null, capabilities: ['detector'], log: () => undefined });
  t.true(host.records.length > 0);
  t.true(host.records.every((r) => r.manifest!.provides.includes('detector')), host.records.map((r) => r.id).join());
  t.is(host.mapperFor('ext4'), null);
});
