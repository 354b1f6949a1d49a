/** The recorded smartctl outputs in test/fixtures/smartctl, read once. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/smartctl/', import.meta.url));

export interface Fixture {
  /** folder/file.json */
  name: string;
  path: string;
  text: string;
}

export const allFixtures: Fixture[] = ['scrutiny', 'smartctl_exporter', 'bitarr'].flatMap((dir) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, path: join(FIXTURES, dir, f), text: readFileSync(join(FIXTURES, dir, f), 'utf8') })),
);

export function fixture(name: string): Fixture {
  const found = allFixtures.find((f) => f.name === name || f.name.endsWith(`/${name}`));
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}
