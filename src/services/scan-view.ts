/** Scans as the pages and the JSON API show them: one mapping for both. */
import { ALARM_STATUSES, FINDING_STATUSES, type FindingStatus } from '../domain/findings.js';
import type { ScanRootRow, ScanRow } from '../repositories/scan.repository.js';
import type { ScanProgress } from './scan.service.js';
import { fullCounts } from './scan-query.service.js';

const iso = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

export function scanJson(scan: ScanRow, roots: ScanRootRow[]) {
  const counts = fullCounts(scan.counts);
  const endNs = scan.endedAtNs ?? null;
  const seconds = endNs === null ? null : Number((endNs - scan.startedAtNs) / 1_000_000n) / 1000;
  return {
    id: scan.id,
    status: scan.status,
    reason: scan.statusReason,
    trigger: scan.trigger,
    scheduleId: scan.scheduleId,
    host: { id: scan.hostId, hostname: scan.hostname, address: scan.hostAddress },
    algorithm: scan.algorithm,
    excludes: scan.options.excludes,
    threads: scan.options.threads,
    roots: roots.map((r) => ({ path: r.path, deviceId: r.device.deviceId, mountPoint: r.device.mountPoint, fsType: r.device.fsType, source: r.device.source, uuid: r.device.uuid, label: r.device.label, note: r.device.note })),
    startedAt: iso(scan.startedAtNs),
    endedAt: iso(endNs),
    seconds,
    files: scan.filesDone,
    bytes: Number(scan.bytesDone),
    bytesPerSecond: seconds ? Math.round(Number(scan.bytesDone) / seconds) : null,
    counts,
    alarms: [...ALARM_STATUSES].reduce((n, s) => n + counts[s], 0),
    resumable: scan.status === 'interrupted' || scan.status === 'aborted',
  };
}

export type ScanJson = ReturnType<typeof scanJson>;

/** Seconds of a network scan before its rate is judged: the first reads are not representative. */
const RATE_SETTLES_S = 10;

/** DESIGN's network thresholds: what a slow share should make the user do. */
export function throughputAdvice(bytesPerSecond: number, elapsedSeconds: number, t: { warn: number; agent: number; abort: number } | null) {
  if (!t || elapsedSeconds < RATE_SETTLES_S) return null;
  const mbps = bytesPerSecond / 1e6;
  const at = `${mbps.toFixed(1)} MB/s`;
  if (mbps < t.abort) return { level: 'abort' as const, message: `network storage reads at ${at}, under ${t.abort} MB/s: consider stopping this scan and running a Bitarr agent on the machine that has the disks` };
  if (mbps < t.agent) return { level: 'agent' as const, message: `network storage reads at ${at}, under ${t.agent} MB/s: a Bitarr agent on the NAS would scan its disks locally, much faster` };
  if (mbps < t.warn) return { level: 'warn' as const, message: `network storage reads at ${at}, under ${t.warn} MB/s: this scan will take a while` };
  return null;
}

/** Live progress with rate and ETA; the ETA needs a previous complete scan of the same roots. */
export function progressJson(p: ScanProgress, stopping: string | null, nowMs = Date.now(), network: { warn: number; agent: number; abort: number } | null = null) {
  const elapsed = Math.max(0.001, (nowMs - p.startedAtMs) / 1000);
  const rate = p.bytesDone / elapsed;
  const filesRate = p.filesDone / elapsed;
  let etaSeconds: number | null = null;
  let percent: number | null = null;
  if (p.expected && p.expected.bytes > 0 && rate > 0) {
    const left = Math.max(0, p.expected.bytes - p.bytesDone);
    etaSeconds = Math.round(left / rate);
    percent = Math.min(99.9, (p.bytesDone / p.expected.bytes) * 100);
  } else if (p.expected && p.expected.files > 0 && filesRate > 0) {
    etaSeconds = Math.round(Math.max(0, p.expected.files - p.filesDone) / filesRate);
    percent = Math.min(99.9, (p.filesDone / p.expected.files) * 100);
  }
  const counts = fullCounts(p.counts);
  return {
    scanId: p.scanId,
    phase: p.phase,
    files: p.filesDone,
    bytes: p.bytesDone,
    elapsedSeconds: Math.round(elapsed),
    bytesPerSecond: Math.round(rate),
    filesPerSecond: Math.round(filesRate),
    etaSeconds,
    percent: percent === null ? null : Math.round(percent * 10) / 10,
    expected: p.expected,
    currentPath: p.currentPath,
    counts,
    alarms: [...ALARM_STATUSES].reduce((n, s) => n + counts[s], 0),
    stopping,
    network: network !== null,
    throughput: throughputAdvice(rate, elapsed, network),
  };
}

export type ProgressJson = ReturnType<typeof progressJson>;

/** Statuses worth a chip on a scan: those with files, alarms first. */
export function countChips(counts: Record<FindingStatus, number>): Array<{ status: FindingStatus; n: number; alarm: boolean }> {
  return FINDING_STATUSES.filter((s) => counts[s] > 0)
    .map((s) => ({ status: s, n: counts[s], alarm: ALARM_STATUSES.has(s) }))
    .sort((a, b) => Number(b.alarm) - Number(a.alarm));
}

export function duration(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}
