// Tests that need root, loop devices, a daemon or a handful of tools. Where those are missing the
// test is skipped with the reason printed once, except in CI, where a missing tool is a broken
// pipeline and must fail loudly instead of going green by skipping everything.
import test from 'ava';
import { hostCan } from './host.js';

const announced = new Set<string>();

/**
 * AVA's `test` when `reason` is null. Otherwise each test fails in CI and is skipped elsewhere,
 * with "<what> skipped: <reason>" printed once. Supports `(title, fn)` and `.serial(title, fn)`.
 */
export function testWhen(reason: string | null, what = 'lab tests'): typeof test {
  if (reason === null) return test;
  const substitute = (title: string) => {
    if (process.env.CI === 'true') return test(title, (t) => t.fail(`this host cannot run it: ${reason}`));
    if (!announced.has(reason)) {
      announced.add(reason);
      process.stderr.write(`${what} skipped: ${reason}\n`);
    }
    test.skip(title, () => undefined);
  };
  return Object.assign(substitute, { serial: substitute }) as unknown as typeof test;
}

/** Returns AVA's `test` when the host has every need. */
export function labTest(needs: string[]): typeof test {
  return testWhen(hostCan(...needs));
}
