/** `bitarr scan PATH... [--config-dir DIR] [--algorithm A] [--exclude GLOB]... [--threads N] [--max-rate R] [--resume] [--json]` */
import { ALGORITHMS, parseAlgorithm } from '../domain/algorithms.js';
import { usageError } from '../domain/errors.js';
import { ALARM_STATUSES, type FindingStatus } from '../domain/findings.js';
import { ScanQueryService, fullCounts } from '../services/scan-query.service.js';
import { ScanService, type ScanOutcome } from '../services/scan.service.js';
import { databaseFile, openReader, READER_CONNECTIONS } from '../repositories/db.js';
import { prestartHashWorkers } from '../repositories/hash-pool.js';
import { deviceService, loadPlugins, openContext, settingsService } from './context.js';
import { ScanRepository } from '../repositories/scan.repository.js';
import { RetentionService } from '../services/retention.service.js';
import { scannedDevices } from '../services/scan-manager.service.js';
import type { EventChange, EventService } from '../services/event.service.js';
import { UsedSpaceRepository } from '../repositories/used-space.repository.js';
import { bytes, duration, int, isoFromNs } from './format.js';
import { parse, parseRate, writeJsonChunks } from './args.js';
import { ProgressLine } from './progress.js';
import { displayPath } from '../domain/path-bytes.js';

export const EXIT_OK = 0;
export const EXIT_ALARM = 1;
export const EXIT_ERROR = 2;
export const EXIT_SIGINT = 130;
const MEASURE_BESIDE_AFTER_MS = 5000;

export async function scanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    algorithm: { type: 'string' },
    exclude: { type: 'string', multiple: true, default: [] },
    threads: { type: 'string' },
    resume: { type: 'boolean', default: false },
    'max-rate': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  });
  // Unset, they take the appliance's settings (which default to xxh3-128 and 4 threads).
  const algorithm = values.algorithm === undefined ? null : parseAlgorithm(String(values.algorithm));
  if (values.algorithm !== undefined && !algorithm) throw usageError(`unknown algorithm "${values.algorithm}"; choose one of ${ALGORITHMS.join(', ')}`);
  const threads = values.threads === undefined ? null : Number(values.threads);
  if (threads !== null && (!Number.isInteger(threads) || threads < 1 || threads > 64)) throw usageError('--threads must be a whole number from 1 to 64');
  const maxRate = parseRate(String(values['max-rate']));
  if (!positionals.length) throw usageError('usage: bitarr scan PATH... (name at least one folder)');
  // They start while the database opens. Without --threads the settings decide, read later: one a
  // core then, and a spare left unused costs only its start.
  prestartHashWorkers(threads ?? Infinity);

  const ctx = await openContext(values['config-dir'] as string | undefined);
  const reader = openReader(ctx.config);
  try {
    const settings = await settingsService(ctx).get();
    const devices = deviceService(ctx, await loadPlugins(ctx.config, { capabilities: ['detector'] }));
    const service = new ScanService(ctx.db, reader, ctx.host, databaseFile(ctx.config), (path) => devices.forScan(path));
    const handle = await service.start({
      roots: positionals,
      algorithm: algorithm ?? settings.defaultAlgorithm,
      excludes: values.exclude as string[],
      threads: threads ?? settings.scanThreads,
      resume: Boolean(values.resume),
      maxRate,
    });
    // The device map's used space (the appliance's device page), when its last measurement is a
    // day old, is measured beside a scan still running after a few seconds: reading a big disk's
    // allocation takes seconds, which a long scan of that disk hides. A short clean scan leaves it
    // to the appliance's scans and its "Check now": the command line never shows the map, and
    // measuring after took 0.2 s of a 1.5 s scan of 16 GiB here. Damage is measured for anyway.
    let events: Promise<EventService> | null = null;
    const eventsOf = () =>
      (events ??= Promise.all([loadPlugins(ctx.config), import('./event-context.js'), import('../domain/events/index.js')]).then(
        ([plugins, { eventService, healthService }, { DEFAULT_EVENT_SETTINGS }]) =>
          eventService(ctx, plugins, (device) => healthService(ctx).growthNow(device), { ...DEFAULT_EVENT_SETTINGS, gapBytes: settings.clusterGapBytes }),
      ));
    const store = new UsedSpaceRepository(ctx.db);
    let measuring: Promise<{ ids: Set<number>; error: unknown }> | null = null;
    // Settled at once, so a failure waits for the scan's end instead of ending the process.
    const measure = () =>
      (measuring ??= measureUsedSpace(handle.deviceIds, store, eventsOf).then(
        (ids) => ({ ids, error: null as unknown }),
        (error: unknown) => ({ ids: new Set<number>(), error }),
      ));
    const besideTimer = setTimeout(measure, MEASURE_BESIDE_AFTER_MS);
    const progress = new ProgressLine(process.stderr, handle.progress);
    let stoppedBySignal = false;
    const onSignal = (sig: string) => {
      if (stoppedBySignal) process.exit(EXIT_SIGINT);
      stoppedBySignal = true;
      handle.stop(`stopped by ${sig}`);
      progress.stop();
      process.stderr.write(`bitarr: stopping scan ${handle.scanId} after the files in flight (${sig} again quits at once)\n`);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    progress.start();
    const outcome = await handle.done.finally(() => clearTimeout(besideTimer));
    progress.stop();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);

    // Damage becomes bitrot events (placed on the disk, grouped, explained) before anything is printed.
    const alarmCount = [...ALARM_STATUSES].reduce((n, st) => n + (outcome.scan.counts[st] ?? 0), 0);
    const damaged = alarmCount > 0 && outcome.status !== 'aborted';
    const { ids: measured, error: measureError } = measuring ? await measuring : { ids: new Set<number>(), error: null };
    if (measureError) throw measureError;
    let changes: EventChange[] = [];
    // All plugins (mappers too) only when there is something to place on a disk: a clean scan stays quick.
    if (damaged) {
      changes = await (await eventsOf()).afterScan(outcome.scan.id);
      // Damage is about to be looked at on the map: its used space is measured unless it just was.
      for (const id of scannedDevices(outcome)) if (!measured.has(id)) await (await eventsOf()).recordUsedSpace(id);
    }
    if (outcome.status === 'completed') await new RetentionService(new ScanRepository(ctx.db)).prune(settings.retentionDays);
    // On the read-only connections: a long findings list is built on several at once.
    const query = new ScanQueryService(reader);
    if (values.json) await printJson(outcome, query, ctx.host, changes);
    else await printSummary(outcome, query, changes);

    const counts = fullCounts(outcome.scan.counts);
    if ([...ALARM_STATUSES].some((s) => counts[s] > 0)) return EXIT_ALARM;
    if (outcome.status === 'completed') return EXIT_OK;
    if (outcome.status === 'interrupted' && stoppedBySignal) return EXIT_SIGINT;
    process.stderr.write(`bitarr: scan ${outcome.scan.id} ${outcome.status}: ${outcome.reason}\n`);
    return EXIT_ERROR;
  } finally {
    await reader.destroy();
    await ctx.db.destroy();
  }
}

