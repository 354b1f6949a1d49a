// Maps files on FAT12/16/32 by reading the volume's own structures from the raw device:
// directories from the root down to the file, then the file's cluster chain through the FAT.
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { mapFromDevice } from './request.js';
import { openFatVolume } from './volume.js';

const plugin: BitarrPlugin = {
  sectorMapper: {
    map: (request) => mapFromDevice(request, 'a FAT12/16/32 filesystem', openFatVolume),
  },
};

export default plugin;
