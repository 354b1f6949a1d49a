/**
 * Reading smartctl's JSON: the fields a page shows, the exit-status bits, vendor-packed raw values,
 * and a typed answer (never an exception) for anything else a user may hand us.
 */
import test from 'ava';
import { assessHealth, decodeExitStatus, parseSmartctlJson, type SmartReport } from '../../src/domain/health/index.js';
import { allFixtures, fixture } from './fixtures.js';
import { ataWith } from './synthetic.js';

function report(name: string): SmartReport {
  const parsed = parseSmartctlJson(fixture(name).text);
  if (parsed.kind !== 'report') throw new Error(`${name} is ${parsed.kind}`);
  return parsed;
}

test('an ATA report: identity, status, hours, temperature and the attribute table as smartctl gave them', (t) => {
  const r = report('smart-fail2.json');
  t.like(r.identity, {
    protocol: 'ATA',
    name: '/dev/sdc',
    type: 'usbjmicron',
    model: 'Hitachi HDS721050DLE630',
    family: 'Hitachi Deskstar 7K1000.D',
    serial: 'MSK423Y20S3HBC',
    wwn: '0x5000cca37fca81a8',
    firmware: 'MS1OA650',
    capacityBytes: 500107862016,
    rotationRate: 7200,
  });
  t.is(r.smartPassed, false);
  t.is(r.powerOnHours, 65592);
  t.is(r.temperatureC, 25);
  t.deepEqual(r.smartctl.exitStatus, { code: 216, flags: ['disk_failing', 'prefail_at_threshold', 'error_log', 'self_test_log'] });
  t.deepEqual(r.ata!.attributes.find((a) => a.id === 5), {
    id: 5, name: 'Reallocated_Sector_Ct', value: 1, worst: 1, thresh: 5, raw: 1975, rawString: '1975', whenFailed: 'now', prefailure: true,
  });
  t.is(r.ata!.errorLogCount, 56);
  t.is(r.ata!.selfTestsFailed, 3);
});

test('an NVMe report keeps the health log; a SCSI report its defects and error counters', (t) => {
  const nvme = report('smart-nvme-failed.json');
  t.like(nvme.nvme, { criticalWarning: 0, availableSpare: 99, availableSpareThreshold: 10, percentageUsed: 3, mediaErrors: 7, errorLogEntries: 62 });
  t.is(nvme.powerOnHours, 12798);
  const scsi = report('smart-scsi.json');
  t.is(scsi.identity.protocol, 'SCSI');
  t.is(scsi.identity.model, 'SEAGATE ST4000NM0043');
  t.like(scsi.scsi, { grownDefects: 56, read: { corrected: 300357663, uncorrected: 0, gigabytesProcessed: 176987.332 } });
  t.is(scsi.smartctl.exitStatus.code, null, 'this output has no smartctl section');
  const sas = report('HITACHI_H109060SESUN600G_10.json');
  t.is(sas.identity.model, 'HITACHI H109060SESUN600G');
  t.is(sas.identity.wwn, '0x1234567890abcdef');
});

test('exit status bits are decoded as smartctl(8) gives them', (t) => {
  t.deepEqual(decodeExitStatus(0).flags, []);
  t.deepEqual(decodeExitStatus(2).flags, ['device_open_failed']);
  t.deepEqual(decodeExitStatus(4).flags, ['smart_command_failed']);
  t.deepEqual(decodeExitStatus(64 + 1).flags, ['command_failed', 'error_log']);
  t.deepEqual(decodeExitStatus(255).flags.length, 8);
  t.deepEqual(decodeExitStatus(null), { code: null, flags: [] });
});

test('a healthy drive that exits 64 (old entries in its error log) passes: a non-zero exit is not a failure', (t) => {
  const r = report('ST3200820AS_16.json');
  t.is(r.smartctl.exitStatus.code, 64);
  const a = assessHealth(r);
  t.is(a.verdict, 'passed');
  t.deepEqual(a.reasons.map((x) => [x.code, x.severity]), [['error_log', 'info']]);
  t.regex(a.reasons[0].message, /98 past command errors/);
});

const timeouts = (r: SmartReport) => assessHealth(r).metrics.find((m) => m.metric === 'command_timeouts')!;

