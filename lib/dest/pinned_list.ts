/**
 * The destination scan beneath a pinned root: what `scanTree`
 * (lib/base/scan.ts) lists for a destination, but every folder opened by
 * `Beneath` (lib/base/native/beneath.ts) without following any symlink, read
 * with `getdents64`, and each of its entries described with `statx` relative
 * to that open folder (`Beneath.readdirInfo`).
 *
 * Guarantees: the walk never leaves the root. A folder that became a symlink
 * after its parent was listed cannot be opened (ELOOP) and is recorded in
 * `unreadable`, so nothing below it is taken for missing and deleted; the
 * start folder (`under`, e.g. `.backup/versions`) turned symlink fails the
 * listing as a whole. Names that are not valid UTF-8 are listed in their
 * escaped text form (lib/base/native/names.ts), and reached by it.
 *
 * @module
 */

import type { Beneath, DirEntryInfo } from "../base/native/beneath.ts";
import type { ScanResult } from "../base/scan.ts";
import type { ListOptions } from "./destination.ts";
import { isNotFound } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { joinRel } from "../base/paths.ts";
import { isReservedTop, MARKER_NAME } from "../base/layout.ts";
import { emptyScan, entryOf } from "../base/scan.ts";

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
    let listed: DirEntryInfo[];
    try {
      listed = beneath.readdirInfo(dir);
    } catch (err) {
      if (first) throw err;
      if (!isNotFound(err)) result.unreadable.set(dir, describeError(err));
      continue;
    }
    first = false;
    for (const listedEntry of listed) {
      const { name, info } = listedEntry;
      if (dir === "" && (isReservedTop(name) || name === MARKER_NAME)) continue;
      const rel = joinRel(dir, name);
      if (info === undefined) {
        unreadable(result, rel, listedEntry.error);
        continue;
      }
      if (options.skip?.(rel, info.kind)) {
        result.skipped++;
        continue;
      }
      const entry = entryOf(info);
      if (info.kind === "symlink") {
        if (listedEntry.target === undefined) {
          unreadable(result, rel, listedEntry.error);
          continue;
        }
        entry.target = listedEntry.target;
      }
      result.entries.set(rel, entry);
      if (info.kind === "dir" && !options.shallow) stack.push(rel);
    }
  }
  return result;
}

/** Records `rel` as unreadable, unless it merely vanished since the listing. */
function unreadable(result: ScanResult, rel: string, err: unknown): void {
  if (!isNotFound(err)) result.unreadable.set(rel, describeError(err));
}
