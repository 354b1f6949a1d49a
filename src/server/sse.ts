/**
 * Server-sent events for a running scan: its progress fragment every second (htmx's SSE extension
 * swaps it in), then `done` when the scan is over, and the stream ends. Streams end when the
 * browser goes away or the appliance shuts down, so none holds the server open.
 */
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { ScanManager } from '../services/scan-manager.service.js';
import { duration, progressJson } from '../services/scan-view.js';
import { renderFragment } from './render.js';

const EVERY_MS = 1000;

/** One SSE message; every line of a multi-line payload gets its own `data:`. */
export const sseMessage = (event: string, data: string) => `event: ${event}\n${data.split(/\r?\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;

export function progressStream(ctx: Context, opts: { manager: ScanManager; id: number; closing: AbortSignal }): void {
  const { manager, id, closing } = opts;
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set({ 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  ctx.body = stream;

  let timer: NodeJS.Timeout | null = null;
  const end = () => {
    if (timer) clearInterval(timer);
    timer = null;
    closing.removeEventListener('abort', end);
    stream.end();
  };
  const tick = () => {
    const live = manager.get(id);
    if (!live) {
      stream.write(sseMessage('done', `<p class="muted">Scan ${id} has finished.</p>`));
      return end();
    }
    const progress = progressJson(live.progress(), live.stopping, Date.now(), live.network);
    stream.write(sseMessage('progress', renderFragment(ctx, 'scan-progress', { progress, scan: { id }, duration })));
  };
  stream.write('retry: 3000\n\n');
  tick();
  if (stream.writableEnded) return;
  timer = setInterval(tick, EVERY_MS);
  ctx.req.on('close', end);
  closing.addEventListener('abort', end);
}
