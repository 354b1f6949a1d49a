// Every folder in plugins/ is a complete plugin: what an author copying any of them would need.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { builtinPluginDir } from '../src/plugin-host/plugin-host.js';
import { validateManifest } from '../src/plugin-host/manifest.js';

const dir = builtinPluginDir();
const folders = readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory());

test('there are built-in plugins, and the template is one of the folders', (t) => {
  t.true(folders.includes('_template'));
  t.true(folders.length > 1);
});

for (const name of folders) {
  test(`plugins/${name} is complete and its manifest valid`, (t) => {
    const folder = join(dir, name);
    const raw = JSON.parse(readFileSync(join(folder, 'plugin.json'), 'utf8')) as Record<string, unknown>;
    // The template's folder name is not a valid id on purpose (the host skips it): check it as its copy would be.
    const check = name === '_template' ? validateManifest({ ...raw, id: 'template' }, 'template') : validateManifest(raw, name);
    t.deepEqual(check.ok ? [] : check.problems, []);
    t.true(existsSync(join(folder, 'index.ts')), 'index.ts');
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    for (const section of [/\bneeds\b/i, /\bgives\b/i, /how to test/i]) t.regex(readme, section, `README.md says ${section}`);
    const tests = existsSync(join(folder, 'test')) ? readdirSync(join(folder, 'test')).filter((f) => f.endsWith('.test.ts')) : [];
    t.true(tests.length > 0, 'has tests in test/*.test.ts');
    t.true(existsSync(join(folder, 'testdata')), 'has a testdata/ folder');
  });
}
