// `blkid -c /dev/null -o export DEV…`: one KEY=value block per device that could be read, blank
// lines between them. A device blkid could not open (no permission, a container's device cgroup)
// is simply missing from the output, so what was asked for and not answered is the unknown.

/** DEVNAME → the keys blkid printed for it (TYPE, UUID, LABEL, UUID_SUB, PARTUUID, BLOCK_SIZE…). */
export type BlkidRecords = Map<string, Record<string, string>>;

// blkid's export format backslash-escapes shell-special characters in values (a label "My Disk"
// prints as My\ Disk); a backslash always stands for the character after it.
const unescape = (value: string) => value.replace(/\\(.)/g, '$1');

export function parseBlkidExport(output: string): BlkidRecords {
  const records: BlkidRecords = new Map();
  let current: Record<string, string> = {};
  const flush = () => {
    if (current.DEVNAME) records.set(current.DEVNAME, current);
    current = {};
  };
  for (const line of output.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    // A new DEVNAME without a blank line between still starts a new device.
    if (key === 'DEVNAME' && current.DEVNAME) flush();
    current[key] = unescape(line.slice(eq + 1));
  }
  flush();
  return records;
}

/** The arguments for one blkid call per chunk: enough devices to be batched, few enough for ARG_MAX. */
export function blkidCalls(devices: string[], chunk = 500): string[][] {
  const calls: string[][] = [];
  for (let i = 0; i < devices.length; i += chunk) {
    // -c /dev/null: no cache. A cache written by root earlier would otherwise answer a non-root
    // caller with what was on the device then, which is exactly the stale fact to avoid.
    calls.push(['-c', '/dev/null', '-o', 'export', ...devices.slice(i, i + chunk)]);
  }
  return calls;
}
