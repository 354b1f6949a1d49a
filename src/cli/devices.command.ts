/** `bitarr devices [--all] [--json]`: this host's storage devices, their mounts and what is known of them. */
import { usageError } from '../domain/errors.js';
import type { HostView } from '../services/device.service.js';
import { hostJson, presentOnly } from '../services/device-view.js';
import { parse } from './args.js';
import { deviceService, loadPlugins, openContext } from './context.js';
import { bytes } from './format.js';

export async function devicesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length) throw usageError('usage: bitarr devices [--all] [--json]');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const plugins = await loadPlugins(ctx.config);
    const model = await deviceService(ctx, plugins).refresh();
    const hosts = presentOnly(model.hosts, Boolean(values.all));
    const pluginProblems = plugins.records.filter((r) => r.state === 'broken' || r.state === 'unavailable').map((r) => ({ plugin: r.id, state: r.state, reasons: r.reasons }));
    if (values.json) {
      process.stdout.write(JSON.stringify({ hosts: hosts.map(hostJson), problems: model.problems, plugins: pluginProblems }) + '\n');
      return 0;
    }
    for (const h of hosts) process.stdout.write(hostText(h));
    for (const p of model.problems) process.stdout.write(`! detector ${p.plugin} failed: ${p.message}\n`);
    for (const p of pluginProblems) process.stdout.write(`! plugin ${p.plugin} is ${p.state}: ${p.reasons.join('; ')}\n`);
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}

function hostText(h: HostView): string {
  const lines = [`${h.displayName}${h.isLocal ? ' — this host' : ''}`];
  if (!h.devices.length) lines.push('  no storage devices detected');
  for (const d of h.devices) {
    const what = [d.type, d.sizeBytes ? bytes(d.sizeBytes) : null, d.model, d.transport].filter(Boolean).join(', ');
    lines.push(`  [${d.id}] ${d.fsType ?? '?'} ${d.label ? `"${d.label}" ` : ''}on ${d.devicePath ?? '?'} — ${what}${d.present ? '' : ' (not present now)'}`);
    lines.push(`      identity ${d.identityKind} ${d.identityValue}`);
    if (d.evidence.length) lines.push(`      why ${d.type}: ${d.evidence.join('; ')}`);
    for (const m of d.mounts.filter((m) => m.present)) lines.push(`      mounted at ${m.mountPoint}${m.fsRoot !== '/' ? ` (${m.fsRoot})` : ''}`);
    for (const u of d.unknown) lines.push(`      unknown ${u.fact}: ${u.reason}${u.needs ? ` (needs ${u.needs})` : ''}`);
    for (const w of d.warnings) lines.push(`      ! ${w}`);
  }
  return lines.join('\n') + '\n';
}
