// Bitarr's btrfs plugin: physical extents of files on a btrfs device (see README.md).
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { btrfsSectorMapper } from './mapper.js';

const plugin: BitarrPlugin = { sectorMapper: btrfsSectorMapper };

export default plugin;
