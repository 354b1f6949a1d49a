import test from 'ava';
import { explainEvent, toEventFiles } from '../../../src/domain/events/explain.js';
import { DEFAULT_EVENT_SETTINGS } from '../../../src/domain/events/types.js';
import type { Action, DamagedFile, DeviceFacts, EventEvidence, EventSettings } from '../../../src/domain/events/types.js';
import { DAY, GiB, KiB, MiB, disk, file, share, unmapped } from './fixtures.js';

const none: EventEvidence = { smartGrowth: [], recurrences: [] };
const actions = (files: DamagedFile[], device: DeviceFacts = disk, evidence: EventEvidence = none, settings: EventSettings = DEFAULT_EVENT_SETTINGS) =>
  explainEvent(toEventFiles(files, 1), evidence, device, settings).actions;
const codes = (a: Action[]) => a.map((x) => x.code);
const find = (a: Action[], code: Action['code']) => a.find((x) => x.code === code);

const one = file('/photos/IMG_0042.jpg', 'corrupted', [GiB, 4 * KiB]);
const two = [one, file('/photos/IMG_0043.jpg', 'corrupted', [GiB + 4 * KiB, 4 * KiB])];
const far = [one, file('/music/track.flac', 'corrupted', [300 * GiB, MiB])];
const grew: EventEvidence = { smartGrowth: [{ counter: 'reallocated', before: 8, after: 24 }], recurrences: [] };

test('one corrupted file on a local disk: restore it and run a SMART long test, nothing more', (t) => {
  const a = actions([one]);
  t.deepEqual(codes(a), ['restore-from-backup', 'smart-long-test']);
  t.is(find(a, 'restore-from-backup')!.text, 'Restore this file from backup: /photos/IMG_0042.jpg');
  t.deepEqual(find(a, 'restore-from-backup')!.things.files, ['/photos/IMG_0042.jpg']);
});

test('restore names every corrupted and unreadable file, unmapped ones too, but not files that were only unstable', (t) => {
  const a = actions([one, file('/x/unreadable.bin', 'unreadable', [GiB + MiB / 2, 4 * KiB]), unmapped('/x/somewhere.doc', 'corrupted'), file('/x/flaky.db', 'unstable', [GiB + 8 * KiB, 4 * KiB])]);
  const restore = find(a, 'restore-from-backup')!;
  t.deepEqual(restore.things.files, ['/photos/IMG_0042.jpg', '/x/somewhere.doc', '/x/unreadable.bin']);
  t.regex(restore.text, /^Restore these 3 files from backup: /);
  t.notRegex(restore.text, /flaky/);
});

test('a long list is cut in the text but complete in the things named', (t) => {
  const files = Array.from({ length: 25 }, (_, i) => file(`/band/f${String(i).padStart(2, '0')}`, 'corrupted', [GiB + i * MiB, MiB]));
  const restore = find(actions(files), 'restore-from-backup')!;
  t.regex(restore.text, /\/band\/f09 and 15 more$/);
  t.is(restore.things.files!.length, 25);
});

test('SMART long test names the device and the exact command', (t) => {
  const smart = find(actions([one]), 'smart-long-test')!;
  t.is(smart.things.command, 'smartctl -t long /dev/sdb');
  t.is(smart.text, 'Run a SMART long test on WDC WD40EFRX (WD-WCC7K1234567): smartctl -t long /dev/sdb, then read the result with smartctl -l selftest /dev/sdb');
  // Unknown path: still recommended, saying the path is unknown rather than inventing one.
  const unknown = find(actions([one], { ...disk, devicePath: null }), 'smart-long-test')!;
  t.is(unknown.things.command, null);
  t.regex(unknown.text, /device path is not known/);
  t.regex(find(actions([one], { ...disk, type: 'usb', devicePath: '/dev/sdc' }), 'smart-long-test')!.text, /-d sat/);
  // No disk of its own behind it: no SMART test.
  t.is(find(actions([one], { ...disk, type: 'loop', devicePath: '/dev/loop3' }), 'smart-long-test'), undefined);
  t.is(find(actions([one], { ...disk, type: 'virtual' }), 'smart-long-test'), undefined);
});

