// Loop devices and mount state, always addressed by the exact device or path we own.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, status } from './host.js';

// Tests run concurrently, and two `losetup --find` calls can race for the same free device.
export async function attachLoop(img: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await run('losetup', ['--find', '--show', img]);
      const dev = stdout.trim();
      if (!dev.startsWith('/dev/loop')) throw new Error(`losetup printed no device for ${img}: ${JSON.stringify(stdout)}`);
      return dev;
    } catch (error) {
      if (attempt >= 5 || !/busy/i.test(String(error))) throw error;
      await sleep(100 * attempt);
    }
  }
}

/**
 * After a lazy unmount the old filesystem lives on, on its old loop device, until its last
 * file is closed. Mounting the image a second time meanwhile would put two writers on it.
 */
export async function waitUntilImageUnused(img: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run('losetup', ['-j', img]);
    const holders = stdout.split('\n').filter(Boolean).map((line) => line.split(':')[0]);
    if (holders.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${img} is still attached to ${holders.join(', ')} (a lazily unmounted filesystem still in use?)`);
    await sleep(50);
  }
}

// If something still holds the device (a lazily unmounted filesystem, a slow FUSE daemon)
// the kernel turns this into autoclear: the device goes away when its last user does.
export async function detachLoop(dev: string): Promise<void> {
  await run('losetup', ['-d', dev]);
}

/**
 * FUSE daemons flush and close the device after umount has already returned. Reattaching the
 * image while one is still writing would let two writers race, so wait for `fuser -s` to say
 * nobody has the device open. fuser's complaints about unreadable /proc entries are ignored.
 */
export async function waitUntilReleased(dev: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await status('fuser', ['-s', dev])) !== 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

// mountinfo escapes blanks, tabs, newlines and backslashes in paths as octal.
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function isMountpoint(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] !== undefined && unescapeMountPath(line.split(' ')[4]!) === path);
}

/** Mount helpers that daemonize have usually mounted before exiting, but nothing promises it. */
export async function waitForMount(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isMountpoint(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not become a mountpoint within ${timeoutMs} ms`);
    await sleep(20);
  }
}
