// Maps files on exFAT by reading the volume's own structures from the raw device: directory
// entry sets from the root down to the file, then its contiguous run or its FAT cluster chain.
// The used space comes from the Allocation Bitmap. The device reader, chain walker, name index,
// request loops and range building are the vfat plugin's (see README).
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { mapFromDevice } from '../vfat/request.js';
import { usedSpaceFromDevice } from '../vfat/space.js';
import { readExfatUsedSpace } from './used.js';
import { openExfatVolume } from './volume.js';

const FILESYSTEM = 'an exFAT filesystem';

const plugin: BitarrPlugin = {
  sectorMapper: {
    map: (request) => mapFromDevice(request, FILESYSTEM, openExfatVolume),
    usedSpace: (request) => usedSpaceFromDevice(request, FILESYSTEM, readExfatUsedSpace),
  },
};

export default plugin;
