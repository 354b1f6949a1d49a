// Runs detect() in a process of its own, so a test can run it as another user (nobody) and see
// what a non-root agent gets. Mounts come as JSON in argv[2]; devices go to stdout as JSON.
import { createPluginContext } from '../../../src/plugin-host/context.js';
import type { MountFacts } from '../../../src/shared/plugin-api.js';
import plugin from '../index.js';

const mounts = JSON.parse(process.argv[2] ?? '[]') as MountFacts[];
const devices = await plugin.detector!.detect({ mounts }, createPluginContext({ id: 'linux', config: {} }, {}, () => undefined));
process.stdout.write(JSON.stringify({ uid: process.getuid?.(), devices }));
