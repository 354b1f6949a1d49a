/**
 * Running smartctl: JSON with a non-zero exit is output, not an error; a device that cannot be
 * opened, a missing smartctl, a hang or an old smartctl are typed answers, never exceptions.
 * Stand-in smartctl scripts replay recorded outputs; one test runs the real smartctl.
 */
import test from 'ava';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSmartctlJson, assessHealth } from '../../src/domain/health/index.js';
import { readSmart } from '../../src/repositories/smartctl.repository.js';
import { tempDir } from '../helpers/bitarr.js';
import { labTest } from '../lab/index.js';
import { fixture } from './fixtures.js';

/** A smartctl that records its arguments, prints `stdout` and exits with `code`. */
async function fakeSmartctl(t: Parameters<typeof tempDir>[0], stdout: string, code: number, extra = '') {
  const dir = await tempDir(t, 'bitarr-smartctl-');
  await writeFile(join(dir, 'out'), stdout);
  const script = join(dir, 'smartctl');
  await writeFile(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/args'\n${extra}\ncat '${dir}/out'\nexit ${code}\n`);
  await chmod(script, 0o755);
  return { smartctl: script, args: async () => (await readFile(join(dir, 'args'), 'utf8')).trimEnd().split('\n') };
}

test('JSON with exit status 4 (a SMART command failed) is output, with the exit code, and the arguments are smartctl’s', async (t) => {
  const recorded = fixture('smart-megaraid1.json').text;
  const fake = await fakeSmartctl(t, recorded, 4);
  const result = await readSmart('/dev/bus/0', { smartctl: fake.smartctl, deviceType: 'sat+megaraid,1' });
  t.deepEqual(result, { kind: 'output', json: recorded, exitCode: 4 });
  t.deepEqual(await fake.args(), ['--json', '-x', '-d', 'sat+megaraid,1', '/dev/bus/0']);
});

test('a failing drive exits 216 and is still output to judge', async (t) => {
  const fake = await fakeSmartctl(t, fixture('smart-fail2.json').text, 216);
  const result = await readSmart('/dev/sdc', { smartctl: fake.smartctl, deviceType: 'usbjmicron' });
  t.is(result.kind, 'output');
  if (result.kind !== 'output') return;
  const parsed = parseSmartctlJson(result.json);
  t.is(parsed.kind, 'report');
  if (parsed.kind === 'report') t.is(assessHealth(parsed).verdict, 'failed');
});

test('a device that cannot be opened (exit 2) is device_unavailable, with smartctl’s own message', async (t) => {
  const fake = await fakeSmartctl(t, fixture('virtio-vda-sat-refused.json').text, 2);
  const result = await readSmart('/dev/vda', { smartctl: fake.smartctl, deviceType: 'sat' });
  t.like(result, { kind: 'device_unavailable', exitCode: 2, message: 'Smartctl open device: /dev/vda [SAT] failed: Operation not permitted' });
});

test('smartctl that is not installed is smartctl_missing, not an exception', async (t) => {
  const result = await readSmart('/dev/sda', { smartctl: '/nonexistent/bin/smartctl' });
  t.is(result.kind, 'smartctl_missing');
  if (result.kind === 'smartctl_missing') t.regex(result.message, /install smartmontools/);
});

test('a smartctl that hangs is stopped at the timeout', async (t) => {
  const fake = await fakeSmartctl(t, '{}', 0, 'exec sleep 30');
  const started = Date.now();
  const result = await readSmart('/dev/sda', { smartctl: fake.smartctl, timeoutMs: 300 });
  t.like(result, { kind: 'failed', exitCode: null });
  if (result.kind === 'failed') t.regex(result.message, /timed out/);
  t.true(Date.now() - started < 10_000);
});

test('a smartctl older than 7.0 (no --json) is failed, saying so', async (t) => {
  const fake = await fakeSmartctl(t, '=======> UNRECOGNIZED OPTION: json\n', 1);
  const result = await readSmart('/dev/sda', { smartctl: fake.smartctl });
  // Exit 1 is "command line did not parse": smartctl could not talk to the device at all.
  t.like(result, { kind: 'device_unavailable', json: null, exitCode: 1 });
  const noJsonExit0 = await fakeSmartctl(t, 'smartctl 6.6\n', 0);
  const old = await readSmart('/dev/sda', { smartctl: noJsonExit0.smartctl });
  t.like(old, { kind: 'failed', exitCode: 0 });
  if (old.kind === 'failed') t.regex(old.message, /7\.0 or later/);
});

test('a device path or type that would read as an option is refused before anything runs', async (t) => {
  await t.throwsAsync(readSmart('-a'), { message: /not a device path/ });
  await t.throwsAsync(readSmart('/dev/sda', { deviceType: '-x --foo' }), { message: /not a smartctl device type/ });
});

labTest(['smartctl'])('the real smartctl on a device that does not exist: device_unavailable, then unknown with advice', async (t) => {
  const result = await readSmart('/dev/bitarr-no-such-disk');
  t.is(result.kind, 'device_unavailable');
  if (result.kind !== 'device_unavailable' || result.json === null) return t.fail('no JSON from smartctl');
  const parsed = parseSmartctlJson(result.json);
  t.is(parsed.kind, 'no_health_data');
  if (parsed.kind === 'not_smartctl_json') return;
  const a = assessHealth(parsed);
  t.is(a.verdict, 'unknown');
  const codes = a.reasons.map((r) => r.code);
  t.true(codes.includes('unknown_device_type') || codes.includes('device_missing'), codes.join(', '));
});
