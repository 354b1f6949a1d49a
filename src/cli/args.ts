/** Argument parsing (node:util parseArgs) with errors turned into usage errors, and JSON output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../domain/errors.js';

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message.split('\n')[0]);
  }
}

const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/**
 * Writes `{...head, [key]: [items...]}` as one JSON object without holding the items in memory:
 * the items come already serialised, comma-joined, a chunk at a time (a first scan lists every file).
 */
export async function writeJsonChunks(out: NodeJS.WritableStream, head: object, key: string, chunks: AsyncIterable<string>) {
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  const headText = JSON.stringify(head, replacer);
  await write(`${headText.slice(0, -1)}${headText.length > 2 ? ',' : ''}${JSON.stringify(key)}:[`);
  let first = true;
  for await (const chunk of chunks) {
    await write((first ? '' : ',') + chunk);
    first = false;
  }
  await write(']}\n');
}

export function positiveInt(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a whole number of 1 or more`);
  return n;
}

/** `50M`, `1.5G`, `800k` or plain bytes, per second; `0` is unlimited. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?(?:\/s)?$/i.exec(text.trim());
  if (!m) throw usageError(`--max-rate takes bytes per second like 50M or 1.5G, not "${text}"`);
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}
