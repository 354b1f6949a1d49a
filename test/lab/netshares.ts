// Network storage a test can really mount on this kernel, which has no CIFS or NFS client: samba
// on 127.0.0.1 read through smbnetfs (FUSE, libsmbclient), and sshd on 127.0.0.1 read through
// sshfs. smbd and sshd are children of the test process, stopped by their own pid; the FUSE
// clients daemonize and end with their unmount. Ports are picked free, so fixtures in parallel
// AVA workers never meet.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isMountpoint, waitForMount } from './device.js';
import { run } from './host.js';

/** What hostCan() must find before NetShares.create() can work. */
export const NET_SHARE_NEEDS = ['root', '/dev/fuse', 'smbd', 'smbnetfs', 'sshd', 'ssh', 'sshfs', 'ssh-keygen', 'mount', 'umount'];

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const PATH = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS].join(delimiter);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// If a worker dies without close() (timeout, crash), 'exit' still runs synchronously.
const abandoned = new Map<NetShares, () => void>();
let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.once('exit', () => abandoned.forEach((cleanUp) => cleanUp()));
}

export class NetShares {
  readonly dir: string;
  /** Server side: the directory samba serves as [share]. Writing here is a change made on the server. */
  readonly smbServed: string;
  /** Server side: the directory sshfs mounts over ssh. */
  readonly sshServed: string;
  /** smbnetfs mounts the whole SMB network here: <smbNetwork>/127.0.0.1:<port>/share. */
  readonly smbNetwork: string;
  /** The share alone, bind-mounted from inside smbNetwork (how a user would mount "a share at a path"). */
  readonly smbShare: string;
  readonly sshfs: string;
  smbPort = 0;
  sshPort = 0;
  /** How long create() took, for the report. */
  upMs = 0;
  #daemons: ChildProcess[] = [];
  #mounts: string[] = [];
  #closing: Promise<void> | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.smbServed = join(dir, 'served-smb');
    this.sshServed = join(dir, 'served-ssh');
    this.smbNetwork = join(dir, 'smbnetfs');
    this.smbShare = join(dir, 'smb-share');
    this.sshfs = join(dir, 'sshfs');
  }

  static async create(): Promise<NetShares> {
    const started = Date.now();
    // Real paths, because that is what /proc/self/mountinfo will say.
    const shares = new NetShares(await realpath(await mkdtemp(join(tmpdir(), 'bitarr-net-'))));
    installSafetyNet();
    abandoned.set(shares, () => shares.#abandonSync());
    try {
      for (const d of [shares.smbServed, shares.sshServed, shares.smbNetwork, shares.smbShare, shares.sshfs]) await mkdir(d);
      await shares.#startSmb();
      await shares.#startSsh();
      shares.upMs = Date.now() - started;
      return shares;
    } catch (error) {
      await shares.close().catch(() => undefined);
      throw error;
    }
  }

  /** The path of the share inside the smbnetfs network view (smbnetfs names a host with its port). */
  get smbNetworkShare(): string {
    return join(this.smbNetwork, `127.0.0.1:${this.smbPort}`, 'share');
  }

  /** Unmounts, stops the daemons, removes the temp dir. Idempotent; safe after any failure. */
  close(): Promise<void> {
    this.#closing ??= this.#cleanUp();
    return this.#closing;
  }

  async #startSmb(): Promise<void> {
    const conf = join(this.dir, 'samba');
    for (const sub of ['lock', 'state', 'cache', 'pid', 'private', 'ncalrpc', 'log']) await mkdir(join(conf, sub), { recursive: true });
    this.smbPort = await onFreePort(async (port) => {
      await writeFile(join(conf, 'smb.conf'), smbdConf(conf, this.smbServed, port));
      await this.#daemon('smbd', ['-F', '--no-process-group', `--configfile=${join(conf, 'smb.conf')}`], port, join(conf, 'smbd.out'));
    });

    // smbnetfs reads its own config and libsmbclient's from $HOME/.smb, nowhere else.
    const home = join(this.dir, 'smbnetfs-home');
    await mkdir(join(home, '.smb'), { recursive: true });
    await writeFile(join(home, '.smb', 'smbnetfs.conf'), 'auth "guest" ""\nshow_hidden_hosts "true"\nsmb_query_browsers "false"\n', { mode: 0o600 });
    await writeFile(join(home, '.smb', 'smb.conf'), '[global]\n  client min protocol = SMB2\n  disable netbios = yes\n', { mode: 0o600 });
    await runLogged('smbnetfs', [this.smbNetwork], join(this.dir, 'smbnetfs.out'), { HOME: home });
    this.#mounts.push(this.smbNetwork);
    await waitForMount(this.smbNetwork, START_TIMEOUT_MS);
    await waitForDir(this.smbNetworkShare, START_TIMEOUT_MS);
    await run('mount', ['--bind', this.smbNetworkShare, this.smbShare]);
    this.#mounts.push(this.smbShare);
  }

  async #startSsh(): Promise<void> {
    const conf = join(this.dir, 'ssh');
    await mkdir(conf);
    const hostKey = join(conf, 'host_ed25519');
    const clientKey = join(conf, 'client_ed25519');
    await Promise.all([hostKey, clientKey].map((key) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])));
    await copyFile(`${clientKey}.pub`, join(conf, 'authorized_keys'));
    await chmod(join(conf, 'authorized_keys'), 0o600);
    // sshd's privilege-separation directory is compiled in. It is the host's own (the
    // openssh-server service creates it too), so it is created when missing but never removed:
    // another fixture or the host's sshd may be using it.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    this.sshPort = await onFreePort(async (port) => {
      await writeFile(join(conf, 'sshd_config'), sshdConf(conf, hostKey, port));
      // sshd re-executes itself and insists on an absolute path for that.
      await this.#daemon(which('sshd'), ['-D', '-e', '-f', join(conf, 'sshd_config')], port, join(conf, 'sshd.out'));
    });
    const options = [`IdentityFile=${clientKey}`, 'StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'BatchMode=yes', 'LogLevel=ERROR', `port=${this.sshPort}`];
    await run('sshfs', ['-o', options.join(','), `root@127.0.0.1:${this.sshServed}`, this.sshfs], { daemonLog: join(conf, 'sshfs.out'), timeoutMs: START_TIMEOUT_MS });
    this.#mounts.push(this.sshfs);
    await waitForMount(this.sshfs, START_TIMEOUT_MS);
  }

  /** Starts a foreground daemon and returns once it listens on 127.0.0.1:port itself. */
  async #daemon(cmd: string, args: string[], port: number, log: string): Promise<void> {
    const fd = openSync(log, 'w');
    let child: ChildProcess;
    try {
      // A session of its own (smbd is then told not to make one): smbd signals its whole process
      // group when it stops, which would otherwise take the test runner down with it.
      child = spawn(cmd, args, { env: { ...process.env, PATH, LC_ALL: 'C' }, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.#daemons.push(child);
    let exited: string | null = null;
    child.once('error', (error) => (exited = error.message));
    child.once('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `exit ${String(code)}`));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited !== null) throw new Error(`${cmd} stopped (${exited}): ${readFileSync(log, 'utf8').trim().slice(-2000)}`);
      if (child.pid !== undefined && listensOn(child.pid, port)) return;
      if (Date.now() > deadline) throw new Error(`${cmd} did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
      await sleep(20);
    }
  }

  async #cleanUp(): Promise<void> {
    const problems: unknown[] = [];
    // The bind mount and sshfs before the smbnetfs network they hang off, then the servers.
    for (const mnt of [...this.#mounts].reverse()) {
      await run('umount', [mnt]).catch(async (error: unknown) => {
        problems.push(error);
        await run('umount', ['-l', mnt]).catch((lazyError: unknown) => problems.push(lazyError));
      });
    }
    this.#mounts = [];
    for (const child of this.#daemons) {
      if (!(await stop(child))) problems.push(new Error(`${child.spawnfile} (pid ${child.pid}) did not stop`));
    }
    this.#daemons = [];
    // Never recurse into a filesystem that is still mounted: that would be deleting through it.
    const stillMounted = [this.smbShare, this.sshfs, this.smbNetwork].filter(isMountpoint);
    if (stillMounted.length) problems.push(new Error(`still mounted, ${this.dir} kept: ${stillMounted.join(', ')}`));
    else await rm(this.dir, { recursive: true, force: true }).catch((error: unknown) => problems.push(error));
    abandoned.delete(this);
    if (problems.length > 0) throw new AggregateError(problems, `network shares in ${this.dir} were not fully cleaned up`);
  }

  #abandonSync(): void {
    for (const mnt of [...this.#mounts].reverse()) spawnSync('umount', ['-l', mnt], { stdio: 'ignore' });
    for (const child of this.#daemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if ([this.smbShare, this.sshfs, this.smbNetwork].some(isMountpoint)) return;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function smbdConf(conf: string, served: string, port: number): string {
  return `[global]
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = ${port}
  disable netbios = yes
  server role = standalone server
  map to guest = Bad User
  guest account = root
  lock directory = ${conf}/lock
  state directory = ${conf}/state
  cache directory = ${conf}/cache
  pid directory = ${conf}/pid
  private dir = ${conf}/private
  ncalrpc dir = ${conf}/ncalrpc
  log file = ${conf}/log/%m.log
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = ${served}
  read only = no
  guest ok = yes
`;
}

function sshdConf(conf: string, hostKey: string, port: number): string {
  return `ListenAddress 127.0.0.1
Port ${port}
HostKey ${hostKey}
PidFile ${conf}/sshd.pid
AuthorizedKeysFile ${conf}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
`;
}

/** Another process may take a free port before the daemon binds it; the daemon then exits, and another port is tried. */
async function onFreePort(start: (port: number) => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await start(port);
      return port;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A port nobody listens on right now; the daemon's own bind is the real test. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was given');
  return address.port;
}

/** Whether `pid` itself listens on 127.0.0.1:port: a process that took the port first must not pass for our daemon. */
function listensOn(pid: number, port: number): boolean {
  const address = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const sockets = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
    if (local === address && state === '0A' && inode !== undefined) sockets.add(`socket:[${inode}]`);
  }
  if (sockets.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => sockets.has(readlinkSync(`/proc/${pid}/fd/${fd}`)));
  } catch {
    return false; // the process or one of its fds went away meanwhile: ask again
  }
}

async function waitForDir(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await readdir(path);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${path} was not readable within ${timeoutMs} ms`, { cause: error });
      await sleep(50);
    }
  }
}

function which(name: string): string {
  for (const dir of PATH.split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this one
    }
  }
  throw new Error(`${name} is not installed`);
}

/** For a mount helper that daemonizes and needs its own environment; only the exit status is awaited. */
async function runLogged(cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv): Promise<void> {
  const fd = openSync(log, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cmd, args, { env: { ...process.env, PATH, LC_ALL: 'C', ...env }, stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
      child.once('error', (error) => (clearTimeout(timer), reject(error)));
      child.once('exit', (status) => (clearTimeout(timer), resolve(status)));
    });
    if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${String(code)}): ${readFileSync(log, 'utf8').trim()}`);
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL if it lingers. True once the process is gone. */
async function stop(child: ChildProcess): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return true;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) => Promise.race([gone.then(() => true), sleep(ms).then(() => false)]);
  child.kill('SIGTERM');
  if (await within(STOP_TIMEOUT_MS)) return true;
  child.kill('SIGKILL');
  return within(STOP_TIMEOUT_MS);
}
