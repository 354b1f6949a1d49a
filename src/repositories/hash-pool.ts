/**
 * A fixed pool of hashing workers. Each worker answers its batches in order, so a FIFO of
 * resolvers per worker is enough. Callers keep at most `capacity` batches in flight.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { FromWorker, HashJob, HashResult, WorkerConfig } from './hash-protocol.js';

interface Slot {
  worker: Worker;
  waiting: Array<{ resolve: (r: HashResult[]) => void; reject: (e: Error) => void }>;
  partialBytes: number;
}

export class HashPool {
  private readonly slots: Slot[];
  private closed = false;
  private freeWaiters: Array<() => void> = [];
  readonly capacity: number;

  constructor(threads: number, config: WorkerConfig) {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const file = fileURLToPath(new URL(`./hash.worker${ext}`, import.meta.url));
    this.capacity = threads * 2;
    this.slots = Array.from({ length: threads }, () => {
      const slot: Slot = { worker: new Worker(file, { workerData: config }), waiting: [], partialBytes: 0 };
      slot.worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      slot.worker.on('error', (e) => this.fail(slot, e));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(slot, new Error(`hash worker exited with code ${code}`));
      });
      return slot;
    });
  }

  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.waiting.length, 0);
  }

  /** Bytes read of files whose results have not arrived yet (large files report as they go). */
  get partialBytes(): number {
    return this.slots.reduce((n, s) => n + s.partialBytes, 0);
  }

  /** Resolves when fewer than `capacity` batches are in flight. */
  async slotFree(): Promise<void> {
    while (this.inFlight >= this.capacity) await new Promise<void>((r) => this.freeWaiters.push(r));
  }

  submit(jobs: HashJob[]): Promise<HashResult[]> {
    if (this.closed) return Promise.reject(new Error('hash pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
    return new Promise((resolve, reject) => {
      slot.waiting.push({ resolve, reject });
      slot.worker.postMessage({ type: 'jobs', jobs });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: FromWorker) {
    if (m.type === 'bytes') {
      slot.partialBytes += m.bytes;
      return;
    }
    slot.partialBytes = 0;
    slot.waiting.shift()?.resolve(m.results);
    const waiters = this.freeWaiters;
    this.freeWaiters = [];
    for (const w of waiters) w();
  }

  private fail(slot: Slot, e: Error) {
    for (const w of slot.waiting.splice(0)) w.reject(e);
  }
}
