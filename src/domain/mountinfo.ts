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

/**
 * The mount that holds `path` (already resolved): the deepest mount point above it, the last one
 * listed when mounts are stacked. Not the device number: btrfs reports a per-subvolume device in
 * stat() that mountinfo does not list.
 */
export function mountFor(entries: MountEntry[], path: string): MountEntry | null {
  const under = (mp: string) => mp === '/' || path === mp || path.startsWith(mp + '/');
  let best: MountEntry | null = null;
  for (const e of entries) {
    if (under(e.mountPoint) && (!best || e.mountPoint.length >= best.mountPoint.length)) best = e;
  }
  return best;
}
