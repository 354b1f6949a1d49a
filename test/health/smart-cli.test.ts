/**
 * `bitarr smart parse FILE [--json]` as a user runs it (the built CLI): exit 0 for any verdict,
 * exit 2 and one line on stderr only when the file is not smartctl JSON at all.
 */
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bitarr, tempDir } from '../helpers/bitarr.js';
import { fixture } from './fixtures.js';

const parseJson = async (path: string) => {
  const r = await bitarr(['smart', 'parse', path, '--json']);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : null };
};

const verdicts: Array<[string, string]> = [
  ['smart-fail2.json', 'failed'],
  ['smart-ata-failed-scrutiny.json', 'warning'],
  ['sat-Seagate_Constellation_ES.3-ST3000NM0033-9ZM178-sdc.json', 'passed'],
  ['smart-fail.json', 'unknown'],
  ['smartctl_info_sata_smart_support_object.json', 'unknown'],
];

for (const [name, verdict] of verdicts) {
  test(`smart parse --json ${name}: exit 0, ${verdict}, in the documented shape`, async (t) => {
    const r = await parseJson(fixture(name).path);
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr, '');
    t.deepEqual(Object.keys(r.json).slice(0, 3), ['verdict', 'score', 'reasons']);
    t.is(r.json.verdict, verdict);
    t.true(Number.isInteger(r.json.score) && r.json.score >= 0 && r.json.score <= 100);
    for (const reason of r.json.reasons) {
      t.is(typeof reason.code, 'string');
      t.true(['info', 'warning', 'critical'].includes(reason.severity));
      t.is(typeof reason.message, 'string');
    }
    t.is(r.stdout.trim().split('\n').length, 1, 'one JSON line');
  });
}

test('smart parse --json names the device and the counters it judged', async (t) => {
  const r = await parseJson(fixture('smart-nvme-failed.json').path);
  t.like(r.json.device, { protocol: 'NVMe', model: 'Samsung SSD 970 EVO 500GB', serial: 'S466NX0M776250H' });
  t.deepEqual(r.json.reasons.map((x: { code: string }) => x.code), ['media_errors']);
  t.like(r.json.metrics.find((m: { metric: string }) => m.metric === 'media_errors'), { value: 7 });
});

test('smart parse without --json: the verdict, score and each reason with its advice', async (t) => {
  const r = await bitarr(['smart', 'parse', fixture('smart-megaraid1.json').path]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^WD4000FYYX, serial .*, ATA/);
  t.regex(r.stdout, /verdict: failed, score \d+\/100/);
  t.regex(r.stdout, /critical +reallocated sectors: 387 \(attribute 5\)/);
  t.regex(r.stdout, /→ back up, run a long self-test/);
});

test('a file saved by Windows PowerShell (UTF-16 with a byte-order mark) is read', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'smart.json');
  await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fixture('smart-nvme-failed.json').text, 'utf16le')]));
  const r = await parseJson(file);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.verdict, 'failed');
});

const refusals: Array<[string, (dir: string) => Promise<string[]>, RegExp]> = [
  ['a text file', async (dir) => [await write(dir, 'smart.txt', 'SMART overall-health self-assessment test result: PASSED\n')], /is not smartctl JSON: not JSON/],
  ['a JSON file that is not smartctl (package.json)', async () => [fileURLToPath(new URL('../../package.json', import.meta.url))], /is not smartctl JSON: JSON, but not smartctl output/],
  ['a file that does not exist', async (dir) => [join(dir, 'nope.json')], /no such file: .*nope\.json/],
  ['a directory', async (dir) => [await mkdirIn(dir, 'folder')], /is a directory/],
];

for (const [what, args, message] of refusals) {
  test(`smart parse refuses ${what}: one line on stderr, exit 2`, async (t) => {
    const dir = await tempDir(t);
    const r = await bitarr(['smart', 'parse', ...(await args(dir)), '--json']);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, /^bitarr: /);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}

test('smart without a subcommand, or parse without a file, is a usage error', async (t) => {
  for (const args of [['smart'], ['smart', 'parse'], ['smart', 'frob', 'x'], ['smart', 'parse', 'a.json', '--fast']]) {
    const r = await bitarr(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, /^bitarr: .*(usage: bitarr smart parse FILE|Unknown option)/, args.join(' '));
  }
});

async function write(dir: string, name: string, text: string) {
  await writeFile(join(dir, name), text);
  return join(dir, name);
}

async function mkdirIn(dir: string, name: string) {
  await mkdir(join(dir, name));
  return join(dir, name);
}
