/**
 * A path relative to a pinned root, split into the parent folder and the final
 * name, as raw bytes (so names that are not valid UTF-8 can be addressed: as
 * bytes, or in their escaped text form, see `names.ts`).
 *
 * Guarantees: an absolute path or any `..` component is refused here, before a
 * system call, with the EXDEV error `openat2` itself returns for an escape
 * under `RESOLVE_BENEATH` (so `isEscapeRefused` recognises both); a NUL byte
 * is refused with EINVAL. Empty and `.` components are dropped, so `""`, `.`
 * and `a//b/./c` are fine. Pure: no FFI here.
 *
 * @module
 */

import { ERRNO, errnoError } from "./errno.ts";
import { encodeName } from "./names.ts";

/** A relative path taken apart. */
export interface RelPath {
  /** The whole path, normalised (`.` for the root itself). */
  path: Uint8Array;
  /** The parent folder (`.` when the name is at the top level or this is the root). */
  parent: Uint8Array;
  /** The final component; `null` for the root itself. */
  name: Uint8Array | null;
  /** The path as text, for messages. */
  label: string;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const decoder = new TextDecoder();
const CURRENT = Uint8Array.of(DOT);

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return CURRENT;
  const total = parts.reduce((sum, part) => sum + part.length, parts.length - 1);
  const out = new Uint8Array(total);
  let at = 0;
  parts.forEach((part, index) => {
    if (index > 0) out[at++] = SLASH;
    out.set(part, at);
    at += part.length;
  });
  return out;
}

/**
 * Splits `rel` into parent and name; `root` (optional) prefixes the path in error messages.
 * @throws an EXDEV error for an absolute path or a `..` component, EINVAL for a NUL byte
 */
export function parseRel(rel: string | Uint8Array, root?: string): RelPath {
  const bytes = typeof rel === "string" ? encodeName(rel) : rel;
  const label = decoder.decode(bytes);
  const shown = root === undefined ? label : `${root}/${label}`;
  if (bytes.includes(0)) {
    throw errnoError(ERRNO.EINVAL, "openat2", shown, "a path cannot contain a NUL byte");
  }
  if (bytes[0] === SLASH) {
    throw errnoError(ERRNO.EXDEV, "openat2", shown, "refused: absolute path escapes the root");
  }
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let index = 0; index <= bytes.length; index++) {
    if (index < bytes.length && bytes[index] !== SLASH) continue;
    const part = bytes.subarray(start, index);
    start = index + 1;
    if (part.length === 0 || (part.length === 1 && part[0] === DOT)) continue;
    if (part.length === 2 && part[0] === DOT && part[1] === DOT) {
      throw errnoError(ERRNO.EXDEV, "openat2", shown, "refused: '..' escapes the root");
    }
    parts.push(part);
  }
  const name = parts.at(-1) ?? null;
  return { path: join(parts), parent: join(parts.slice(0, -1)), name, label };
}
