#!/usr/bin/env node
/** The `bitarr` command: wiring only. Errors are decided here, once. */
import { BitarrError } from './domain/errors.js';
import { dbCommand } from './cli/db.command.js';
import { devicesCommand } from './cli/devices.command.js';
import { eventCommand, eventsCommand } from './cli/events.command.js';
import { filesCommand } from './cli/files.command.js';
import { healthCommand } from './cli/health.command.js';
import { historyCommand, showCommand } from './cli/history.command.js';
import { mapCommand } from './cli/map.command.js';
import { pluginsCommand } from './cli/plugins.command.js';
import { EXIT_ERROR, scanCommand } from './cli/scan.command.js';
import { serveCommand } from './cli/serve.command.js';
import { smartCommand } from './cli/smart.command.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  scan: scanCommand,
  history: historyCommand,
  show: showCommand,
  files: filesCommand,
  devices: devicesCommand,
  plugins: pluginsCommand,
  map: mapCommand,
  smart: smartCommand,
  events: eventsCommand,
  event: eventCommand,
  health: healthCommand,
  db: dbCommand,
};

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
  const command = COMMANDS[name];
  if (!command) throw new BitarrError('usage', `unknown command "${name}"\n${USAGE}`);
  return command(rest);
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
