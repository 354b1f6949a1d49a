// The Windows detector: one PowerShell process for the whole inventory, then pure joining.
import type { DetectedDevice, Detector, DetectRequest, PluginContext } from '../../src/shared/plugin-api.js';
import { detectedDevices } from './devices.js';
import { INVENTORY_SCRIPT, parseInventory } from './inventory.js';
import { powershellArgs, powershellBinary } from './powershell.js';

// Get-CimInstance on a machine with many disks or a slow WMI repository takes seconds, not minutes.
const INVENTORY_TIMEOUT_MS = 90_000;

export const windowsDetector: Detector = {
  async detect(request: DetectRequest, context: PluginContext): Promise<DetectedDevice[]> {
    if (request.mounts.length === 0) return [];
    let stdout: string;
    try {
      ({ stdout } = await context.run(powershellBinary(context), powershellArgs(INVENTORY_SCRIPT), { timeoutMs: INVENTORY_TIMEOUT_MS }));
    } catch (error) {
      throw new Error(`the PowerShell storage inventory failed: ${(error as Error).message}`, { cause: error });
    }
    const inventory = parseInventory(stdout);
    for (const failed of inventory.errors) context.log(`inventory: ${failed}`);
    return detectedDevices(inventory, request.mounts);
  },
};
