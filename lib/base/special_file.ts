/**
 * {@link NotRegularFileError}: what the port's `openSource` throws when the
 * path is not a regular file (any more): a FIFO, a socket, a device, a folder
 * or a symlink. Such an entry is refused before a byte is read and without
 * waiting on it (see `source_open.ts`). Ask `isNotRegularFile` (in `fs.ts`)
 * rather than `instanceof`, as for the port's other errors.
 *
 * Kept out of `errors.ts` because `errors.ts` imports the port's predicates
 * and the port throws this error: one module each way would be a cycle.
 *
 * @module
 */

import type { Refusal } from "./native/regular.ts";

/** What was found where a regular file was expected. */
export type NotRegularKind = Refusal;

/** Words for what was found: "a FIFO", "a socket", "a device", "a symlink", "a folder". */
export function notRegularWords(found: NotRegularKind): string {
  switch (found) {
    case "fifo":
      return "a FIFO";
    case "socket":
      return "a socket";
    case "device":
      return "a device";
    case "symlink":
      return "a symlink";
    case "directory":
      return "a folder";
  }
}

/** A path that was to be read as a regular file is something else: refused, never waited on. */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  /** The path that was to be opened. */
  readonly path: string;
  /** What is there instead. */
  readonly found: NotRegularKind;

  /** Builds the error for `path`, where `found` is. */
  constructor(path: string, found: NotRegularKind) {
    super(`not a regular file: ${notRegularWords(found)}`);
    this.path = path;
    this.found = found;
  }
}
