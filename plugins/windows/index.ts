// Windows: a detector built from PowerShell's storage inventory, and an NTFS sector mapper built on
// `fsutil file queryextents`. Both run only where powershell.exe and fsutil.exe exist (win32).
import type { BitarrPlugin } from '../../src/shared/plugin-api.js';
import { windowsDetector } from './detector.js';
import { ntfsMapper } from './mapper.js';

export { mountFactsFromInventory } from './volumes.js';
export { parseInventory, INVENTORY_SCRIPT } from './inventory.js';

const plugin: BitarrPlugin = {
  detector: windowsDetector,
  sectorMapper: ntfsMapper,
};

export default plugin;
