// Lab tests need root, loop devices and a handful of tools. Where those are missing the test
// is skipped with the reason printed, except in CI, where a missing tool is a broken pipeline
// and must fail loudly instead of going green by skipping everything.
import test from 'ava';
import { hostCan } from './host.js';

const announced = new Set<string>();

/** Returns AVA's `test` when the host has every need. Only the plain `(title, fn)` call is supported otherwise. */
export function labTest(needs: string[]): typeof test {
  const reason = hostCan(...needs);
  if (reason === null) return test;
  if (process.env.CI === 'true') {
    return ((title: string) => test(title, (t) => t.fail(`this host cannot run it: ${reason}`))) as unknown as typeof test;
  }
  return ((title: string) => {
    if (!announced.has(reason)) {
      announced.add(reason);
      process.stderr.write(`lab tests skipped: ${reason}\n`);
    }
    test.skip(title, () => undefined);
  }) as unknown as typeof test;
}
