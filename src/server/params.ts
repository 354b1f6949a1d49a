/** What routes read from a request: the parsed body, a form field as text, an id in the URL. */
import type { Context } from 'koa';
import { notFoundError } from '../domain/errors.js';

/** The form or JSON body parseBody left on the request ({} for none). */
export const body = (ctx: Context) => ((ctx.request as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;

/** A form field as text: anything else (missing, a number from JSON) is ''. */
export const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** An id from the URL: anything but a positive integer names a thing that does not exist (404). */
export function idParam(value: string | undefined, what: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value ?? '') || !Number.isSafeInteger(id) || id <= 0) throw notFoundError(`no ${what} ${value}`);
  return id;
}
