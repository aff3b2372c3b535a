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
 * escaped text form (lib/base/native/names.ts), and reached by it. The walk
 * is the source's (`walkBeneath` in lib/base/scan.ts), as a destination's:
 * the reserved folder and the guard's marker at the top are left out.
 *
 * @module
 */

import type { Beneath } from "../base/native/beneath.ts";
import type { ListOptions } from "./destination.ts";
import { type ScanResult, walkBeneath } from "../base/scan.ts";

/**
 * Lists the tree below `options.under` (default the root) beneath `beneath`.
 *
 * @throws when the start folder itself cannot be listed (missing, a symlink,
 *   unreadable): the caller must treat the whole destination as unavailable.
 */
export function listPinned(beneath: Beneath, options: ListOptions = {}): ScanResult {
  return walkBeneath(beneath, { ...options, destination: true });
}
