/**
 * The text form of file names that are not UTF-8 (issue 12): bytes as
 * `surrogateescape` makes them (Python's PEP 383). Each byte that is not part
 * of a valid UTF-8 sequence becomes the lone low surrogate `U+DC00 + byte`
 * (always `U+DC80`..`U+DCFF`: such a byte is 0x80 or above); the rest decodes
 * as UTF-8.
 *
 * Guarantees: reversible (`encodeName(decodeName(b))` is `b`, byte for byte)
 * and collision-free (UTF-8 cannot encode a surrogate, so a valid name never
 * decodes to a string holding one, and two different byte names never decode
 * to the same string). A valid UTF-8 name is its plain text, unchanged. In the
 * journal and state (JSON) the escapes are written as `\udcXX`, which JSON
 * reads back exactly. `String.prototype.isWellFormed()` is false exactly for
 * an escaped name: {@link isEscaped}.
 *
 * Only the native layer turns such text back into bytes (`cString`,
 * `parseRel`). Deno's own path APIs would replace each escape with U+FFFD and
 * could reach another file; `lib/base/fs.ts` never hands them an escaped path.
 * Pure: no FFI here.
 *
 * @module
 */

const strict = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const ESCAPE_BASE = 0xdc00;

/** True when `text` holds an escaped byte (it is the text form of a name that is not UTF-8). */
export function isEscaped(text: string): boolean {
  return !text.isWellFormed();
}

/** Length of the valid UTF-8 sequence starting at `at`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  if (lead < 0x80) return 1;
  let length: number;
  let min: number;
  let max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead === 0xe0) [length, min] = [3, 0xa0];
  else if (lead === 0xed) [length, min, max] = [3, 0x80, 0x9f]; // no surrogates
  else if (lead >= 0xe1 && lead <= 0xef) [length, min] = [3, 0x80];
  else if (lead === 0xf0) [length, min] = [4, 0x90];
  else if (lead >= 0xf1 && lead <= 0xf3) [length, min] = [4, 0x80];
  else if (lead === 0xf4) [length, min, max] = [4, 0x80, 0x8f];
  else return 0;
  if (at + length > bytes.length) return 0;
  const second = bytes[at + 1]!;
  if (second < min || second > max) return 0;
  for (let index = 2; index < length; index++) {
    const next = bytes[at + index]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/** The text form of a name (or path) stored as `bytes` (see the module notes). */
export function decodeName(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch { /* not UTF-8: escape what is not */ }
  let text = "";
  let at = 0;
  while (at < bytes.length) {
    const length = sequenceLength(bytes, at);
    if (length === 0) {
      text += String.fromCharCode(ESCAPE_BASE + bytes[at]!);
      at++;
    } else {
      text += strict.decode(bytes.subarray(at, at + length));
      at += length;
    }
  }
  return text;
}

/**
 * The bytes of a name (or path) given in text form: the inverse of
 * {@link decodeName}.
 *
 * @throws TypeError for a lone surrogate outside `U+DC80`..`U+DCFF` (no name decodes to one)
 */
export function encodeName(text: string): Uint8Array<ArrayBuffer> {
  if (!isEscaped(text)) return encoder.encode(text);
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) {
      out.push(code - ESCAPE_BASE);
    } else if (code >= 0xd800 && code <= 0xdfff) {
      throw new TypeError(
        `not the text form of a file name: lone surrogate U+${code.toString(16)}`,
      );
    } else {
      for (const byte of encoder.encode(char)) out.push(byte);
    }
  }
  return Uint8Array.from(out);
}

/** True when `text` is a name in text form: well formed, or escaped only as {@link decodeName} escapes. */
export function isNameText(text: string): boolean {
  if (!isEscaped(text)) return true;
  try {
    encodeName(text);
    return true;
  } catch {
    return false;
  }
}
