/**
 * Where a journal lives and how its segment files are named.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { join, RESERVED_DIR } from "../base/paths.ts";

/** Name of the journal folder inside the reserved folder. */
export const JOURNAL_DIR = "journal";

const SEGMENT_RE = /^(\d{8})\.jsonl$/;

/** Absolute path of the reserved folder of a destination root. */
export function reservedDir(dest: string): string {
  return join(dest, RESERVED_DIR);
}

/** Absolute path of the journal folder of a destination root. */
export function journalDir(dest: string): string {
  return join(reservedDir(dest), JOURNAL_DIR);
}

/** File name of segment number `n` (1-based). */
export function segmentName(n: number): string {
  return `${String(n).padStart(8, "0")}.jsonl`;
}

/** Segment number of a file name, or `null` when it is not a segment. */
export function segmentNumber(name: string): number | null {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Segment file names of a journal folder, oldest first. Missing folder: none. */
export function listSegments(fs: FileSystem, dir: string): string[] {
  let names: string[];
  try {
    names = fs.readDir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return names
    .filter((n) => segmentNumber(n) !== null)
    .sort((a, b) => segmentNumber(a)! - segmentNumber(b)!);
}
