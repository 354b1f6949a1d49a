export { labTest } from './ava.js';
export { Lab } from './lab.js';
export { LAB_FILESYSTEMS, fsNeeds, fsTools, type Extent, type LabFs } from './filesystems.js';
export { hostCan, run, type RunOptions } from './host.js';
export { readBtrfsChunks, type BtrfsChunk } from './mapping.js';
export { BAND_EDGE, MAX_GAP } from './layout.js';
export { NET_SHARE_NEEDS, NetShares } from './netshares.js';
export { blockdevSize, byteProblems, hasExtents, rangeShapeProblems, uncovered, usedBytes, writeInterleaved, type Extents } from './extents.js';