function deviceJson(d: ScanOutcome['roots'][number]['device']) {
  return { id: d.deviceId, source: d.source, fsType: d.fsType, mountType: d.mountType, mountPoint: d.mountPoint, uuid: d.uuid, label: d.label, note: d.note };
}

async function printJson(o: ScanOutcome, query: ScanQueryService, host: { id: string; hostname: string; address: string | null }, events: EventChange[]) {
  const s = o.scan;
  const devices = [...new Map(o.roots.map((r) => [r.device.deviceId ?? r.device.uuid ?? r.device.source ?? r.path, deviceJson(r.device)])).values()];
  const head = {
    scanId: s.id,
    status: o.status,
    reason: o.reason,
    host,
    algorithm: s.algorithm,
    roots: o.roots.map((r) => ({ path: r.path, device: deviceJson(r.device) })),
    devices,
    startedAt: isoFromNs(s.startedAtNs),
    endedAt: isoFromNs(s.endedAtNs),
    startedAtNs: s.startedAtNs.toString(),
    endedAtNs: s.endedAtNs?.toString() ?? null,
    files: s.filesDone,
    bytes: Number(s.bytesDone),
    counts: fullCounts(s.counts),
    timing: o.timing,
    events: events.map((e) => ({ id: e.eventId, deviceId: e.deviceId, change: e.change, severity: e.severity, files: e.files })),
  };
  await writeJsonChunks(process.stdout, head, 'findings', query.findingsJson(s.id, READER_CONNECTIONS));
}

const SHOWN = 20;

async function printSummary(o: ScanOutcome, query: ScanQueryService, events: EventChange[]) {
  const s = o.scan;
  const ms = Number(((s.endedAtNs ?? s.startedAtNs) - s.startedAtNs) / 1_000_000n);
  const rate = ms > 0 ? bytes((Number(s.bytesDone) / ms) * 1000) + '/s' : '';
  const out: string[] = [];
  out.push(`Scan ${s.id} ${o.status} in ${duration(ms)}: ${int(s.filesDone)} files, ${bytes(Number(s.bytesDone))} ${rate ? `(${rate})` : ''}, ${s.algorithm}`);
  if (o.reason) out.push(`  ${o.reason}`);
  for (const r of o.roots) {
    const d = r.device;
    const dev = [d.source, d.fsType, d.uuid ? `UUID ${d.uuid}` : null].filter(Boolean).join(', ');
    out.push(`  ${r.path}  on ${dev || 'an unknown device'}${d.note ? ` (${d.note})` : ''}`);
  }
  const counts = fullCounts(s.counts);
  out.push('  ' + (Object.entries(counts) as Array<[FindingStatus, number]>).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${int(n)}`).join(' · '));
  const alarms = [...ALARM_STATUSES].reduce((n, st) => n + counts[st], 0);
  out.push(alarms ? `  ${alarms} file(s) need attention: restore them from a backup and check the disk.` : '  No corruption found.');
  const notable = await query.notable(s.id, SHOWN);
  if (notable.items.length) out.push('Findings:', ...notable.items.map((f) => `  ${f.status.padEnd(24)} ${displayPath(f.path)}${f.detail ? `  — ${f.detail}` : ''}`));
  if (notable.total > SHOWN) out.push(`  … and ${notable.total - SHOWN} more: bitarr show ${s.id}`);
  for (const e of events) {
    const what = e.change === 'opened' ? 'opened' : e.change === 'grew' ? 'grew' : 'seen again';
    out.push(`Bitrot event ${e.eventId} ${what} (${e.severity}): where on the disk and what to do: bitarr event ${e.eventId}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** Measures the used space of the devices whose last measurement is a day old; the ids it measured. */
async function measureUsedSpace(deviceIds: number[], store: UsedSpaceRepository, eventsOf: () => Promise<EventService>): Promise<Set<number>> {
  const measured = new Set<number>();
  const { usedSpaceDue } = await import('../services/event.service.js');
  for (const id of deviceIds) {
    if (!(await usedSpaceDue(store, id))) continue;
    await (await eventsOf()).recordUsedSpace(id);
    measured.add(id);
  }
  return measured;
}
