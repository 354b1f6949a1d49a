/**
 * The benchmark's knobs, all from the environment so `npm run bench` needs no arguments and a
 * quick run is `BENCH_LARGE_GB=0.5 BENCH_SMALL_FILES=20000 npm run bench`.
 */
import { existsSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, not "${raw}"`);
  return n;
}

const flag = (name: string, fallback: boolean) => {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : !/^(0|false|no|off)$/i.test(raw);
};

export const config = {
  /**
   * Total size of the "large" dataset, split over `largeFiles` files. 0 skips the dataset. Large
   * enough that reading it takes longer than starting a Node process (~0.25 s): at 2 GiB a hot
   * `cat` takes 0.18 s and the ratio measured start-up, not throughput. Capped at 70% of the RAM
   * so that "hot" stays in the page cache beside the tools themselves.
   */
  largeGb: Math.min(num('BENCH_LARGE_GB', 16), Math.floor((totalmem() / 2 ** 30) * 0.7)),
  largeFiles: Math.max(1, Math.round(num('BENCH_LARGE_FILES', 16))),
  /** Number of 1–16 KiB files in the "small" dataset. 0 skips the dataset. */
  smallFiles: Math.round(num('BENCH_SMALL_FILES', 200_000)),
  filesPerDir: Math.max(1, Math.round(num('BENCH_FILES_PER_DIR', 1000))),
  /**
   * /var/tmp, not os.tmpdir(): /tmp is often a tmpfs, where "cold cache" means nothing and 4 GB
   * of test data would sit in RAM.
   */
  baseDir: process.env.BENCH_DIR || (existsSync('/var/tmp') ? '/var/tmp' : tmpdir()),
  /** Cold runs need root (drop_caches); BENCH_COLD=0 skips them even as root. */
  cold: flag('BENCH_COLD', true),
  /**
   * Runs shorter than this are repeated (hot and cold) and the median kept: a 0.2 s hot read or a
   * 1 s cold read of 2 GiB varies by tens of percent on a shared VM; the long runs barely do.
   */
  repeatBelowS: num('BENCH_REPEAT_BELOW_S', 5),
  repeats: Math.max(1, Math.round(num('BENCH_REPEATS', 3))),
  /** The extra `--threads 2` verify run per dataset and cache state. */
  threads2: flag('BENCH_THREADS2', true),
  /** Bitarr's defaults, stated here so the report can say what it measured. */
  bitarrThreads: 4,
  bitarrAlgorithm: 'xxh3-128',
};

export type BenchConfig = typeof config;
