/**
 * Typed errors. Where an error is decided (CLI exit code, later HTTP status) looks only at these
 * fields, so every layer throws the same shape and logs happen once, at the edge.
 */
export type ErrorKind = 'usage' | 'environment' | 'not_found' | 'conflict' | 'internal';

const STATUS: Record<ErrorKind, number> = {
  usage: 400,
  environment: 503,
  not_found: 404,
  conflict: 409,
  internal: 500,
};

export class BitarrError extends Error {
  readonly kind: ErrorKind;
  /** HTTP-style status, for the server and for logs. */
  readonly status: number;
  /** Whether the message is safe and useful to show to the user as is. */
  readonly exposed: boolean;

  constructor(kind: ErrorKind, message: string, opts: { cause?: unknown; exposed?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BitarrError';
    this.kind = kind;
    this.status = STATUS[kind];
    this.exposed = opts.exposed ?? kind !== 'internal';
  }
}

export const usageError = (message: string, cause?: unknown) => new BitarrError('usage', message, { cause });
export const environmentError = (message: string, cause?: unknown) =>
  new BitarrError('environment', message, { cause });
export const notFoundError = (message: string) => new BitarrError('not_found', message);
export const conflictError = (message: string) => new BitarrError('conflict', message);

/**
 * An error's message as people read it. knex puts the whole statement before SQLite's own message,
 * and a scan's batch write binds megabytes of JSON: keep SQLite's part, and at most `max` characters.
 */
export function briefErrorMessage(err: unknown, max = 300): string {
  const message = err instanceof Error ? err.message : String(err);
  const sqlite = message.lastIndexOf(' - SQLITE_');
  const text = sqlite >= 0 ? message.slice(sqlite + 3) : message;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
