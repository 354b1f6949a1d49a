// Maps files on FAT12/16/32 by reading the volume's own structures from the raw device:
// directories from the root down to the file, then the file's cluster chain through the FAT.
// The used space is the region before the data and every cluster the FAT does not mark free.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { mapFromDevice } from './request.js';
import { usedSpaceFromDevice } from './space.js';
import { readFatUsedSpace } from './used.js';
import { openFatVolume } from './volume.js';

const FILESYSTEM = 'a FAT12/16/32 filesystem';

const plugin: BitarrPlugin = {
  sectorMapper: {
    map: (request) => mapFromDevice(request, FILESYSTEM, openFatVolume),
    usedSpace: (request) => usedSpaceFromDevice(request, FILESYSTEM, readFatUsedSpace),
  },
};

export default plugin;
