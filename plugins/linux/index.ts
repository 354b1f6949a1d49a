// The Linux device detector: what disk is under each block-backed mount, and how to know it again.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { linuxDetector } from './detector.js';

export { NETWORK_FILESYSTEMS, PSEUDO_FILESYSTEMS } from './mounts.js';

const plugin: BitarrPlugin = { detector: linuxDetector };
export default plugin;
