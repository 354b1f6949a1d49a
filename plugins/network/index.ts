import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { detectShares, NETWORK_FILESYSTEMS } from './shares.js';

const handled = new Set(NETWORK_FILESYSTEMS);

const plugin: BitarrPlugin = {
  detector: {
    detect: async ({ mounts }) => detectShares(mounts, handled),
  },
  sectorMapper: {
    // The share's bytes live on the server's disks, which this host cannot address.
    map: async ({ fsType }) => ({
      available: false,
      reason: `${fsType} is network storage: the disks holding its files are on the server, so offsets on them cannot be known here`,
      needs: 'a Bitarr agent on the server',
    }),
  },
};

export default plugin;
