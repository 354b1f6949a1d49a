// xfs answers FIEMAP exactly like ext4 (byte offsets on the data device), so the ext4 plugin's
// mapper serves both; only the manifest differs.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { fiemapMapper } from '../ext4/fiemap-mapper.js';

const plugin: BitarrPlugin = { sectorMapper: fiemapMapper };

export default plugin;
