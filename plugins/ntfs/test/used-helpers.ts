// What the NTFS used-space tests share: checks of a used-space answer's shape and coverage, and
// the cluster bitmap as ntfscat gives it, to hold the plugin's own reading against.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DeviceRange } from '../../../src/shared/plugin-api.js';
export { blockdevSize, rangeShapeProblems, uncovered, usedBytes } from '../../../test/lab/index.js';

/** `ntfscat -f DEVICE '$Bitmap'`: the cluster bitmap as the ntfs-3g tools read it, bytes as they are. */
export async function ntfscatBitmap(device: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('ntfscat', ['-f', device, '$Bitmap'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}
