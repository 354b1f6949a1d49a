import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import plugin, { parseToolOutput } from '../index.js';

test('the parser reads recorded output', (t) => {
  t.deepEqual(parseToolOutput('a\t4096\t10\na\t8192\t5\n'), new Map([['a', [{ physical: 4096, length: 10 }, { physical: 8192, length: 5 }]]]));
});

test('one missing file is an error entry, the others map', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-template-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a'), 'hello');
  const result = await plugin.sectorMapper!.map({ device: '/dev/null', mountPoint: dir, fsType: 'examplefs', files: [join(dir, 'a'), join(dir, 'gone')] }, createPluginContext(null));
  t.true(result.available);
  if (!result.available) return;
  t.deepEqual(result.files[0], { path: join(dir, 'a'), extents: [{ logical: 0, physical: 0, length: 5 }], note: 'template: not a real mapping' });
  t.regex('error' in result.files[1]! ? result.files[1].error : '', /ENOENT/);
});
