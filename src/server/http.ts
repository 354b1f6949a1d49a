/** Plain HTTP plumbing: the request log, form and JSON bodies, static files. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Context, Next } from 'koa';
import { HttpError, type Log } from './errors.js';

/** One JSON line a request: what and how long. Only the path: queries, headers and bodies can carry secrets. */
export function requestLog(log: Log) {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // The container's health check asks every 15 s: only a failing answer is worth a line.
      if (!(ctx.path === '/healthz' && ctx.status === 200)) {
        log({ level: 'info', msg: 'request', method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 });
      }
    }
  };
}

const BODY_LIMIT = 64 * 1024;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isUnsafe = (method: string) => UNSAFE.has(method);

/** Reads urlencoded forms and JSON bodies into ctx.request.body (a plain object of strings for forms). */
export async function parseBody(ctx: Context, next: Next) {
  if (!isUnsafe(ctx.method)) return next();
  const type = ctx.is('application/x-www-form-urlencoded', 'application/json', 'multipart/form-data');
  if (type === 'multipart/form-data') throw new HttpError(415, 'send forms as application/x-www-form-urlencoded');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new HttpError(413, `a request body has at most ${BODY_LIMIT} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: Record<string, unknown> = {};
  if (type === 'application/json' && text.trim()) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      throw Object.assign(new Error('the body is not valid JSON'), { status: 400, expose: true });
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    // A repeated field keeps its first value: no field is ever an array by surprise.
    for (const [k, v] of new URLSearchParams(text)) if (!(k in body)) body[k] = v;
  }
  (ctx.request as { body?: unknown }).body = body;
  return next();
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * /static/* from public/, no auth. Cached for a year: vendored files carry their version in the
 * name and our own are linked with ?v=<bitarr version>, so a new release is a new URL.
 */
export function serveStatic(root: string) {
  const base = normalize(root + sep);
  return async (ctx: Context, next: Next) => {
    if (!ctx.path.startsWith('/static/')) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new HttpError(404, 'static files are read-only');
    let name: string;
    try {
      name = decodeURIComponent(ctx.path.slice('/static/'.length));
    } catch {
      throw new HttpError(404, `nothing at ${ctx.path}`);
    }
    // Decoded, then normalized, then checked to be still inside public/: no %2e%2e or ..%2f way out.
    const file = normalize(join(base, name));
    const type = TYPES[extname(file)];
    if (!file.startsWith(base) || !type) throw new HttpError(404, `nothing at ${ctx.path}`);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) throw new HttpError(404, `nothing at ${ctx.path}`);
    ctx.type = type;
    ctx.length = st.size;
    ctx.lastModified = st.mtime;
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
    if (ctx.method === 'HEAD') ctx.status = 200;
  };
}
