/**
 * Downloading one file of a backup as it was at a time, streamed from the
 * destination (a folder or a bucket) through the {@link Destination}: the
 * journal says what the path held then and where its bytes are kept (the
 * mirror, or a version), as for `backup restore` (`planRestore`). The bytes
 * are hashed as they pass and checked against the journal's hash: the last
 * chunk is held back until the hash agrees, so a file that does not match is
 * never delivered whole (the download fails instead).
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { CHUNK, createHasher } from "../base/hash.ts";
import { journalDir } from "../base/layout.ts";
import type { DestinationReader } from "../dest/destination.ts";
import { historyAt, planRestore } from "../engine/restore.ts";
import { parseTime } from "../cli/format.ts";
import { cleanPath } from "./data.ts";
import type { UiJob } from "./jobs.ts";
import type { JobDestinations } from "./job_destination.ts";

/** A file on its way to the browser. */
export interface Download {
  /** Its name (the last part of its path). */
  name: string;
  /** Its size in bytes, as the journal recorded it. */
  size: number;
  /** Its bytes. */
  body: ReadableStream<Uint8Array>;
}

/**
 * Starts the download of `rawPath` of `job` as of `at` (a time as `--at`
 * takes it; null: now).
 *
 * @throws UsageError for a path outside the backup, one that was not a file
 *   then, or a file whose bytes are no longer kept anywhere.
 */
export async function openDownload(
  job: UiJob,
  rawPath: string,
  at: string | null,
  deps: { fs: FileSystem; destinations: JobDestinations; now?: number },
): Promise<Download> {
  const path = cleanPath(rawPath);
  if (path === null) throw new UsageError("give a file inside the backup to download");
  const now = deps.now ?? Date.now();
  const when = at === null ? now : parseTime(at, "at", now);
  const history = historyAt(deps.fs, journalDir(job.dest), when);
  const held = await deps.destinations.hold(job);
  let reader: DestinationReader | null = null;
  try {
    const items = await planRestore(held.destination, history, { path, at: when });
    const item = items.find((i) => i.path === path);
    if (!item) throw new UsageError(`"${path}" was not in the backup then`);
    if (item.entry.kind !== "file") {
      throw new UsageError(
        `"${path}" was a ${
          item.entry.kind === "dir" ? "folder" : "symlink"
        } then: restore it instead of downloading it`,
      );
    }
    if (item.uncertain) {
      throw new UsageError(
        `"${path}": the compacted journal cannot tell whether it existed then, and no version of it is kept`,
      );
    }
    for (const from of item.sources) {
      try {
        reader = await held.destination.openFile(from.rel);
        break;
      } catch { /* pruned, moved or replaced since the journal was read: the next place */ }
    }
    if (reader === null) {
      throw new UsageError(
        `"${path}": its content then is no longer kept (not in the mirror, no version with its hash)`,
      );
    }
    const body = verifiedStream(reader, item.entry.hash, await createHasher(), held.release);
    return { name: path.split("/").at(-1)!, size: item.entry.size, body };
  } catch (err) {
    reader?.close();
    held.release();
    throw err;
  }
}

/**
 * The bytes of `reader`, hashed on the way; the last chunk is given only when
 * the hash is `want` (an error ends the stream otherwise). `done` runs once,
 * at the end, on an error or when the reader of the stream cancels it.
 */
export function verifiedStream(
  reader: DestinationReader,
  want: string | undefined,
  hasher: { init(): void; update(data: Uint8Array): void; digest(): string },
  done: () => void,
): ReadableStream<Uint8Array> {
  hasher.init();
  let pending: Uint8Array | null = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    reader.close();
    done();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const buf = new Uint8Array(CHUNK);
          const n = await reader.read(buf);
          if (n === null) {
            if (want !== undefined && hasher.digest() !== want) {
              throw new Error("the bytes read do not have the hash the journal recorded");
            }
            if (pending) controller.enqueue(pending);
            finish();
            controller.close();
            return;
          }
          const chunk = buf.subarray(0, n);
          hasher.update(chunk);
          const out = pending;
          pending = chunk;
          if (out) {
            controller.enqueue(out);
            return;
          }
        }
      } catch (err) {
        finish();
        controller.error(err);
      }
    },
    cancel() {
      finish();
    },
  });
}
