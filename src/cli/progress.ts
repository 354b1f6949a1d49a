/** A one-line progress display on a terminal: files, bytes, rate, ETA and the current path. */
import type { ScanProgress } from '../services/scan.service.js';
import { bytes, duration, int } from './format.js';

export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly read: () => ScanProgress,
  ) {}

  start() {
    if (!this.stream.isTTY) return;
    this.timer = setInterval(() => this.draw(), 200);
  }

  stop() {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.stream.write('\r\x1b[K');
  }

  private draw() {
    const p = this.read();
    const elapsed = Date.now() - p.startedAtMs;
    const rate = elapsed > 0 ? (p.bytesDone / elapsed) * 1000 : 0;
    let eta = '';
    if (p.expected && p.expected.bytes > 0 && rate > 0) {
      const left = Math.max(0, p.expected.bytes - p.bytesDone);
      eta = ` ETA ${duration((left / rate) * 1000)}`;
    }
    const phase = p.phase === 'walking' ? '' : ` [${p.phase}]`;
    const head = `${int(p.filesDone)} files  ${bytes(p.bytesDone)}  ${bytes(rate)}/s${eta}${phase}  `;
    const width = this.stream.columns || 100;
    let path = p.currentPath ?? '';
    const room = width - head.length - 1;
    if (room < 8) path = '';
    else if (path.length > room) path = '…' + path.slice(path.length - room + 1);
    this.stream.write(`\r\x1b[K${head}${path}`);
  }
}
