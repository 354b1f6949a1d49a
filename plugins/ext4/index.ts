// ext2, ext3 and ext4: FIEMAP through filefrag, physical offsets already in device bytes.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { fiemapMapper } from './fiemap-mapper.js';

const plugin: BitarrPlugin = { sectorMapper: fiemapMapper };

export default plugin;
