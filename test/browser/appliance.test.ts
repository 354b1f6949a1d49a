/**
 * The appliance in a real browser, the way a user first meets it: set up the admin, log out and
 * in, allow a loop-mounted ext4 disk in Settings, baseline it with a scan, then rot three
 * neighbouring files under the filesystem and rescan slowly enough to watch the live progress.
 * The bitrot event shows the cluster of those three files with its sectors, the device map draws
 * the damaged extent, and acknowledging the event with a note happens in place (htmx), without a
 * page load. Any console error or failed request fails the test. Screenshots are kept.
 */
import type { Locator } from 'playwright-core';
import { Lab, fsNeeds, labTest } from '../lab/index.js';
import { PASSWORD, appliance } from '../server/helpers.js';
import { CHROMIUM, isSameDocument, markDocument, openBrowser, pathOf, shot, until, watchedPage } from './browser.js';

const test = labTest([...fsNeeds('ext4'), CHROMIUM]);

// ~20 MB at 2 MB/s: about ten seconds of scanning. The live count moves as the hashing workers
// hand back batches of up to 128 files, so many small files make it move several times.
const FILES = 600;
const FILE_BYTES = 32 * 1024;
const SLOW_MBPS = '2';

/** A photo library of a few hundred files in three folders; returns their paths inside the lab. */
async function photoLibrary(lab: Lab): Promise<string[]> {
  const spec: Record<string, number> = {};
  for (let i = 1; i <= FILES; i++) spec[`album${i % 3}/img_${String(i).padStart(4, '0')}.jpg`] = FILE_BYTES;
  await lab.writeFiles(spec);
  return Object.keys(spec).sort();
}

const filesCount = async (progress: Locator) => Number(((await progress.locator('p strong').first().textContent()) ?? '').replace(/,/g, ''));

