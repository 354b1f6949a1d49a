/**
 * `bitarr smart parse FILE [--json]`: the verdict, score and reasons for a saved smartctl JSON.
 * Also how users send problem reports, so any smartctl output (an error, --info, --scan) gets an
 * answer and exit 0; only a file that is not smartctl JSON at all is an error (exit 2).
 */
import { readFile, stat } from 'node:fs/promises';
import { assessHealth, parseSmartctlJson, type HealthAssessment, type HealthReason, type NoHealthData, type SmartReport } from '../domain/health/index.js';
import { BitarrError, notFoundError, usageError } from '../domain/errors.js';
import { parse } from './args.js';
import { bytes } from './format.js';

const USAGE = 'usage: bitarr smart parse FILE [--json]';
// smartctl -x of a SAS disk with full logs is under 1 MB; anything this big is something else.
const MAX_FILE_BYTES = 64 << 20;

export async function smartCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'parse') throw usageError(sub ? `unknown smart command "${sub}"; ${USAGE}` : USAGE);
  const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false }, 'config-dir': { type: 'string' } });
  if (positionals.length !== 1) throw usageError(USAGE);
  const file = positionals[0];
  const parsed = parseSmartctlJson(decodeText(await readSmall(file)));
  if (parsed.kind === 'not_smartctl_json') throw usageError(`${file} is not smartctl JSON: ${parsed.message}`);
  const assessment = assessHealth(parsed);
  process.stdout.write(values.json ? JSON.stringify(toJson(parsed, assessment)) + '\n' : toText(parsed, assessment));
  return 0;
}

async function readSmall(file: string): Promise<Buffer> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw usageError(`${file} is a directory, not a smartctl JSON file`);
    if (info.size > MAX_FILE_BYTES) throw usageError(`${file} is ${bytes(info.size)}: too large to be smartctl JSON`);
    return await readFile(file);
  } catch (err) {
    if (err instanceof BitarrError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFoundError(`no such file: ${file}`);
    throw new BitarrError('environment', `cannot read ${file}: ${code ?? (err as Error).message}`, { cause: err });
  }
}

/** `smartctl -j > file` in Windows PowerShell writes UTF-16 with a byte-order mark. */
function decodeText(data: Buffer): string {
  if (data[0] === 0xff && data[1] === 0xfe) return data.subarray(2).toString('utf16le');
  if (data[0] === 0xfe && data[1] === 0xff) return Buffer.from(data.subarray(2)).swap16().toString('utf16le');
  return data.toString('utf8');
}

function toJson(parsed: SmartReport | NoHealthData, a: HealthAssessment) {
  const id = parsed.identity;
  return {
    verdict: a.verdict,
    score: a.score,
    reasons: a.reasons,
    device: {
      protocol: id.protocol, model: id.model, serial: id.serial, wwn: id.wwn, firmware: id.firmware,
      capacityBytes: id.capacityBytes, rotationRate: id.rotationRate, name: id.name, type: id.type,
    },
    metrics: a.metrics,
  };
}

function toText(parsed: SmartReport | NoHealthData, a: HealthAssessment): string {
  const id = parsed.identity;
  const what = [id.model, id.serial ? `serial ${id.serial}` : null, id.protocol, id.infoName ?? id.name].filter(Boolean).join(', ');
  const lines = [what || 'unknown device', `verdict: ${a.verdict}, score ${a.score}/100`];
  if (!a.reasons.length) lines.push('  nothing against this drive');
  for (const r of a.reasons) lines.push(...reasonLines(r));
  return lines.join('\n') + '\n';
}

function reasonLines(r: HealthReason): string[] {
  const lines = [`  ${r.severity.padEnd(8)} ${r.message}${r.penalty ? ` (-${r.penalty})` : ''}`];
  if (r.advice && r.severity !== 'info') lines.push(`           → ${r.advice}`);
  return lines;
}
