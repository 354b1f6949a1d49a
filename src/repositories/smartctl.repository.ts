/**
 * Runs `smartctl --json -x [-d TYPE] DEVICE`. smartctl's exit status is a bit mask (see
 * domain/health/exit-status.ts): a healthy disk with an old error-log entry exits 64 with complete
 * JSON on stdout, so a non-zero exit is not a failure here. runCommand rejects every non-zero exit
 * and drops stdout, so this runs execFile itself with command.ts's environment (no shell, C locale,
 * sbin on PATH, a timeout that kills).
 */
import { execFile } from 'node:child_process';
import { decodeExitStatus, couldNotOpen } from '../domain/health/exit-status.js';
import { usageError } from '../domain/errors.js';
import { findExecutable, toolEnv } from './command.js';

export type SmartctlResult =
  /** JSON on stdout, whatever the exit bits say of the drive. */
  | { kind: 'output'; json: string; exitCode: number }
  /** smartctl ran but could not open or identify the device (exit bits 0–1); `json` says why. */
  | { kind: 'device_unavailable'; json: string | null; exitCode: number | null; message: string }
  | { kind: 'smartctl_missing'; message: string }
  /** No JSON: timed out, killed, or a smartctl older than 7.0 (no --json). */
  | { kind: 'failed'; exitCode: number | null; message: string };

export interface SmartctlOptions {
  /** smartctl's -d: `sat` behind USB bridges, `megaraid,N` behind MegaRAID, `nvme`, … */
  deviceType?: string;
  timeoutMs?: number;
  /** The executable: a name looked up on PATH and sbin, or a path. */
  smartctl?: string;
  signal?: AbortSignal;
}

// -x on a large SAS disk with long logs stays well under this; a hung USB bridge does not.
const DEFAULT_TIMEOUT_MS = 60_000;

export async function readSmart(device: string, options: SmartctlOptions = {}): Promise<SmartctlResult> {
  // Both end up on smartctl's command line; a leading dash would be read as an option.
  if (!device || device.startsWith('-')) throw usageError(`not a device path: "${device}"`);
  if (options.deviceType !== undefined && !/^[a-z0-9][a-z0-9,+_-]*$/i.test(options.deviceType)) {
    throw usageError(`not a smartctl device type: "${options.deviceType}" (examples: sat, nvme, megaraid,0)`);
  }
  const executable = findExecutable(options.smartctl ?? 'smartctl');
  if (!executable) return missing(options.smartctl ?? 'smartctl');
  const args = ['--json', '-x', ...(options.deviceType ? ['-d', options.deviceType] : []), device];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(
      executable,
      args,
      { env: toolEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20, encoding: 'utf8', signal: options.signal },
      (error, stdout, stderr) => {
        const errno = (error as NodeJS.ErrnoException | null)?.code;
        if (errno === 'ENOENT' || errno === 'EACCES') return resolve(missing(executable));
        if (error && (error.signal || error.killed || errno === 'ABORT_ERR')) {
          const why = error.killed && !options.signal?.aborted ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `stopped (${error.signal ?? 'aborted'})`;
          return resolve({ kind: 'failed', exitCode: null, message: `smartctl ${device} ${why}` });
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const json = stdout.trim().startsWith('{') ? stdout : null;
        const status = decodeExitStatus(exitCode);
        if (couldNotOpen(status)) {
          return resolve({ kind: 'device_unavailable', json, exitCode, message: firstError(json) ?? (stderr.trim() || `smartctl could not open ${device} (exit ${exitCode})`) });
        }
        if (json === null || exitCode === null) {
          const said = (stdout.trim() || stderr.trim()).split('\n').find((l) => l.trim()) ?? 'no output';
          return resolve({ kind: 'failed', exitCode, message: `smartctl printed no JSON (exit ${exitCode}; smartctl 7.0 or later is needed): ${said}` });
        }
        resolve({ kind: 'output', json, exitCode });
      },
    );
  });
}

function missing(name: string): SmartctlResult {
  return { kind: 'smartctl_missing', message: `${name} was not found or cannot be run: install smartmontools 7.0 or later` };
}

function firstError(json: string | null): string | null {
  if (json === null) return null;
  try {
    const messages = (JSON.parse(json) as { smartctl?: { messages?: Array<{ string?: unknown; severity?: unknown }> } }).smartctl?.messages ?? [];
    const error = messages.find((m) => m.severity === 'error' && typeof m.string === 'string');
    return (error?.string as string | undefined) ?? null;
  } catch {
    return null;
  }
}
