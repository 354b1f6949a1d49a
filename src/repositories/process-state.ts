/** Whether a process of this host is still running. */
import { readFileSync } from 'node:fs';

/**
 * kill(pid, 0) also answers for a zombie: a scan killed with -9 whose parent has not reaped it
 * yet would count as running, and hold back a scan of the same files until its heartbeat went
 * stale. Where /proc exists, a zombie is dead.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // Gone since kill(), or no /proc here (then kill's answer stands).
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !procExists();
  }
  // "PID (COMMAND) STATE …": the command may itself hold ") ", so the state follows the last one.
  return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}

let hasProc: boolean | undefined;
const procExists = () => (hasProc ??= (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})());
