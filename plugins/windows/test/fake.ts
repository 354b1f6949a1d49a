// What stands in for Windows here: recorded outputs, and a `run` that answers with them.
import { readFileSync } from 'node:fs';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import type { CommandRunner, PluginContext } from '../../../src/shared/plugin-api.js';

export function testdata(name: string): string {
  return readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
}

export interface Call {
  command: string;
  args: string[];
}

/** A plugin context whose `run` records each call and answers with `answer(call)`. */
export function fakeContext(answer: (call: Call, index: number) => string | Promise<string>, settings: Record<string, number | string> = {}): { context: PluginContext; calls: Call[]; logs: string[] } {
  const calls: Call[] = [];
  const logs: string[] = [];
  const run: CommandRunner = async (command, args) => {
    const call = { command, args };
    calls.push(call);
    return { stdout: await answer(call, calls.length - 1), stderr: '' };
  };
  const context = { ...createPluginContext(null, settings, (line) => logs.push(line)), run };
  return { context, calls, logs };
}

/** The file list a mapping batch script carries, decoded the way the script decodes it. */
export function batchFiles(script: string): string[] {
  const m = /FromBase64String\('([A-Za-z0-9+/=]*)'\)/.exec(script);
  if (!m) throw new Error('no file list in the script');
  return Buffer.from(m[1]!, 'base64').toString('utf8').split('\n');
}

export interface RecordedFile {
  length: number;
  attributes?: number;
  /** fsutil's output, recorded. */
  fsutil?: string;
  exitCode?: number;
  /** Get-Item failed with this message instead. */
  itemError?: string;
}

/**
 * What the batch script prints for these files, framed with its markers and CRLF line ends as a
 * Windows console pipe delivers them. The framing is the script's (batch.ts); every fsutil text
 * inside it is a recorded output.
 */
export function batchStdout(
  script: string,
  files: Record<string, RecordedFile>,
  options: { admin?: boolean; ntfsinfo?: string; partition?: string; cutAfter?: number } = {},
): string {
  const lines: string[] = [`<<bitarr:admin:${options.admin === false ? 'False' : 'True'}>>`];
  if (options.admin === false) return [...lines, '<<bitarr:end>>', ''].join('\r\n');
  if (script.includes('fsinfo ntfsinfo')) {
    lines.push('<<bitarr:ntfsinfo>>', ...(options.ntfsinfo ?? testdata('fsutil-ntfsinfo-win10.txt')).trimEnd().split('\n'), '<<bitarr:exit:0>>');
  }
  if (script.includes('Get-Partition') && options.partition) lines.push(`<<bitarr:partition:${options.partition}>>`);
  const names = batchFiles(script);
  for (const [i, name] of names.entries()) {
    if (options.cutAfter !== undefined && i >= options.cutAfter) return lines.join('\r\n');
    const file = files[name];
    lines.push(`<<bitarr:file:${i}>>`);
    if (!file || file.itemError) {
      lines.push(`<<bitarr:item-error:${file?.itemError ?? `Cannot find path '${name}' because it does not exist.`}>>`);
      continue;
    }
    lines.push(`<<bitarr:item:${file.length}:${file.attributes ?? 32}>>`, ...(file.fsutil ?? '').trimEnd().split('\n'), `<<bitarr:exit:${file.exitCode ?? 0}>>`);
  }
  lines.push('<<bitarr:end>>', '');
  return lines.join('\r\n');
}
