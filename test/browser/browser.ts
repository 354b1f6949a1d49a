/**
 * Debian's chromium driven by playwright-core, with a fresh profile per launch. A watched page
 * collects everything a user would see go wrong without looking at the console (errors, uncaught
 * exceptions, failed requests), and counts real page loads, so a test can tell an htmx swap from
 * a reload. Screenshots go to test/browser/artifacts/ and are copied to /tmp/browser-shots/.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// The lab recipe's flags: no sandbox (tests run as root), no GPU in a VM, and nothing that talks
// to the network on its own, so the only requests are the ones the pages make.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const SHOTS_COPY = '/tmp/browser-shots';

/** Launches chromium (playwright-core gives it a temp profile) and closes it in teardown. */
export async function openBrowser(t: ExecutionContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  t.teardown(() => browser.close());
  return browser;
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, in the order they happened. */
  problems: string[];
  /** The browser's own favicon request: no page asks for it, so it is kept apart from problems. */
  favicon: string[];
  /**
   * Live streams the page closed itself (sse-close on `done`, or the element swapped away):
   * chromium calls that ERR_ABORTED when the server had not ended the stream first.
   */
  closedStreams: string[];
  /** Full loads of the main frame so far (an htmx swap does not count). */
  loads(): number;
}

const isFavicon = (url: string) => new URL(url).pathname === '/favicon.ico';

export async function watchedPage(browser: Browser, baseURL: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const favicon: string[] = [];
  const closedStreams: string[] = [];
  let loads = 0;
  page.on('load', () => loads++);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location().url;
    if (where && isFavicon(where)) favicon.push(`console: ${m.text()}`);
    else problems.push(`console error on ${page.url()}: ${m.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught on ${page.url()}: ${e.message}`));
  page.on('requestfailed', (r) => {
    const line = `${r.method()} ${r.url()} failed: ${r.failure()?.errorText ?? 'unknown'}`;
    if (isFavicon(r.url())) favicon.push(line);
    else if (r.resourceType() === 'eventsource' && r.failure()?.errorText === 'net::ERR_ABORTED') closedStreams.push(line);
    else problems.push(line);
  });
  page.on('response', (r) => {
    if (isFavicon(r.url())) favicon.push(`${r.status()} ${r.url()}`);
  });
  return { page, problems, favicon, closedStreams, loads: () => loads };
}

/** The path of the page the browser shows now. */
export const pathOf = (page: Page) => new URL(page.url()).pathname;

/** Saves a screenshot of the page (or one element of it) as an artifact; returns its path. */
export async function shot(target: Page | Locator, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  await mkdir(SHOTS_COPY, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  if ('goto' in target) await target.screenshot({ path, fullPage: true });
  else await target.screenshot({ path });
  await copyFile(path, join(SHOTS_COPY, `${name}.png`));
  return path;
}

/** Marks the current document: the mark survives htmx swaps and SSE updates, not a page load. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as Record<string, unknown>).bitarrSameDocument = true;
  });
}

export async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as Record<string, unknown>).bitarrSameDocument === true);
}

/** Polls `fn` until it returns something truthy, or fails naming what it waited for. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