test('Seagate 188: the packed words are decoded from the raw value or from smartctl’s "w2 w1 w0" string', (t) => {
  const seagate = 'ST3000NM0033-9ZM178';
  t.is(timeouts(ataWith(188, 17180131332, { name: 'Command_Timeout', model: seagate })).value, 4);
  t.is(timeouts(ataWith(188, 17180131332, { name: 'Command_Timeout', model: seagate, rawString: '4 4 4' })).value, 4);
  t.is(timeouts(ataWith(188, 4, { name: 'Command_Timeout', model: seagate, rawString: '0 0 4' })).value, 4);
  t.is(timeouts(ataWith(188, 1, { name: 'Command_Timeout', model: seagate })).value, 1);
  // Not three nested counters: not read as a count, and not judged.
  const odd = ataWith(188, 4 * 2 ** 32, { name: 'Command_Timeout', model: seagate });
  t.is(timeouts(odd).value, null);
  t.is(assessHealth(odd).reasons.find((r) => r.metric === 'command_timeouts')?.code, 'raw_value_unreadable');
});

test('188 of other vendors is a plain count, unless it is too large to be one', (t) => {
  t.is(timeouts(ataWith(188, 29, { name: 'Command_Timeout', model: 'Micron_5300_MTFDDAK1T9TDS' })).value, 29);
  t.is(timeouts(ataWith(188, 65537, { name: 'Command_Timeout', model: 'WDC WD4000FYYX' })).value, 65537);
  t.is(timeouts(ataWith(188, 17180131332, { name: 'Command_Timeout', model: 'MB0500EBNCR' })).value, 4, 'an HP-branded Seagate');
});

test('smartctl’s own decoding of a raw value wins, and a packed value of a damage counter is never judged as a count', (t) => {
  const events = (r: SmartReport) => assessHealth(r).metrics.find((m) => m.metric === 'reallocation_events')!;
  t.is(events(ataWith(196, 53416508262463, { rawString: '2111 (12437 0)' })).value, 2111);
  const packed = ataWith(5, 2 ** 40 + 3);
  const a = assessHealth(packed);
  t.is(a.verdict, 'passed');
  t.is(a.reasons.find((r) => r.attribute === 5)?.code, 'raw_value_unreadable');
});

const notSmartctl: Array<[string, string, RegExp]> = [
  ['text', 'Model Family: Seagate\nSMART overall-health: PASSED', /not JSON/],
  ['an empty file', '', /not JSON/],
  ['a JSON list', '[1, 2]', /a list/],
  ['JSON null', 'null', /null/],
  ['a JSON number', '42', /number/],
  ['a package.json', JSON.stringify({ name: 'bitarr', version: '0.1.0', scripts: {} }), /not smartctl output/],
];

for (const [what, text, message] of notSmartctl) {
  test(`${what} is "not smartctl JSON", not an exception`, (t) => {
    const parsed = parseSmartctlJson(text);
    t.is(parsed.kind, 'not_smartctl_json');
    if (parsed.kind === 'not_smartctl_json') t.regex(parsed.message, message);
  });
}

test('a UTF-8 byte-order mark is not a reason to refuse a file', (t) => {
  t.is(parseSmartctlJson('\uFEFF' + fixture('smart-nvme.json').text).kind, 'report');
});

test('truncated outputs never throw: every cut of a real output is a typed answer', (t) => {
  const text = fixture('smart-fail2.json').text;
  for (let end = 0; end <= text.length; end += 7) {
    const parsed = parseSmartctlJson(text.slice(0, end));
    t.true(['report', 'no_health_data', 'not_smartctl_json'].includes(parsed.kind));
  }
});

/** Every leaf of a JSON value replaced by a value of the wrong type. */
function swapLeaves(v: unknown, swap: (leaf: unknown) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => swapLeaves(x, swap));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swapLeaves(x, swap)]));
  return swap(v);
}

test('wrong types everywhere (strings for numbers, nulls, objects) give a typed answer, never an exception', (t) => {
  const swaps: Array<(leaf: unknown) => unknown> = [
    () => null,
    (leaf) => (typeof leaf === 'number' ? String(leaf) : 7),
    () => ({}),
    () => [],
    (leaf) => (typeof leaf === 'number' ? -leaf * 1e300 : leaf),
  ];
  for (const f of allFixtures.filter((_, i) => i % 5 === 0)) {
    for (const swap of swaps) {
      const parsed = parseSmartctlJson(JSON.stringify(swapLeaves(JSON.parse(f.text), swap)));
      t.notThrows(() => (parsed.kind === 'not_smartctl_json' ? null : assessHealth(parsed)), f.name);
    }
  }
});
