// udev's view of block devices: `udevadm info --export-db` (P:/N:/S:/E: lines, one blank-line
// separated record per device, one process for all of them) or `udevadm info --query=property`
// (plain KEY=value). Containers usually have no udevd and an empty database: that is a missing
// source, said as such, never an error.

/** DEVNAME (`/dev/sda`) → udev properties (ID_SERIAL_SHORT, ID_WWN, ID_BUS, ID_MODEL…). */
export type UdevRecords = Map<string, Record<string, string>>;

export function parseUdevDb(output: string): UdevRecords {
  const records: UdevRecords = new Map();
  let props: Record<string, string> = {};
  let nodeName: string | null = null;
  const flush = () => {
    const devname = props.DEVNAME ?? (nodeName ? `/dev/${nodeName}` : null);
    if (devname !== null && (props.SUBSYSTEM === undefined || props.SUBSYSTEM === 'block')) records.set(devname, props);
    props = {};
    nodeName = null;
  };
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') {
      flush();
      continue;
    }
    const tagged = /^([A-Z]): ?(.*)$/.exec(line);
    if (tagged) {
      const [, tag, rest] = tagged;
      if (tag === 'N') nodeName = rest!;
      if (tag !== 'E') continue;
      assign(props, rest!);
    } else {
      assign(props, line);
    }
  }
  flush();
  return records;
}

function assign(props: Record<string, string>, pair: string): void {
  const eq = pair.indexOf('=');
  if (eq > 0) props[pair.slice(0, eq)] = pair.slice(eq + 1);
}
