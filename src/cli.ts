#!/usr/bin/env node
/** The `bitarr` command: wiring only. Errors are decided here, once. */
import { BitarrError } from './domain/errors.js';
type Command = (argv: string[]) => Promise<number>;

// Each command loads only its own modules: a scan must not pay for Koa, templates or the mappers.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./cli/serve.command.js')).serveCommand,
  scan: async () => (await import('./cli/scan.command.js')).scanCommand,
  history: async () => (await import('./cli/history.command.js')).historyCommand,
  show: async () => (await import('./cli/history.command.js')).showCommand,
  files: async () => (await import('./cli/files.command.js')).filesCommand,
  devices: async () => (await import('./cli/devices.command.js')).devicesCommand,
  plugins: async () => (await import('./cli/plugins.command.js')).pluginsCommand,
  map: async () => (await import('./cli/map.command.js')).mapCommand,
  smart: async () => (await import('./cli/smart.command.js')).smartCommand,
  events: async () => (await import('./cli/events.command.js')).eventsCommand,
  event: async () => (await import('./cli/events.command.js')).eventCommand,
  health: async () => (await import('./cli/health.command.js')).healthCommand,
  db: async () => (await import('./cli/db.command.js')).dbCommand,
};

/** Exit code of an error of use or environment (as `scan` documents). */
const EXIT_ERROR = 2;

const USAGE = `usage: bitarr <command> [options]

  serve          the appliance: web UI and JSON API on $BITARR_BIND:$BITARR_PORT (default 0.0.0.0:8286)
  scan PATH... [--algorithm A] [--exclude GLOB]... [--threads N] [--max-rate 50M] [--resume] [--json]
                 verify every file below PATH against its baseline
  history        list scans
  show SCAN_ID [--status S] [--page N] [--json]
                 a scan's findings
  files PATH [--json]
                 what Bitarr knows of each file at or below PATH
  devices [--all] [--json]
                 this host's storage devices, their mounts, type and what could not be learned
  map FILE... [--files-from LIST|-] [--json]
                 where each file's bytes are on its block device (byte offsets and 512-byte sectors)
  events [--all] [--json]
                 bitrot events: damaged files grouped by where they are on the disk, how bad, what to do
  event ID [ack|resolve|dismiss] [--note TEXT] [--by NAME] [--json]
                 one event in full, or move it on (resolve needs its files verified good by a rescan)
  health [DEVICE] [--smart-type TYPE] [--json]
                 SMART verdict, score and reasons per device, with trends; TYPE is smartctl's -d (sat, megaraid,N)
  plugins [--json]
                 filesystem and platform plugins, and why any is not ready
  db backup|list|restore NAME [--yes] [--json]
                 database backups in <config-dir>/backups (safe while scanning); restore saves the current one first

  Every command takes --config-dir DIR (default: $BITARR_CONFIG_DIR or ./data).
  Exit codes: 0 nothing wrong, 1 a file is corrupted, unreadable or unstable, 2 an error of use or environment.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : EXIT_ERROR;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new BitarrError('usage', `unknown command "${name}"\n${USAGE}`);
  return (await load())(rest);
}

// `bitarr scan --json | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof BitarrError && err.exposed) {
      process.stderr.write(`bitarr: ${err.message}\n`);
    } else {
      process.stderr.write(`bitarr: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exitCode = EXIT_ERROR;
  },
);
