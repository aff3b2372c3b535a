/**
 * `backup journal compact --dest B`: checkpoint the state map and drop the
 * segments before it, now (a running daemon does this by itself past
 * `--journal-max-mb`).
 *
 * It takes the lock and replays like a start (a torn tail is truncated), but
 * keeps unfinished operations as they are: the checkpoint carries them, and
 * the next start or `journal replay` re-checks them.
 *
 * @module
 */

import { EXIT, LockedError } from "../base/errors.ts";
import { acquireLock } from "../dest/reserved.ts";
import { ReservedFolder } from "../dest/reserved_folder.ts";
import { compactJournal } from "../journal/compact.ts";
import { replayJournal } from "../journal/replay.ts";
import { JournalWriter } from "../journal/writer.ts";
import { formatBytes, plural } from "../base/units.ts";
import { type CompactOptions, findJournal, type JournalDeps } from "./journal_common.ts";

/**
 * Runs `journal compact`. Returns the exit code.
 *
 * @throws UsageError (no journal), LockedError (a daemon runs),
 *   JournalCorruptError, JournalIoError.
 */
export async function runCompact(opts: CompactOptions, deps: JournalDeps): Promise<number> {
  const { dest, dir } = findJournal(deps.fs, opts.dest, deps.cwd);
  // DEST/.backup is reached through its pin, never through a symlink planted in it (issue 12).
  const reserved = ReservedFolder.open(deps.fs, dest);
  try {
    return await compactPinned(opts, { ...deps, fs: reserved.fs }, dest, dir);
  } finally {
    reserved.close();
  }
}

/** {@link runCompact} with `deps.fs` reaching `dest/.backup` through its pin. */
async function compactPinned(
  opts: CompactOptions,
  deps: JournalDeps,
  dest: string,
  dir: string,
): Promise<number> {
  const { fs } = deps;
  let lock;
  try {
    lock = acquireLock(fs, dest);
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    throw new LockedError(
      `${err.message} (a running daemon compacts its journal by itself past --journal-max-mb)`,
      { cause: err },
    );
  }
  try {
    const { state, summary, refused } = replayJournal(fs, dir);
    if (summary.source === null) {
      deps.out(opts.json ? JSON.stringify({ compacted: false }) : "the journal is empty");
      return EXIT.OK;
    }
    const last = summary.segments.at(-1);
    const writer = await JournalWriter.open(fs, dir, {
      source: summary.source,
      lastSeq: summary.lastSeq,
      lastSegment: last ? { name: last, bytes: summary.lastSegmentBytes } : null,
    });
    try {
      const r = await compactJournal(fs, dir, writer, state, { source: summary.source });
      if (opts.json) {
        deps.out(JSON.stringify({
          compacted: true,
          checkpoint: r.checkpoint,
          removed: r.removed,
          kept: r.kept,
          bytesBefore: r.bytesBefore,
          bytesAfter: r.bytesAfter,
          refused: refused.length,
          tornTail: summary.tornTail,
        }));
      } else {
        const cp = r.checkpoint;
        deps.out(
          `compacted: checkpoint ${cp.name} at seq ${cp.seq} (${plural(cp.entries, "entry")}, ${
            plural(cp.pending, "unfinished operation")
          } kept), ${plural(r.removed.length, "old file")} removed, journal ${
            formatBytes(r.bytesBefore)
          } -> ${formatBytes(r.bytesAfter)}`,
        );
        if (summary.tornTail) {
          deps.out(
            `torn tail truncated: ${summary.tornTail.segment} at byte ${summary.tornTail.offset}`,
          );
        }
        if (refused.length > 0) {
          deps.out(
            `${plural(refused.length, "unsafe record")} refused: not in the checkpoint`,
          );
        }
        for (const k of r.kept) {
          deps.out(`could not remove ${k.name}: ${k.reason} (ignored by readers)`);
        }
      }
    } finally {
      await writer.close();
    }
    return EXIT.OK;
  } finally {
    lock.release();
  }
}
