/**
 * The destination scan beneath a pinned root: what `scanTree`
 * (lib/base/scan.ts) lists for a destination, but every folder read with
 * `getdents64` and every entry described with `statx`, each path resolved by
 * `Beneath` (lib/base/native/beneath.ts) without following any symlink.
 *
 * Guarantees: the walk never leaves the root. A folder that became a symlink
 * after its parent was listed cannot be opened (ELOOP) and is recorded in
 * `unreadable`, so nothing below it is taken for missing and deleted; the
 * start folder (`under`, e.g. `.backup/versions`) turned symlink fails the
 * listing as a whole. Names that are not valid UTF-8 are counted in
 * `badNames`, as the port's scan counts them.
 *
 * @module
 */

import type { Beneath } from "../base/native/beneath.ts";
import type { Entry, ScanResult } from "../base/scan.ts";
import type { ListOptions } from "./destination.ts";
import { isNotFound } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { joinRel } from "../base/paths.ts";
import { isTempName, MARKER_NAME, RESERVED_DIR } from "../base/layout.ts";
import { emptyScan } from "../base/scan.ts";

/**
 * Lists the tree below `options.under` (default the root) beneath `beneath`.
 *
 * @throws when the start folder itself cannot be listed (missing, a symlink,
 *   unreadable): the caller must treat the whole destination as unavailable.
 */
export function listPinned(beneath: Beneath, options: ListOptions = {}): ScanResult {
  const result = emptyScan();
  const stack: string[] = [options.under ?? ""];
  let first = true;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names;
    try {
      names = beneath.readdir(dir);
    } catch (err) {
      if (first) throw err;
      if (!isNotFound(err)) result.unreadable.set(dir, describeError(err));
      continue;
    }
    first = false;
    for (const { name } of names) {
      if (name === null) {
        result.badNames.set(dir, (result.badNames.get(dir) ?? 0) + 1);
        continue;
      }
      if (dir === "" && (name === RESERVED_DIR || name === MARKER_NAME)) continue;
      const rel = joinRel(dir, name);
      if (isTempName(name)) {
        result.temps.push(rel);
        continue;
      }
      const entry = describe(beneath, rel, result);
      if (entry === null) continue;
      if (options.skip?.(rel, entry.kind)) {
        result.skipped++;
        continue;
      }
      if (entry.kind === "symlink" && !readTarget(beneath, rel, entry, result)) continue;
      result.entries.set(rel, entry);
      if (entry.kind === "dir" && !options.shallow) stack.push(rel);
    }
  }
  return result;
}

/** The entry at `rel`, or `null` when it vanished or could not be read (then in `unreadable`). */
function describe(beneath: Beneath, rel: string, result: ScanResult): Entry | null {
  try {
    const info = beneath.lstat(rel);
    return {
      kind: info.kind,
      size: info.size,
      mtimeMs: info.mtimeMs,
      mode: info.mode,
      ino: info.ino,
    };
  } catch (err) {
    if (!isNotFound(err)) result.unreadable.set(rel, describeError(err));
    return null;
  }
}

/** Sets the symlink's target; false when it vanished or could not be read (then in `unreadable`). */
function readTarget(beneath: Beneath, rel: string, entry: Entry, result: ScanResult): boolean {
  try {
    entry.target = beneath.readLink(rel);
    return true;
  } catch (err) {
    if (!isNotFound(err)) result.unreadable.set(rel, describeError(err));
    return false;
  }
}
