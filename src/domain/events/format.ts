/**
 * Wording shared by the reasons and actions: sizes, offsets, intervals and lists of paths the way
 * a user reads them in a notification or on the CLI.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; binary units, because disks are addressed in powers of two. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${Number(v.toFixed(digits))} ${UNITS[u]}`;
}

/** A region as "1.5 GiB–1.51 GiB (bytes 1610612736–1621098496)": readable, and exact for tools. */
export function formatRegion(start: number, end: number): string {
  return `${formatBytes(start)}–${formatBytes(end)} (bytes ${start}–${end})`;
}

/** 86400 → "1 day", 5400 → "90 minutes": whole units, the coarsest that is exact-ish. */
export function formatInterval(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds >= 86400 && seconds % 86400 === 0) return plural(seconds / 86400, 'day');
  if (seconds >= 86400) return plural(Math.round((seconds / 86400) * 10) / 10, 'day');
  if (seconds >= 3600 && seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

/** "/a, /b and 3 more": texts stay readable for a band of 5000 files; `things` keeps them all. */
export function listPaths(paths: readonly string[], limit: number): string {
  if (paths.length <= limit) return paths.join(', ');
  return `${paths.slice(0, limit).join(', ')} and ${paths.length - limit} more`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Quote a path for a shell command line only when it needs it, so the usual case stays copyable as is. */
export function shellArg(s: string): string {
  return /^[A-Za-z0-9_\-./:@%+=,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
