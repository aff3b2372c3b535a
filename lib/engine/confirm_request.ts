/**
 * How `backup confirm` reaches a running daemon: a small file
 * `DEST/.backup/confirm.json` naming the `held` record it confirms. Only the
 * daemon writes the journal, so the command leaves this request and the daemon
 * takes it (reads and removes it) at its next full pass, checks that it names
 * the hold still in force, and journals a `confirmed` record before it deletes.
 *
 * The reserved folder is private to the user running the backup (0700, owner
 * checked at start), so only that user (or root) can leave a request. The
 * daemon reads it through the pinned reserved folder as a regular file of at
 * most {@link CONFIRM_CAP_BYTES} (a symlink, FIFO or device is refused, never
 * followed or waited on), and a request naming any other hold than the one in
 * force is ignored with a warning. The command writes it as a new private temp
 * file (`O_EXCL`: a name planted in its way is never followed) renamed into place.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { join } from "../base/paths.ts";
import { reservedDir } from "../base/layout.ts";
import { readSmallFile, refusalText } from "../base/small_file.ts";

/** The request's name in the reserved folder. */
export const CONFIRM_FILE = "confirm.json";

/** A request is never longer than this. */
export const CONFIRM_CAP_BYTES = 4096;

/** What a request asks, or why it cannot be used. */
export type ConfirmRequest = { held: number } | { problem: string };

/** Path of the request file of the backup in `dest`. */
export function confirmPath(dest: string): string {
  return join(reservedDir(dest), CONFIRM_FILE);
}

/**
 * Leaves a request to confirm the deletions held by the `held` record `seq`.
 *
 * @throws what creating, writing or renaming the file throws.
 */
export function writeConfirmRequest(fs: FileSystem, dest: string, seq: number): void {
  const path = confirmPath(dest);
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  const handle = fs.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    handle.writeAllSync(new TextEncoder().encode(JSON.stringify({ v: 1, held: seq }) + "\n"));
  } finally {
    handle.close();
  }
  try {
    fs.rename(tmp, path);
  } catch (err) {
    try {
      fs.remove(tmp);
    } catch { /* left for the next try */ }
    throw err;
  }
}

/**
 * Takes the request of the backup in `dest`, if there is one: reads it (a regular file only,
 * at most {@link CONFIRM_CAP_BYTES}) and removes it, whatever it held. Null when there is none.
 */
export function takeConfirmRequest(fs: FileSystem, dest: string): ConfirmRequest | null {
  const path = confirmPath(dest);
  let request: ConfirmRequest;
  try {
    const read = readSmallFile(fs, path, CONFIRM_CAP_BYTES);
    request = !read.ok
      ? { problem: `it is ${refusalText(read.refused)}, not a regular file` }
      : read.truncated
      ? { problem: `it is longer than ${CONFIRM_CAP_BYTES} bytes` }
      : parseRequest(new TextDecoder().decode(read.bytes));
  } catch (err) {
    if (isNotFound(err)) return null;
    request = { problem: `it cannot be read (${String(err)})` };
  }
  try {
    fs.remove(path);
  } catch (err) {
    if (!isNotFound(err)) {
      return { problem: `it cannot be removed (${String(err)}); remove it by hand` };
    }
  }
  return request;
}

/** The request in `text`, or what is wrong with it. */
function parseRequest(text: string): ConfirmRequest {
  try {
    const value = JSON.parse(text) as { held?: unknown };
    if (Number.isSafeInteger(value?.held) && (value.held as number) >= 1) {
      return { held: value.held as number };
    }
  } catch { /* said below */ }
  return { problem: 'it does not hold {"held": SEQ}' };
}
