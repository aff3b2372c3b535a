/**
 * `backup journal verify --dest B`: checks a journal without changing it.
 *
 * @module
 */

import { EXIT, JournalCorruptError } from "../base/errors.ts";
import { showPath } from "../base/paths.ts";
import { intentUnsafeReason } from "../journal/record_check.ts";
import { probeLock } from "../dest/reserved.ts";
import { readJournal } from "../journal/reader.ts";
import { plural } from "./format.ts";
import { findJournal, type JournalDeps, type VerifyOptions } from "./journal_common.ts";

/** How many unsafe records are listed (all are counted). */
const LIST_UNSAFE = 20;

/**
 * Runs `journal verify`. Returns the exit code: 0 sound (or torn tail), 3 corrupt.
 *
 * @throws UsageError when the destination has no journal.
 */
export function runVerify(opts: VerifyOptions, deps: JournalDeps): number {
  const { dest, dir } = findJournal(deps.fs, opts.dest, deps.cwd);
  const lock = probeLock(deps.fs, dest);
  const unfinished = new Set<number>();
  const unsafe: { seq: number; path: string; reason: string }[] = [];
  let unsafeCount = 0;
  const noteUnsafe = (seq: number, path: string, reason: string) => {
    unsafeCount++;
    if (unsafe.length < LIST_UNSAFE) unsafe.push({ seq, path, reason });
  };
  try {
    const s = readJournal(deps.fs, dir, {
      repair: false,
      onPending: (i) => unfinished.add(i.seq),
      onRefused: (path, reason) => noteUnsafe(0, path, `${reason} (in the checkpoint)`),
      onReset: () => {
        unfinished.clear();
        unsafe.length = 0;
        unsafeCount = 0;
      },
      onRecord: (rec) => {
        if (rec.type === "intent") {
          const why = intentUnsafeReason(rec);
          if (why !== null) noteUnsafe(rec.seq, String(rec.path), why);
          else unfinished.add(rec.seq);
        } else if (rec.type === "done" || rec.type === "failed") {
          unfinished.delete(rec.ref);
        }
      },
    });
    const running = lock.held ? { pid: lock.pid } : null;
    if (opts.json) {
      deps.out(JSON.stringify({
        ok: true,
        ...s,
        unfinished: unfinished.size,
        unsafe: unsafeCount,
        unsafeRecords: unsafe,
        running,
      }));
      return EXIT.OK;
    }
    const cp = s.checkpoint;
    deps.out(
      `journal OK: ${plural(s.records, "record")} in ${plural(s.segments.length, "segment")}` +
        (cp ? ` after checkpoint ${cp.name} (seq ${cp.seq}, ${cp.entries} entries)` : "") +
        `, last seq ${s.lastSeq}`,
    );
    if (s.tornTail) {
      const t = s.tornTail;
      deps.out(
        `torn tail (recoverable): ${t.segment} at byte ${t.offset}, ${t.bytes} bytes (${t.reason}); ` +
          (running
            ? "a daemon is running, so this is probably a write in progress"
            : "the next start truncates it"),
      );
    }
    if (unfinished.size > 0) {
      deps.out(
        `unfinished operations: ${unfinished.size} ` +
          (running
            ? "(the running daemon is applying them)"
            : "(the next start, or `backup journal replay`, re-checks them)"),
      );
    }
    if (unsafeCount > 0) {
      deps.out(
        `UNSAFE records: ${unsafeCount} with paths that could lead outside the destination; replay refuses them:`,
      );
      for (const u of unsafe) {
        deps.out(`  seq ${u.seq}: ${JSON.stringify(u.path)} (${u.reason})`);
      }
    }
    for (const d of s.damaged) {
      deps.out(
        `damaged checkpoint passed over: ${d.name} at byte ${d.offset} (${d.reason}); the older checkpoint and segments were used`,
      );
    }
    if (s.stale.length > 0) {
      deps.out(
        `left over from an interrupted compaction (ignored; the next compaction removes them): ${
          s.stale.map(showPath).join(", ")
        }`,
      );
    }
    if (running) deps.out(`a daemon is running${lock.pid !== null ? ` (pid ${lock.pid})` : ""}`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof JournalCorruptError)) throw err;
    if (opts.json) {
      deps.out(JSON.stringify({
        ok: false,
        segment: err.segment,
        offset: err.offset,
        lastSeq: err.lastSeq,
        error: err.message,
      }));
    } else {
      deps.out(`journal CORRUPT: ${err.message}`);
      deps.out(
        "nothing was changed; `backup --src SRC --dest DEST --rebuild-journal` sets the journal aside and rebuilds the state",
      );
    }
    return EXIT.JOURNAL_CORRUPT;
  }
}
