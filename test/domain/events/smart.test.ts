import test from 'ava';
import { explainEvent, toEventFiles } from '../../../src/domain/events/explain.js';
import { smartGrowthFrom } from '../../../src/domain/events/smart.js';
import { DEFAULT_EVENT_SETTINGS } from '../../../src/domain/events/types.js';
import { GiB, KiB, disk, file } from './fixtures.js';

test('the health module\'s growth becomes evidence only for counters that mean lost sectors', (t) => {
  const g = smartGrowthFrom([
    { metric: 'reallocated_sectors', from: 8, to: 24 },
    { metric: 'media_errors', from: 0, to: 2 },
    { metric: 'crc_errors', from: 1, to: 50 }, // a cable, not the medium: the cable action covers it
    { metric: 'pending_sectors', from: 3, to: 3 },
  ]);
  t.deepEqual(g, [
    { counter: 'reallocated', before: 8, after: 24, label: 'reallocated sectors' },
    { counter: 'uncorrectable', before: 0, after: 2, label: 'media errors' },
  ]);
  const e = explainEvent(toEventFiles([file('/a', 'corrupted', [GiB, 4 * KiB])], 1), { smartGrowth: g, recurrences: [] }, disk, DEFAULT_EVENT_SETTINGS);
  t.is(e.severity, 'severe');
  t.is(e.reasons[0].text, 'SMART counts grew while files were damaged: reallocated sectors 8 → 24, media errors 0 → 2');
});
