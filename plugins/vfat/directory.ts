// FAT directory entries: 32-byte short (8.3) entries, each optionally preceded by long file
// name (LFN) entries holding UTF-16 pieces and the checksum of the short name they belong to.
// Pure: tested on directories recorded from real images.

export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
const ATTR_LONG_NAME = 0x0f;

export interface FatDirEntry {
  /** From the LFN entries, when they are complete and their checksum matches the short name. */
  longName: string | null;
  /** The 8.3 name as Linux shows it: `NAME.EXT`, lower-cased where the entry's case flags say so. */
  shortName: string;
  attributes: number;
  firstCluster: number;
  size: number;
}

// Short names are in an OEM code page; 437 is Linux's (and DOS's) default.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function cp437(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return text;
}

/** fatgen103's checksum of the 11-byte short name, stored in each of its LFN entries. */
export function shortNameChecksum(raw: Uint8Array): number {
  let sum = 0;
  for (const byte of raw) sum = ((((sum & 1) << 7) | (sum >> 1)) + byte) & 0xff;
  return sum;
}

function shortName(entry: Buffer): string {
  const raw = Buffer.from(entry.subarray(0, 11));
  if (raw[0] === 0x05) raw[0] = 0xe5; // 0xE5 marks a free entry, so a name starting with it is stored as 05
  const caseFlags = entry[12]!;
  let base = cp437(raw.subarray(0, 8)).trimEnd();
  let ext = cp437(raw.subarray(8, 11)).trimEnd();
  if (caseFlags & 0x08) base = base.toLowerCase();
  if (caseFlags & 0x10) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

// Name characters of one LFN entry sit at three places; 0x0000 ends the name, 0xFFFF pads it.
const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

function lfnPiece(entry: Buffer): { units: number[]; ended: boolean } {
  const units: number[] = [];
  for (const offset of LFN_CHAR_OFFSETS) {
    const unit = entry.readUInt16LE(offset);
    if (unit === 0x0000) return { units, ended: true };
    units.push(unit);
  }
  return { units, ended: false };
}

interface PendingLongName {
  checksum: number;
  /** Sequence number expected next: LFN entries are stored last piece first, counting down to 1. */
  next: number;
  pieces: number[][];
}

/** The live entries of one directory's bytes, without `.` and `..`. */
export function parseFatDirectory(bytes: Buffer, fat32: boolean): FatDirEntry[] {
  const entries: FatDirEntry[] = [];
  let pending: PendingLongName | null = null;
  for (let at = 0; at + 32 <= bytes.length; at += 32) {
    const entry = bytes.subarray(at, at + 32);
    if (entry[0] === 0x00) break; // this and every later entry are free
    if (entry[0] === 0xe5) {
      pending = null;
      continue;
    }
    const attributes = entry[11]!;
    if ((attributes & 0x3f) === ATTR_LONG_NAME) {
      pending = takeLfnEntry(pending, entry);
      continue;
    }
    const long: PendingLongName | null = pending;
    pending = null;
    if (entry[0] === 0x2e) continue; // `.` and `..`
    const size = entry.readUInt32LE(28);
    const firstCluster = (fat32 ? entry.readUInt16LE(20) * 0x10000 : 0) + entry.readUInt16LE(26);
    if (attributes & ATTR_VOLUME_ID && !(attributes & ATTR_DIRECTORY)) {
      // fusefat lists the volume label as an empty file; it holds no data.
      entries.push({ longName: null, shortName: cp437(entry.subarray(0, 11)).trimEnd(), attributes, firstCluster: 0, size: 0 });
      continue;
    }
    const longName =
      long && long.next === 0 && long.checksum === shortNameChecksum(entry.subarray(0, 11))
        ? String.fromCharCode(...long.pieces.flat())
        : null;
    entries.push({ longName, shortName: shortName(entry), attributes, firstCluster, size });
  }
  return entries;
}

// An LFN entry out of sequence, or with another checksum, breaks the name it was part of: the
// short entry after it then stands alone, as Windows and Linux treat it.
function takeLfnEntry(pending: PendingLongName | null, entry: Buffer): PendingLongName | null {
  const order = entry[0]!;
  const sequence = order & 0x1f;
  const checksum = entry[13]!;
  if (order & 0x40) {
    if (sequence < 1 || sequence > 20) return null;
    const pieces: number[][] = [];
    pieces[sequence - 1] = lfnPiece(entry).units;
    return { checksum, next: sequence - 1, pieces };
  }
  if (!pending || sequence !== pending.next || sequence === 0 || checksum !== pending.checksum) return null;
  const piece = lfnPiece(entry);
  if (piece.ended) return null; // only the last piece may end early
  pending.pieces[sequence - 1] = piece.units;
  pending.next = sequence - 1;
  return pending;
}

/** FAT compares names without case, one character at a time (never `ß` → `SS`). */
export function foldFatName(name: string): string {
  let folded = '';
  for (const char of name) {
    const upper = char.toUpperCase();
    folded += upper.length === char.length ? upper : char;
  }
  return folded;
}
