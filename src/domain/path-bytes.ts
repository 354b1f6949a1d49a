/**
 * Linux names are bytes. Most are UTF-8; some are not (an old Samba share, a Latin-1 archive,
 * a camera's card). Bitarr keeps paths as text (SQLite TEXT, JSON, pages), so each byte of a
 * name that is not part of valid UTF-8 is kept as the code point U+10FF00 + byte, from the last
 * block of the supplementary private use area, and turned back into that byte when the file is
 * opened. Node's own decoding would put U+FFFD there, and the file could never be opened again
 * by that name: it would turn `vanished` on every scan and never be verified.
 *
 * Reversible for every byte string: a real U+10FF00–U+10FFFF in a name is kept as its four
 * escaped bytes, so every escape code point means exactly one byte.
 */

const ESCAPE_BASE = 0x10ff00;
/** U+10FF00–U+10FFFF in UTF-16 all start with this high surrogate. */
const ESCAPE_HIGH = '\udbff';

/** Whether `s` holds an escaped byte (or anything in that block). */
export const hasEscapedBytes = (s: string): boolean => s.includes(ESCAPE_HIGH);

/** Whether Node's UTF-8 decoding of a name may have lost bytes or met the escape block. */
export const decodedLossily = (s: string): boolean => s.includes('\ufffd') || hasEscapedBytes(s);

/** The length of the valid UTF-8 sequence starting at `i`, or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i];
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // No overlong forms (E0 80–9F) and no surrogates (ED A0–BF).
    const ok = b0 === 0xe0 ? cont(1, 0xa0) : b0 === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const ok = b0 === 0xf0 ? cont(1, 0x90) : b0 === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** A name (or path) as Bitarr's text: UTF-8 decoded, other bytes escaped. */
export function textFromBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCodePoint(ESCAPE_BASE + bytes[i]);
      i++;
      continue;
    }
    const cp = Buffer.from(bytes.subarray(i, i + n)).toString('utf8').codePointAt(0)!;
    if (cp >= ESCAPE_BASE) {
      for (let k = 0; k < n; k++) out += String.fromCodePoint(ESCAPE_BASE + bytes[i + k]);
    } else out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

/** The bytes a text stands for. */
export function bytesFromText(s: string): Buffer {
  if (!hasEscapedBytes(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let plain = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= ESCAPE_BASE && cp <= ESCAPE_BASE + 0xff) {
      if (plain) parts.push(Buffer.from(plain, 'utf8'));
      plain = '';
      parts.push(Buffer.of(cp - ESCAPE_BASE));
    } else plain += ch;
  }
  if (plain) parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand to node:fs for a path: the text itself, or its bytes when it holds escapes. */
export const fsPath = (s: string): string | Buffer => (hasEscapedBytes(s) ? bytesFromText(s) : s);

/** For people: escaped bytes shown as \xNN. */
export function displayPath(s: string): string {
  if (!hasEscapedBytes(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp >= ESCAPE_BASE && cp <= ESCAPE_BASE + 0xff ? `\\x${(cp - ESCAPE_BASE).toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
