/** Real outputs with one number changed, to put a drive just where a rule draws its line. */
import { parseSmartctlJson, type SmartReport } from '../../src/domain/health/index.js';
import { fixture } from './fixtures.js';

// A healthy WD Red (SMART passed, every counter 0) and a healthy Intel NVMe.
export const HEALTHY_ATA = 'smart-ata.json';
export const HEALTHY_NVME = 'smart-nvme.json';
export const HEALTHY_SCSI = 'smart-scsi2.json';

export function edited(name: string, edit: (json: any) => void): SmartReport {
  const json = JSON.parse(fixture(name).text);
  edit(json);
  const parsed = parseSmartctlJson(JSON.stringify(json));
  if (parsed.kind !== 'report') throw new Error(`${name} edited is ${parsed.kind}`);
  return parsed;
}

/** The healthy ATA drive with attribute `id` set to `raw` (added under `name` if it lacks it). */
export function ataWith(id: number, raw: number, opts: { name?: string; rawString?: string; model?: string } = {}): SmartReport {
  return edited(HEALTHY_ATA, (j) => {
    if (opts.model) {
      j.model_name = opts.model;
      delete j.model_family;
    }
    let attr = j.ata_smart_attributes.table.find((a: any) => a.id === id);
    if (!attr) {
      attr = { id, name: opts.name ?? 'Unknown_Attribute', value: 100, worst: 100, thresh: 0, when_failed: '', flags: { prefailure: false }, raw: {} };
      j.ata_smart_attributes.table.push(attr);
    }
    if (opts.name) attr.name = opts.name;
    attr.raw = { value: raw, string: opts.rawString ?? String(raw) };
  });
}

export function nvmeWith(fields: Record<string, number>): SmartReport {
  return edited(HEALTHY_NVME, (j) => Object.assign(j.nvme_smart_health_information_log, fields));
}
