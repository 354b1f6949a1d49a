// A copy-me sector mapper. It "maps" each file to one extent at offset 0, which is only true of
// nothing: replace `mapOne` with what your filesystem's tool says. Keep parsing in a pure function
// (here `parseToolOutput`) so recorded outputs in testdata/ test it.
import { stat } from 'node:fs/promises';
import type { BitarrPlugin, FileMapping } from '../../src/shared/plugin-api.js';

/** Pure: one line `path<TAB>physical<TAB>length` per extent, as a made-up tool would print. */
export function parseToolOutput(output: string): Map<string, { physical: number; length: number }[]> {
  const out = new Map<string, { physical: number; length: number }[]>();
  for (const line of output.split('\n')) {
    const [path, physical, length] = line.split('\t');
    if (!path || physical === undefined || length === undefined) continue;
    const list = out.get(path) ?? [];
    list.push({ physical: Number(physical), length: Number(length) });
    out.set(path, list);
  }
  return out;
}

async function mapOne(path: string): Promise<FileMapping> {
  try {
    const { size } = await stat(path);
    return { path, extents: size ? [{ logical: 0, physical: 0, length: size }] : [], note: 'template: not a real mapping' };
  } catch (err) {
    // One file's problem is that file's entry, never the whole batch's.
    return { path, error: (err as Error).message };
  }
}

const plugin: BitarrPlugin = {
  sectorMapper: {
    async map(request) {
      return { available: true, files: await Promise.all(request.files.map(mapOne)) };
    },
  },
};

export default plugin;
