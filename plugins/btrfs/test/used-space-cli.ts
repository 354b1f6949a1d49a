// Runs usedSpace() in a process of its own, so a test can run it as another user (nobody) and
// see what a non-root agent gets. Arguments: DEVICE MOUNTPOINT; the result goes to stdout as JSON.
import { createPluginContext } from '../../../src/plugin-host/context.js';
import plugin from '../index.js';

const [device = '', mountPoint = ''] = process.argv.slice(2);
const result = await plugin.sectorMapper!.usedSpace!({ device, mountPoint, fsType: 'btrfs' }, createPluginContext({ id: 'btrfs', config: {} }, {}, () => undefined));
process.stdout.write(JSON.stringify({ uid: process.getuid?.(), result }));