test('scrub only on btrfs, with the mount point in the command', (t) => {
  t.is(find(actions([one]), 'scrub'), undefined);
  const scrub = find(actions([one], { ...disk, fsType: 'btrfs', mountPoint: '/mnt/pool' }), 'scrub')!;
  t.is(scrub.things.command, 'btrfs scrub start /mnt/pool');
  t.is(scrub.text, 'Scrub WDC WD40EFRX (WD-WCC7K1234567): btrfs scrub start /mnt/pool');
  t.is(find(actions([one], { ...disk, fsType: 'btrfs', mountPoint: '/mnt/my pool' }), 'scrub')!.things.command, "btrfs scrub start '/mnt/my pool'");
  t.is(find(actions([one], { ...disk, fsType: 'btrfs', mountPoint: null }), 'scrub')!.things.command, null);
});

test('check cable and controller when damage is scattered or reads are unstable, naming why', (t) => {
  t.is(find(actions(two), 'check-cable-controller'), undefined);
  const scattered = find(actions(far), 'check-cable-controller')!;
  t.regex(scattered.why, /scattered over 2 regions far apart \(at 1 GiB, at 300 GiB\)/);
  t.regex(scattered.text, /^Check the cable, port and controller of WDC WD40EFRX \(WD-WCC7K1234567\)/);
  t.deepEqual(scattered.things.regions, [
    { start: GiB, end: GiB + 4 * KiB },
    { start: 300 * GiB, end: 300 * GiB + MiB },
  ]);
  const flaky = find(actions([file('/db/pg.dat', 'unstable', [GiB, MiB])]), 'check-cable-controller')!;
  t.deepEqual(flaky.things.files, ['/db/pg.dat']);
  t.regex(flaky.why, /two reads of \/db\/pg\.dat gave different bytes/);
  t.regex(flaky.text, /verify 1 unstable file again/);
});

test('replace the drive when SMART grew with the bitrot, or when damage recurs, and only then', (t) => {
  t.is(find(actions(far), 'replace-drive'), undefined);
  const bySmart = actions([one], disk, grew);
  t.is(codes(bySmart)[0], 'replace-drive');
  t.regex(find(bySmart, 'replace-drive')!.text, /Replace the disk behind WDC WD40EFRX \(WD-WCC7K1234567\)/);
  t.regex(find(bySmart, 'replace-drive')!.why, /reallocated sectors 8 → 24/);
  const byRecurrence = find(actions([one], disk, { smartGrowth: [], recurrences: [{ eventId: 4, scanId: 9, start: GiB, end: GiB + 4 * KiB }] }), 'replace-drive')!;
  t.regex(byRecurrence.why, /region of resolved event #4/);
  t.deepEqual(byRecurrence.things.regions, [{ start: GiB, end: GiB + 4 * KiB }]);
});

test('scan more often says by how much: half the interval, never below the floor', (t) => {
  t.is(find(actions([one]), 'scan-more-often'), undefined, 'one file (minor) does not ask for it');
  const half = find(actions(two), 'scan-more-often')!;
  t.is(half.text, 'Scan WDC WD40EFRX (WD-WCC7K1234567) more often: every 3.5 days instead of every 7 days');
  t.deepEqual([half.things.currentIntervalSeconds, half.things.proposedIntervalSeconds], [7 * DAY, 3.5 * DAY]);
  const floored = find(actions(two, { ...disk, scanIntervalSeconds: 1.5 * DAY }), 'scan-more-often')!;
  t.is(floored.things.proposedIntervalSeconds, DAY);
  t.regex(floored.text, /every 1 day instead of every 1.5 days/);
  t.is(find(actions(two, { ...disk, scanIntervalSeconds: DAY }), 'scan-more-often'), undefined, 'already at the floor');
  const unscheduled = find(actions(two, { ...disk, scanIntervalSeconds: null }), 'scan-more-often')!;
  t.is(unscheduled.text, 'Schedule scans of WDC WD40EFRX (WD-WCC7K1234567): every 7 days (it has no schedule now)');
  const custom = find(actions(two, disk, none, { ...DEFAULT_EVENT_SETTINGS, minScanIntervalSeconds: 5 * DAY }), 'scan-more-often')!;
  t.is(custom.things.proposedIntervalSeconds, 5 * DAY);
});

test('network storage: the agent note first, restore, and none of the disk-side actions', (t) => {
  const a = actions([unmapped('/mnt/photos/a.jpg', 'corrupted'), unmapped('/mnt/photos/b.jpg', 'unstable')], share, grew);
  t.deepEqual(codes(a), ['network-agent', 'restore-from-backup', 'scan-more-often']);
  t.is(a[0].text, '//nas/photos is network storage: run a Bitarr agent on the machine that owns its disks, to place the damage on a disk, read SMART and scrub there');
  t.is(find(actions([one]), 'network-agent'), undefined);
});
