// What the btrfs lab tests share: the plugin with a watched runner, and the byte check that makes
// a merely plausible mapping fail.
import { readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { ExecutionContext } from 'ava';
import { parseFilefrag, type FiemapFile } from '../../../src/shared/fiemap.js';
import type { CommandRunner, DeviceRange, FileMapping, MapRequest, PhysicalExtent, PluginContext, PluginManifest } from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import { run, type Lab } from '../../../test/lab/index.js';
import plugin from '../index.js';

export const manifest = JSON.parse(readFileSync(new URL('../plugin.json', import.meta.url), 'utf8')) as PluginManifest;

export type Extents = { path: string; extents: PhysicalExtent[]; note?: string };

export function hasExtents(mapping: FileMapping | undefined): mapping is Extents {
  return mapping !== undefined && 'extents' in mapping;
}

export function errorOf(mapping: FileMapping | undefined): string {
  return mapping !== undefined && 'error' in mapping ? mapping.error : `no error: ${JSON.stringify(mapping)}`;
}

/** The real runner, watched: every command's arguments and log line, and a hook just before each command starts. */
export function watchedContext(settings: Record<string, number> = {}, before?: (command: string, args: string[]) => Promise<void>) {
  const logs: string[] = [];
  const context: PluginContext = createPluginContext(manifest, settings, (line) => logs.push(line));
  const real = context.run;
  const calls: string[][] = [];
  const watched: CommandRunner = async (command, args, options) => {
    calls.push([command, ...args]);
    await before?.(command, args);
    return real(command, args, options);
  };
  return { context: { ...context, run: watched }, calls, logs };
}

export function request(lab: Lab, rels: string[], extra: Partial<MapRequest> = {}): MapRequest {
  return { device: lab.loop!, mountPoint: lab.mnt, fsType: 'btrfs', files: rels.map((rel) => lab.path(rel)), ...extra };
}

/** Maps `rels` in `lab`, by relative path. Fails the test when the mapper says unavailable. */
export async function mapRels(t: ExecutionContext, lab: Lab, rels: string[], context: PluginContext): Promise<Map<string, FileMapping>> {
  const result = await plugin.sectorMapper!.map(request(lab, rels), context);
  if (!result.available) throw new Error(`mapper said unavailable: ${result.reason}`);
  t.deepEqual(result.files.map((f) => f.path), rels.map((rel) => lab.path(rel)), 'one answer per file, in order');
  return new Map(result.files.map((f, i) => [rels[i]!, f]));
}

/**
 * Problems with one mapping: device bytes that are not the file's, or file bytes not covered.
 * Reads the loop device itself, the block device the offsets are claimed to be on.
 */
export async function byteProblems(device: string, mapping: Extents, content: Buffer, shift = 0): Promise<string[]> {
  const problems: string[] = [];
  const handle = await open(device, 'r');
  try {
    let covered = 0;
    for (const { logical, physical, length } of mapping.extents) {
      if (length <= 0 || logical + length > content.length) problems.push(`${mapping.path}: extent ${logical}+${length} runs past the size ${content.length}`);
      for (let done = 0; done < length; done += 1 << 20) {
        const piece = Math.min(1 << 20, length - done);
        const onDisk = Buffer.alloc(piece);
        await handle.read(onDisk, 0, piece, physical + shift + done);
        if (!onDisk.equals(content.subarray(logical + done, logical + done + piece))) {
          problems.push(`${mapping.path}: ${piece} B at file offset ${logical + done} differ from device offset ${physical + shift + done}`);
          break;
        }
      }
      covered += length;
    }
    if (covered !== content.length) problems.push(`${mapping.path}: ${covered} of ${content.length} bytes mapped`);
  } finally {
    await handle.close();
  }
  return problems;
}

export async function bytesOf(lab: Lab, rel: string): Promise<Buffer> {
  return readFile(lab.path(rel));
}

/** What FIEMAP says about one file, straight from filefrag: btrfs logical addresses. */
export async function rawFiemap(lab: Lab, rel: string): Promise<FiemapFile> {
  const { stdout } = await run('filefrag', ['-v', '-b1', '--', rel], { cwd: lab.mnt });
  return parseFilefrag(stdout, [rel]).get(rel)!;
}

export { blockdevSize, rangeShapeProblems, uncovered, usedBytes } from '../../../test/lab/index.js';
