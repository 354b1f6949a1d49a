/**
 * Schedules: when a device (or a fixed set of folders) is scanned. Presets for people, five-field
 * cron expressions for the rest. Pure: node-cron's parser checks the fields; the clock and the
 * timers live in the schedule service.
 */
import { validateDetailed } from 'node-cron';
import { parseAlgorithm, type Algorithm } from './algorithms.js';

export const PRESETS = ['daily', 'weekly', 'monthly', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

export interface ScheduleInput {
  name: string;
  /** A storage device's id (scans wherever it is mounted when the schedule fires) … */
  deviceId: number | null;
  /** … or fixed folders. */
  roots: string[];
  cron: string;
  algorithm: Algorithm | null;
  excludes: string[];
  maxRuntimeMinutes: number | null;
  enabled: boolean;
}

/** The form's fields: a preset at a time of day (weekly on Sunday, monthly on the 1st), or a cron expression. */
export interface ScheduleForm {
  name?: unknown;
  target?: unknown;
  preset?: unknown;
  time?: unknown;
  cron?: unknown;
  algorithm?: unknown;
  excludes?: unknown;
  maxRuntimeMinutes?: unknown;
  enabled?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** The cron expression of a preset at HH:MM. */
export function presetCron(preset: Preset, time: string): string | null {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (preset === 'daily') return `${min} ${h} * * *`;
  if (preset === 'weekly') return `${min} ${h} * * 0`;
  if (preset === 'monthly') return `${min} ${h} 1 * *`;
  return null;
}

/** Which preset and time an expression is, for showing it back in the form. */
export function presetOf(cron: string): { preset: Preset; time: string } {
  const m = /^(\d{1,2}) (\d{1,2}) (\*|1) \* (\*|0)$/.exec(cron);
  if (m) {
    const time = `${m[2]!.padStart(2, '0')}:${m[1]!.padStart(2, '0')}`;
    if (m[3] === '*' && m[4] === '*') return { preset: 'daily', time };
    if (m[3] === '*' && m[4] === '0') return { preset: 'weekly', time };
    if (m[3] === '1' && m[4] === '*') return { preset: 'monthly', time };
  }
  return { preset: 'custom', time: '03:00' };
}

/** A five-field expression (minute hour day month weekday) node-cron accepts; the problem otherwise. */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return `"${cron}" is not a cron expression of five fields: minute hour day-of-month month day-of-week`;
  const v = validateDetailed(fields.join(' '));
  return v.valid ? null : `"${cron}": ${v.errors.map((e) => e.message).join('; ')}`;
}

/** The target field: `device:<id>` or `root:<path>`. */
export function parseTarget(target: string): { deviceId: number | null; roots: string[] } | null {
  const d = /^device:(\d{1,9})$/.exec(target);
  if (d) return { deviceId: Number(d[1]), roots: [] };
  if (target.startsWith('root:/')) return { deviceId: null, roots: [target.slice(5)] };
  return null;
}

export function validateSchedule(form: ScheduleForm): { input: ScheduleInput | null; problems: string[] } {
  const problems: string[] = [];
  const name = str(form.name);
  if (!name) problems.push('give the schedule a name');
  else if (name.length > 100) problems.push('a name has at most 100 characters');
  const target = parseTarget(str(form.target));
  if (!target) problems.push('pick a device or a folder to scan');
  const preset = (str(form.preset) || 'custom') as Preset;
  let cron = '';
  if (!PRESETS.includes(preset)) problems.push(`the schedule is one of ${PRESETS.join(', ')}`);
  else if (preset === 'custom') {
    cron = str(form.cron).replace(/\s+/g, ' ');
    const p = cronProblem(cron);
    if (p) problems.push(p);
  } else {
    cron = presetCron(preset, str(form.time) || '03:00') ?? '';
    if (!cron) problems.push(`"${str(form.time)}" is not a time of day (HH:MM, 24-hour)`);
  }
  let algorithm: Algorithm | null = null;
  if (str(form.algorithm)) {
    algorithm = parseAlgorithm(str(form.algorithm));
    if (!algorithm) problems.push(`unknown algorithm "${str(form.algorithm)}"`);
  }
  const excludes = (Array.isArray(form.excludes) ? form.excludes.map(str) : str(form.excludes).split(/\r?\n/)).map((x) => x.trim()).filter(Boolean);
  if (excludes.length > 100) problems.push('at most 100 exclusions');
  let maxRuntimeMinutes: number | null = null;
  const max = str(form.maxRuntimeMinutes);
  if (max) {
    maxRuntimeMinutes = /^\d{1,6}$/.test(max) ? Number(max) : NaN;
    if (!Number.isInteger(maxRuntimeMinutes) || maxRuntimeMinutes < 1 || maxRuntimeMinutes > 7 * 24 * 60) problems.push('the maximum runtime is a whole number of minutes from 1 to 10080 (a week), or empty for none');
  }
  const enabled = form.enabled === undefined ? true : form.enabled === true || ['on', 'true', '1'].includes(str(form.enabled));
  if (problems.length) return { input: null, problems };
  return { input: { name, deviceId: target!.deviceId, roots: target!.roots, cron, algorithm, excludes, maxRuntimeMinutes, enabled }, problems };
}
