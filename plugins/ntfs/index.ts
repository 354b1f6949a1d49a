// NTFS (ntfs-3g, and the kernel's ntfs3): where each file's bytes are on the device, from its runlist.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { ntfsMapper } from './mapper.js';

const plugin: BitarrPlugin = { sectorMapper: ntfsMapper };

export default plugin;
