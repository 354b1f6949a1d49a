/**
 * A pool of hashing workers. Each worker answers its batches in order, so a FIFO of resolvers
 * per worker is enough. Callers keep at most `capacity` batches in flight.
 *
 * `threads` is a ceiling. The pool starts with one worker a core and adds one while the workers
 * leave the CPU idle, that is, while they wait on the disk: a cold disk wants many reads in
 * flight, but data in the page cache is pure CPU, and more workers than cores only made them
 * take turns (bench/: 16 GiB hot, 4 workers on 2 cores 0.75x `cat`, 2 workers 0.88x).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { decodeResults, encodeJobs, type BatchOptions, type BatchResults, type FromWorker, type HashJob, type ToWorker, type WorkerConfig } from './hash-protocol.js';

const CORES = availableParallelism();

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
// Run from TypeScript sources (tests of the in-process appliance under tsx), a worker does not
// inherit tsx's loader: a tiny bootstrap registers it in the worker first.
const ENTRY: string | URL =
  EXT === '.ts'
    ? new URL(
        'data:text/javascript,' +
          encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./hash.worker.ts', import.meta.url).href)});`),
      )
    : fileURLToPath(new URL('./hash.worker.js', import.meta.url));

/** Workers started before their scan was known, waiting for their config (prestartHashWorkers). */
const spares: Worker[] = [];

/**
 * Starts `count` hashing workers now, for the pool of a scan about to be set up: a worker takes
 * ~50 ms to start, which the command line's own start-up (opening and migrating the database,
 * finding the devices) then hides on another core. Unused, they do not keep the process alive.
 */
export function prestartHashWorkers(count: number): void {
  for (let i = spares.length; i < Math.min(count, CORES); i++) {
    const worker = new Worker(ENTRY, { workerData: null });
    worker.unref();
    // A spare that fails before it is used only means the pool starts a worker of its own.
    const drop = () => {
      const i = spares.indexOf(worker);
      if (i >= 0) spares.splice(i, 1);
    };
    worker.once('error', drop).once('exit', drop);
    spares.push(worker);
  }
}

function startWorker(config: WorkerConfig): Worker {
  const spare = spares.shift();
  if (!spare) return new Worker(ENTRY, { workerData: config });
  spare.removeAllListeners('error').removeAllListeners('exit');
  spare.ref();
  spare.postMessage({ type: 'config', config } satisfies ToWorker);
  return spare;
}

interface Slot {
  worker: Worker;
  waiting: Array<{ resolve: (r: BatchResults) => void; reject: (e: Error) => void }>;
  partialBytes: number;
  partialFiles: number;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  private freeWaiters: Array<() => void> = [];
  /** Workers allowed now (see the top of this file). */
  private limit: number;
  private cpuWatch: NodeJS.Timeout | null = null;
  /** Time the workers spent looking up baselines, summed over batches. */
  lookupMs = 0;
  /** Files the workers read with the native reader, summed over batches. */
  nativeReads = 0;

  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly threads: number,
    private readonly config: WorkerConfig,
  ) {
    this.config = { ...config, stop: this.stopFlag.buffer as SharedArrayBuffer };
    // A read-rate limit is shared out per thread: there every thread runs from the start.
    this.limit = config.maxBytesPerSecond ? threads : Math.min(threads, CORES);
  }

  /** Batches that may be in flight now: two a worker, so none waits between batches. */
  get capacity(): number {
    return this.limit * 2;
  }

  /** Batches in flight once every allowed worker runs: how finely to split a few large files. */
  get maxCapacity(): number {
    return this.threads * 2;
  }

  /**
   * Every quarter second: workers with work queued while the process leaves a quarter of their
   * cores idle, twice running, are waiting on the disk. (Measured on 2 cores: a hot first scan,
   * whose limit is the database, used 1.6–1.75 cores; a cold verify 1.4.)
   */
  private watchCpu() {
    let last = process.cpuUsage();
    let at = performance.now();
    let lowSamples = 0;
    this.cpuWatch = setInterval(() => {
      const used = process.cpuUsage(last);
      const now = performance.now();
      const cores = (used.user + used.system) / 1000 / Math.max(1, now - at);
      last = process.cpuUsage();
      at = now;
      if (this.limit >= this.threads) return this.stopWatch();
      lowSamples = this.inFlight >= this.limit && cores < 0.75 * Math.min(this.limit, CORES) ? lowSamples + 1 : 0;
      if (lowSamples >= 2) {
        lowSamples = 0;
        this.limit++;
        this.wakeWaiters();
      }
    }, 250);
    this.cpuWatch.unref();
  }

  private stopWatch() {
    if (this.cpuWatch) clearInterval(this.cpuWatch);
    this.cpuWatch = null;
  }

  private wakeWaiters() {
    const waiters = this.freeWaiters;
    this.freeWaiters = [];
    for (const w of waiters) w();
  }

  /** Workers start when there is work for them: a small scan should not pay for four. */
  private slotFor(): Slot {
    const idle = this.slots.find((s) => s.waiting.length === 0);
    if (idle) return idle;
    if (this.slots.length < this.limit) {
      if (this.slots.length === 0 && this.limit < this.threads) this.watchCpu();
      const slot: Slot = { worker: startWorker(this.config), waiting: [], partialBytes: 0, partialFiles: 0 };
      slot.worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      slot.worker.on('error', (e) => this.fail(slot, e));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(slot, new Error(`hash worker exited with code ${code}`));
      });
      this.slots.push(slot);
      return slot;
    }
    return this.slots.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
  }

  /** Jobs the workers have not started come back cancelled from now on. */
  cancel(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  /** Workers started so far. */
  get workers(): number {
    return this.slots.length;
  }

  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.waiting.length, 0);
  }

  /** Bytes read of files whose results have not arrived yet (large files report as they go). */
  /** Files finished in batches not yet returned: progress only. */
  get partialFiles(): number {
    return this.slots.reduce((n, s) => n + s.partialFiles, 0);
  }

  /** The file a worker reported reading last. */
  lastPath: string | null = null;

  get partialBytes(): number {
    return this.slots.reduce((n, s) => n + s.partialBytes, 0);
  }

  /** Resolves when fewer than `capacity` batches are in flight. */
  async slotFree(): Promise<void> {
    while (this.inFlight >= this.capacity) await new Promise<void>((r) => this.freeWaiters.push(r));
  }

  submit(jobs: HashJob[], options: BatchOptions = { settleNew: false, noBaselines: false }): Promise<BatchResults> {
    if (this.closed) return Promise.reject(new Error('hash pool is closed'));
    const slot = this.slotFor();
    return new Promise((resolve, reject) => {
      slot.waiting.push({ resolve, reject });
      const batch = encodeJobs(jobs, options);
      slot.worker.postMessage(batch, [batch.ids.buffer as ArrayBuffer, batch.flags.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatch();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: FromWorker) {
    if (m.type === 'bytes') {
      slot.partialBytes += m.bytes;
      return;
    }
    if (m.type === 'files') {
      slot.partialFiles += m.files;
      slot.partialBytes += m.bytes;
      this.lastPath = m.path;
      return;
    }
    slot.partialBytes = 0;
    slot.partialFiles = 0;
    this.lookupMs += m.lookupMs;
    this.nativeReads += m.nativeReads;
    slot.waiting.shift()?.resolve(decodeResults(m));
    this.wakeWaiters();
  }

  private fail(slot: Slot, e: Error) {
    for (const w of slot.waiting.splice(0)) w.reject(e);
  }
}
