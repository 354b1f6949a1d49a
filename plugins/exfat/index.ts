// Maps files on exFAT by reading the volume's own structures from the raw device: directory
// entry sets from the root down to the file, then its contiguous run or its FAT cluster chain.
// The device reader, chain walker, name index and request loop are the vfat plugin's (see README).
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { mapFromDevice } from '../vfat/request.js';
import { openExfatVolume } from './volume.js';

const plugin: BitarrPlugin = {
  sectorMapper: {
    map: (request) => mapFromDevice(request, 'an exFAT filesystem', openExfatVolume),
  },
};

export default plugin;
