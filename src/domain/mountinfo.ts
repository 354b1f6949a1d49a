/** Parsing of /proc/self/mountinfo (proc(5)). Pure, so recorded lines from other hosts test it. */
export interface MountEntry {
  major: number;
  minor: number;
  /** Path inside the filesystem that is mounted here (a btrfs subvolume or bind source). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

// Mount points escape space, tab, newline and backslash as octal.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const [major, minor] = (pre[2] ?? '').split(':').map(Number);
    out.push({
      major,
      minor,
      root: unescape(pre[3] ?? ''),
      mountPoint: unescape(pre[4] ?? ''),
      options: pre[5] ?? '',
      fsType: post[0] ?? '',
      source: unescape(post[1] ?? ''),
    });
  }
  return out;
}

/** Linux dev_t → major/minor, as the kernel packs them (glibc's gnu_dev_major/minor). */
export function splitDev(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The mount that holds `path` (already resolved): same device, longest mount point prefix. */
export function mountFor(entries: MountEntry[], path: string, dev: bigint): MountEntry | null {
  const { major, minor } = splitDev(dev);
  const under = (mp: string) => mp === '/' || path === mp || path.startsWith(mp + '/');
  let best: MountEntry | null = null;
  for (const e of entries) {
    if (e.major !== major || e.minor !== minor || !under(e.mountPoint)) continue;
    if (!best || e.mountPoint.length >= best.mountPoint.length) best = e;
  }
  return best;
}
