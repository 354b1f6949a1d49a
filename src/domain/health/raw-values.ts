/**
 * Reading an ATA attribute's raw value as a count. The raw value is 48 vendor-defined bits: most
 * drives store a plain count, but some pack several counters into it, and reading those as one
 * number raises false alarms (a Seagate with 4 command timeouts reads as 17,180,131,332).
 * Which vendor packs what is data (RAW_DECODERS); the decoders themselves are the only code.
 * Seagate's error rates (1, 7, 195: errors in the top 16 bits, operations in the low 32) need no
 * decoder: no rule judges them (see metric-rules.ts).
 */
import type { AtaAttribute, DeviceIdentity } from './report.js';

export type Vendor = 'seagate' | 'other';

/** Seagate sells under its own name and as ST… model numbers (smartctl's drive database agrees). */
export function vendorOf(identity: Pick<DeviceIdentity, 'model' | 'family'>): Vendor {
  if (/seagate/i.test(identity.family ?? '') || /^(ST\d|SEAGATE)/i.test(identity.model ?? '')) return 'seagate';
  return 'other';
}

type DecoderName = 'seagate_command_timeouts';

export interface RawDecoderRule {
  attributes: number[];
  vendor: Vendor;
  /** Also decode for other vendors when the raw value is at least this (a plain count never is). */
  alsoFromRaw?: number;
  decoder: DecoderName;
  why: string;
}

export const RAW_DECODERS: readonly RawDecoderRule[] = [
  {
    attributes: [188],
    vendor: 'seagate',
    alsoFromRaw: 2 ** 32,
    decoder: 'seagate_command_timeouts',
    why:
      'Seagate packs three 16-bit counters into 188: all command timeouts (low word), those over 5 s and those over 7.5 s; ' +
      'the low word is the count (Scrutiny reads the same three words from raw strings like "0 0 4", AnalogJ/scrutiny#522)',
  },
];

export interface DecodedRaw {
  /** The count the rules judge, or null when the raw value could not be read as one. */
  count: number | null;
  /** How the count was read: 'raw', 'smartctl' (its drive database decoded the string), or a decoder name. */
  decodedBy: 'raw' | 'smartctl' | DecoderName;
  note?: string;
}

const words = (raw: number) => [raw % 65536, Math.floor(raw / 65536) % 65536, Math.floor(raw / 2 ** 32) % 65536];

const DECODERS: Record<DecoderName, (a: AtaAttribute) => DecodedRaw> = {
  seagate_command_timeouts(a) {
    // smartctl prints raw16 as "w2 w1 w0" when its drive database knows the format.
    const printed = /^(\d+) (\d+) (\d+)$/.exec(a.rawString);
    const [total, over5s, over7s] = printed ? [Number(printed[3]), Number(printed[2]), Number(printed[1])] : words(a.raw ?? 0);
    if (total >= over5s && over5s >= over7s) return { count: total, decodedBy: 'seagate_command_timeouts' };
    return { count: null, decodedBy: 'seagate_command_timeouts', note: `raw value ${a.raw} is not three nested 16-bit counters` };
  },
};

/**
 * The count an attribute holds. smartctl's own decoding wins where it printed one ("2111 (12437 0)",
 * "47060h+35m+00.858s"): its drive database knows formats we do not.
 */
export function decodeRaw(attribute: AtaAttribute, vendor: Vendor): DecodedRaw {
  const rule = RAW_DECODERS.find(
    (r) => r.attributes.includes(attribute.id) && (r.vendor === vendor || (r.alsoFromRaw !== undefined && (attribute.raw ?? 0) >= r.alsoFromRaw)),
  );
  if (rule) return DECODERS[rule.decoder](attribute);
  const leading = /^(\d+)(?:h\+|\s*\()/.exec(attribute.rawString);
  if (leading) return { count: Number(leading[1]), decodedBy: 'smartctl' };
  return { count: attribute.raw, decodedBy: 'raw' };
}
