// How this plugin talks to PowerShell, and how it reads what ConvertTo-Json gives back. Pure.
//
// Every script is passed with -Command and written without double quotes: a Windows command line
// is re-parsed by powershell.exe, and a double quote inside it would end the argument early.
// Single-quoted PowerShell strings only need a quote doubled; paths travel as base64 so not even
// that is needed for them.
import type { PluginContext } from '../../src/shared/plugin-api.js';

export const DEFAULT_POWERSHELL = 'powershell.exe';

export function powershellBinary(context: PluginContext): string {
  const configured = context.config.powershell;
  return typeof configured === 'string' && configured.trim() ? configured.trim() : DEFAULT_POWERSHELL;
}

export function powershellArgs(script: string): string[] {
  if (script.includes('"')) throw new Error('a PowerShell script for -Command must not contain a double quote');
  return ['-NoProfile', '-NonInteractive', '-Command', script];
}

/** A PowerShell single-quoted literal. PowerShell also takes the typographic single quotes as quotes. */
export function psQuote(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** Statements joined into the one line -Command gets. */
export function psLine(...statements: string[]): string {
  return statements.join('; ');
}

/** Output as UTF-8 (labels and paths are Unicode), no progress records, and whether we are elevated. */
export const PS_PRELUDE = psLine(
  "$ProgressPreference = 'SilentlyContinue'",
  'try { [Console]::OutputEncoding = [Text.Encoding]::UTF8 } catch { }',
  '$isAdmin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)',
);

/** The JSON object in PowerShell's stdout: a UTF-8 BOM or a warning line may come before it. */
export function extractJson(stdout: string): unknown {
  const text = stdout.replace(/^\uFEFF/, '');
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`PowerShell printed no JSON object: ${JSON.stringify(text.trim().slice(0, 200))}`);
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new Error(`PowerShell printed JSON that does not parse (${(error as Error).message}): ${JSON.stringify(text.slice(start, start + 200))}`);
  }
}

/**
 * ConvertTo-Json's shapes for "a list": an array; one object when the pipeline had one result;
 * nothing (null) when it had none; and in Windows PowerShell 5.1 sometimes `{"value":[…],"Count":n}`
 * when the array was wrapped in a PSObject.
 */
export function asList(value: unknown): Record<string, unknown>[] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.filter(isObject);
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (Array.isArray(value.value) && keys.every((k) => k === 'value' || k === 'Count')) return asList(value.value);
    return [value];
  }
  return [];
}

/** The same, for lists of strings (AccessPaths, Errors). */
export function asStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(asStrings);
  if (isObject(value) && Array.isArray(value.value)) return asStrings(value.value);
  return [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** UInt64 comes as a number from Get-CimInstance and as a string from the older Get-WmiObject. */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

export function asText(value: unknown): string | null {
  if (typeof value !== 'string') return typeof value === 'number' ? String(value) : null;
  const trimmed = value.replace(/\u0000/g, '').trim();
  return trimmed ? trimmed : null;
}

export function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'True' || value === 'true') return true;
  if (value === 'False' || value === 'false') return false;
  return null;
}

/**
 * A CIM enum: a number from Get-CimInstance, or its name where a formatter or PowerShell 7 turned
 * it into one ("NVMe", "File Backed Virtual"). Names compare without case, spaces or dashes.
 */
export function asEnum(value: unknown, names: Record<string, number>): number | null {
  const n = asNumber(value);
  if (n !== null) return n;
  if (typeof value !== 'string') return null;
  const key = squash(value);
  for (const [name, code] of Object.entries(names)) if (squash(name) === key) return code;
  return null;
}

function squash(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, '');
}

/**
 * A Char16 drive letter: "C"; "\u0000", "" or null when there is none; or the character code
 * when a serializer wrote the char as a number.
 */
export function asDriveLetter(value: unknown): string | null {
  if (typeof value === 'number') return value >= 65 && value <= 122 && /[A-Za-z]/.test(String.fromCharCode(value)) ? String.fromCharCode(value).toUpperCase() : null;
  if (typeof value !== 'string') return null;
  const letter = value.replace(/\u0000/g, '').trim().replace(/:\\?$/, '');
  return /^[A-Za-z]$/.test(letter) ? letter.toUpperCase() : null;
}
