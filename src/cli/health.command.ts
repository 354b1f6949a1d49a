/**
 * `bitarr health [DEVICE] [--smart-type TYPE] [--json]`: SMART and Bitarr's own evidence for each
 * device of this host (or one: its id, /dev path or a mount point), recorded for trends.
 */
import { usageError, notFoundError } from '../domain/errors.js';
import type { HealthCheck } from '../services/health.service.js';
import { deviceName } from '../services/event.service.js';
import { parse } from './args.js';
import { deviceService, loadPlugins, openContext } from './context.js';
import { healthService } from './event-context.js';
import { isoFromNs } from './format.js';

export async function healthCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    'smart-type': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 1) throw usageError('usage: bitarr health [DEVICE] [--smart-type TYPE] [--json]');
  const smartType = values['smart-type'] as string | undefined;
  if (smartType !== undefined && !positionals.length) throw usageError('--smart-type is set for one device: name it (bitarr health DEVICE --smart-type sat)');
  if (smartType !== undefined && smartType !== '' && !/^[a-z0-9][a-z0-9,+_-]*$/i.test(smartType)) throw usageError(`not a smartctl device type: "${smartType}" (examples: sat, nvme, megaraid,0; "" clears it)`);
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const model = await deviceService(ctx, await loadPlugins(ctx.config, { capabilities: ['detector'] })).refresh();
    const local = model.hosts.find((h) => h.id === ctx.host.id)?.devices.filter((d) => d.present) ?? [];
    let chosen = local;
    if (positionals.length) {
      const want = positionals[0]!;
      const hit = local.find((d) => String(d.id) === want || d.devicePath === want || d.mounts.some((m) => m.present && m.mountPoint === want));
      if (!hit) throw notFoundError(`no device of this host is "${want}": give a device id, its /dev path or a mount point (bitarr devices lists them)`);
      chosen = [hit];
    }
    const health = healthService(ctx);
    if (smartType !== undefined) {
      await health.setDeviceType(chosen[0]!.id, smartType || null);
      chosen = [{ ...chosen[0]!, smartDeviceType: smartType || null }];
    }
    const checks: HealthCheck[] = [];
    for (const d of chosen) checks.push(await health.check(d));
    if (values.json) {
      process.stdout.write(JSON.stringify({ devices: checks.map(checkJson) }) + '\n');
      return 0;
    }
    if (!checks.length) process.stdout.write('No storage devices detected on this host.\n');
    for (const c of checks) process.stdout.write(checkText(c));
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}

function checkJson(c: HealthCheck) {
  const a = c.assessment;
  return {
    id: c.device.id,
    name: deviceName(c.device),
    disk: c.disk,
    smartDeviceType: c.device.smartDeviceType,
    verdict: a.verdict,
    score: a.score,
    reasons: a.reasons,
    hints: c.hints,
    bitrot: c.bitrot,
    trends: a.trends ? { growth: a.trends.growth, projections: a.trends.projections } : null,
    collectedAt: isoFromNs(c.collectedAtNs),
  };
}

function checkText(c: HealthCheck): string {
  const a = c.assessment;
  const lines = [`[${c.device.id}] ${deviceName(c.device)}${c.disk ? ` (${c.disk})` : ''}: ${a.verdict}, score ${a.score}`];
  for (const r of a.reasons) lines.push(`    ${r.severity}: ${r.message}${r.advice ? ` — ${r.advice}` : ''}`);
  for (const h of c.hints) lines.push(`    to get SMART: ${h}`);
  for (const p of a.trends?.projections ?? []) {
    if (p.daysToFailing !== null && p.perMonth) lines.push(`    ${p.metric} grows ${p.perMonth.toFixed(1)}/month: failing range in about ${Math.round(p.daysToFailing)} days`);
  }
  const { openEvents, unreadableFiles } = c.bitrot;
  const open = openEvents.minor + openEvents.moderate + openEvents.severe;
  if (open) lines.push(`    ${open} open bitrot event(s)${unreadableFiles ? `, ${unreadableFiles} unreadable file(s)` : ''}: bitarr events`);
  return lines.join('\n') + '\n';
}