test('first run to acknowledged bitrot in the browser: setup, login, scans with live progress, the event, the device map', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const files = await photoLibrary(lab);
  // Started with the disk already mounted, so the scan form offers it as a device.
  const app = await appliance(t);
  const browser = await openBrowser(t);
  const { page, problems, favicon, closedStreams, loads } = await watchedPage(browser, app.url);
  // Teardowns run last-registered first: this one still has the browser.
  t.teardown(async () => {
    if (!t.passed) await shot(page, '99-failure').catch(() => undefined);
  });

  // 1. First run: anything leads to /setup; creating the admin lands on the dashboard, logged in.
  await page.goto('/');
  t.is(pathOf(page), '/setup');
  await shot(page, '01-setup');
  await page.getByLabel('Username').fill('admin');
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create the admin' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('heading', { name: 'Machines and their storage' }).waitFor();
  t.is(await page.locator('header .who').textContent(), 'admin');
  await shot(page, '02-dashboard');

  // 2. Log out, then log in through the form.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  t.is(await page.locator('header .who').textContent(), 'admin');

  // 3. Allow the disk in Settings, then baseline it from the scan form.
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL((u) => u.pathname === '/settings');
  await page.locator('textarea[name=scanRoots]').fill(lab.mnt);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#settings-form .saved').waitFor();
  t.is(await page.locator('textarea[name=scanRoots]').inputValue(), lab.mnt);

  await page.getByRole('navigation').getByRole('link', { name: 'Scans' }).click();
  await page.waitForURL((u) => u.pathname === '/scans');
  const target = page.locator('select[name=target]');
  t.regex((await target.locator(`option[value="${lab.mnt}"]`).textContent()) ?? '', /ext4/, 'the mounted disk is offered as a device');
  await target.selectOption(lab.mnt);
  await page.getByRole('button', { name: 'Start scan' }).click();
  await page.waitForURL(/\/scans\/\d+$/);
  const baselineId = Number(/\/scans\/(\d+)$/.exec(page.url())![1]);
  await page.locator('h1 .status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  t.regex((await page.locator('#scan-summary').textContent()) ?? '', /No corruption found\./);
  t.regex((await page.locator('#scan-findings .chips').textContent()) ?? '', new RegExp(`new ${FILES}`));

  // 4. Rot three neighbouring files while the disk is unmounted, remount it where it was, and
  //    rescan slowly from the UI: the progress panel counts up over SSE, in the same document.
  const band = (await lab.neighbours(3, files)) as [string, string, string];
  const damage = await lab.corruptBand(band);
  const bandPaths = band.map((rel) => lab.path(rel)).sort();

  await page.getByRole('navigation').getByRole('link', { name: 'Scans' }).click();
  await page.waitForURL((u) => u.pathname === '/scans');
  await page.locator('select[name=target]').selectOption(lab.mnt);
  await page.locator('#scan-start summary', { hasText: 'Options' }).click();
  await page.locator('input[name=maxRateMBps]').fill(SLOW_MBPS);
  await page.locator('input[name=threads]').fill('1');
  await page.getByRole('button', { name: 'Start scan' }).click();
  await page.waitForURL(/\/scans\/\d+$/);
  const scanId = Number(/\/scans\/(\d+)$/.exec(page.url())![1]);
  t.true(scanId > baselineId);
  const progress = page.locator(`#live #scan-progress-${scanId}`);
  await progress.waitFor();
  await markDocument(page);
  const loadsBefore = loads();
  const seen: number[] = [await filesCount(progress)];
  await until('the files count to grow twice over SSE', async () => {
    const n = await filesCount(progress);
    if (n > seen.at(-1)!) seen.push(n);
    return seen.filter((x) => x > 0).length >= 2;
  }, 30_000, 200);
  t.true(await isSameDocument(page), `the counts ${seen.join(' → ')} arrived without a reload`);
  t.regex((await progress.textContent()) ?? '', /MB\/s|KB\/s/, 'the read speed is shown');
  t.true(seen.at(-1)! < FILES, `still scanning when captured (${seen.at(-1)} of ${FILES})`);
  t.log(`live files count seen: ${seen.join(' → ')}`);
  await shot(page, '03-scan-progress');

  // 5. When it ends, the page swaps itself to the result: three corrupted files.
  await page.locator('h1 .status', { hasText: 'completed' }).waitFor({ timeout: 90_000 });
  t.true(await isSameDocument(page), 'the finished scan was swapped in on the SSE done event');
  t.is(loads(), loadsBefore);
  t.regex((await page.locator('#scan-summary .error').textContent()) ?? '', /3 file\(s\) failed verification/);
  t.is(((await page.locator('#scan-findings a.chip.alarm').textContent()) ?? '').trim(), 'corrupted 3');
  const corrupted = (await page.locator('#scan-findings tr.finding-corrupted td:first-child code').allTextContents()).sort();
  t.deepEqual(corrupted, [...band].sort(), 'the three rotted files are listed as corrupted');
  t.true(await page.getByRole('navigation').isVisible(), 'the swapped page keeps its header and navigation');
  await shot(page, '04-scan-done');

  await page.getByRole('navigation').getByRole('link', { name: 'Events' }).click();
  await page.waitForURL((u) => u.pathname === '/events');
  const rows = page.locator('table.events tbody tr');
  t.is(await rows.count(), 1, 'one event for the three files');
  t.regex((await rows.first().textContent()) ?? '', /open/);
  await rows.first().locator('a[href^="/events/"]').click();
  await page.waitForURL(/\/events\/\d+$/);
  const eventId = Number(/\/events\/(\d+)$/.exec(page.url())![1]);
  const clusters = page.locator('#clusters .cluster');
  t.is(await clusters.count(), 1, 'one cluster');
  t.deepEqual((await clusters.locator('.files li code').allTextContents()).sort(), bandPaths);
  const heading = (await clusters.locator('h3').textContent()) ?? '';
  const range = /bytes (\d+)–(\d+) .*sectors (\d+)–(\d+)/.exec(heading);
  t.truthy(range, heading);
  const [start, end, firstSector, lastSector] = range!.slice(1).map(Number) as [number, number, number, number];
  t.true(start <= damage.start + damage.length && damage.start <= end, `the cluster ${start}–${end} covers the flipped bytes at ${damage.start}`);
  t.deepEqual([firstSector, lastSector], [Math.floor(start / 512), Math.floor((end - 1) / 512)]);
  await shot(page, '05-event');

  await page.locator('#event p a[href^="/devices/"]').click();
  await page.waitForURL(/\/devices\/\d+$/);
  const damaged = page.locator('#map svg.devmap rect.damaged');
  t.true((await damaged.count()) >= 1, 'the map draws damage');
  const spans = await damaged.evaluateAll((rects) => rects.map((r) => [Number(r.getAttribute('data-start')), Number(r.getAttribute('data-end')), r.getAttribute('data-clusters')] as const));
  t.true(spans.some(([s, e]) => s <= damage.start && damage.start < e), `a damaged rect holds byte ${damage.start}: ${JSON.stringify(spans)}`);
  t.true(spans.every(([, , c]) => (c ?? '').split(' ').includes(`${eventId}:0`)), 'every damaged rect is this event\'s cluster');
  t.true((await page.locator('#map svg.devmap rect.used').count()) > 0, 'used space is drawn');
  await shot(page, '06-device');
  await shot(page.locator('#map'), '07-device-map');

  // 6. Acknowledge with a note: the event swaps in place, the note is in its history.
  await page.locator(`#device-events a[href="/events/${eventId}"]`).click();
  await page.waitForURL(/\/events\/\d+$/);
  await markDocument(page);
  const loadsAtEvent = loads();
  const note = 'restoring the three photos from the Sunday backup';
  await page.locator('#event-form textarea[name=note]').fill(note);
  await page.locator('#event-form button.act-acknowledge').click();
  await page.locator('#event h1 .status', { hasText: 'acknowledged' }).waitFor();
  t.true(await isSameDocument(page), 'acknowledged without a page load');
  t.is(loads(), loadsAtEvent);
  const history = await page.locator('#history li').allTextContents();
  t.true(history.some((h) => /acknowledged by admin: .*restoring the three photos from the Sunday backup/.test(h.replace(/\s+/g, ' '))), history.join('\n'));
  await shot(page, '08-event-acknowledged');

  // 7. Nothing went wrong that only the console would have said.
  if (favicon.length) t.log(`favicon (no page links one; chromium asks anyway): ${[...new Set(favicon)].join('; ')}`);
  if (closedStreams.length) t.log(`progress streams the page closed itself: ${closedStreams.join('; ')}`);
  t.deepEqual(problems, []);
});
