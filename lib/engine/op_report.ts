/**
 * What one applied operation came to, told to people and counted in the
 * pass summary: one log line (`FILE CREATED: a.txt - SUCCESS (scan)`) and
 * one count, or why it failed or was skipped.
 *
 * @module
 */

import type { Logger } from "../base/logger.ts";
import type { OpOutcome } from "./listener.ts";
import type { PassSummary } from "./summary.ts";
import type { Trigger } from "../journal/record.ts";
import type { Entry } from "../base/scan.ts";
import type { FileOp } from "./pass_plan.ts";
import { describeError, SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { isNotRegularFile } from "../base/fs.ts";
import { notRegularWords } from "../base/special_file.ts";
import { parentOf, showPath } from "../base/paths.ts";
import { BUSY_PREFIX, FileBusyError } from "./busy.ts";

/** An operation not attempted because an earlier one in its pass invalidated the plan. */
export class PlanInvalidError extends Error {
  override name = "PlanInvalidError";
}

/**
 * An operation's outcome for the progress display: skipped ones are retried, not failed. A
 * source file that became a FIFO, socket, device, folder or symlink is skipped too: the scan
 * that sees it as such carries it over as what it is now (or, for the first three, not at all).
 */
export function outcomeOf(err: unknown): OpOutcome {
  if (err === null) return "ok";
  if (err instanceof FileBusyError) return err.overLimit ? "failed" : "skipped";
  return err instanceof PlanInvalidError || err instanceof SourceVanishedError ||
      isNotRegularFile(err)
    ? "skipped"
    : "failed";
}

/**
 * Logs one operation and counts it in `summary`.
 *
 * @param err null when it was done, else why not
 * @param bytes bytes a copy wrote
 * @param before what the destination held at the path when the pass scanned it
 */
export function reportOp(
  log: Logger,
  summary: PassSummary,
  op: FileOp,
  err: unknown,
  bytes: number | undefined,
  before: Entry | undefined,
  trigger: Trigger,
): void {
  const kind = op.op === "delete" ? op.kind : op.src.kind;
  const noun = kind === "dir" ? "FOLDER" : kind === "symlink" ? "SYMLINK" : "FILE";
  const verb = op.op === "delete"
    ? "DELETED"
    : op.op === "move"
    ? "MOVED"
    : op.op === "meta"
    ? "METADATA UPDATED"
    : before !== undefined && before.kind === kind
    ? "UPDATED"
    : "CREATED";
  const path = op.op === "move"
    ? `${showPath(op.from)} -> ${showPath(op.path)}`
    : showPath(op.path);
  const props = { path, trigger, noun, verb };
  if (err instanceof SourceChangedError) {
    summary.retrySoon = true;
    summary.retryDirs.add(parentOf(op.path));
  }
  if (err instanceof FileBusyError && !err.overLimit) {
    // Still being written: pending, not failed; said once per file, at debug level. The pass
    // that found it schedules the next try (lib/engine/busy.ts).
    summary.busy++;
    summary.retryDirs.add(parentOf(op.path));
    if (err.first) {
      log.debug("{noun} {verb}: {path} - BUSY: {reason} ({trigger})", {
        ...props,
        reason: err.message.slice(BUSY_PREFIX.length),
      });
    }
    return;
  }
  if (err instanceof PlanInvalidError) {
    summary.retrySoon = true;
    log.debug("{noun} {verb}: {path} - SKIPPED: {reason} ({trigger})", {
      ...props,
      reason: err.message,
    });
    return;
  }
  if (isNotRegularFile(err)) {
    // Replaced since the scan by what is never waited on or read (a FIFO swapped in to hang the
    // copy): not a failure. A symlink or folder is backed up as such by the next pass (soon); a
    // FIFO, socket or device is not carried over, so there is nothing to retry.
    if (err.found === "symlink" || err.found === "directory") {
      summary.retrySoon = true;
      summary.retryDirs.add(parentOf(op.path));
    }
    log.warn('Cannot back up "{path}": it became {found} after the scan; skipped ({trigger})', {
      ...props,
      found: notRegularWords(err.found),
    });
    return;
  }
  if (err instanceof SourceVanishedError) {
    // Gone from the source between scan and copy (a rename or delete in flight).
    log.debug("{noun} {verb}: {path} - SKIPPED: {reason} ({trigger})", {
      ...props,
      reason: describeError(err),
    });
    return;
  }
  if (err !== null) {
    summary.failed++;
    if (err instanceof SourceChangedError) summary.retrySoon = true;
    const level = err instanceof SourceChangedError ? "warn" : "error";
    log[level]("{noun} {verb}: {path} - FAILED: {reason} ({trigger})", {
      ...props,
      reason: describeError(err),
    });
    return;
  }
  switch (op.op) {
    case "copy":
      summary.copied++;
      summary.bytes += bytes ?? 0;
      break;
    case "delete":
      summary.deleted++;
      break;
    case "mkdir":
      summary.dirs++;
      break;
    case "symlink":
      summary.links++;
      break;
    case "move":
      summary.moved++;
      break;
    case "meta":
      if (kind === "dir" || op.recheck) {
        log.debug("{noun} {verb}: {path} - SUCCESS ({trigger})", props);
        return;
      }
      summary.meta++;
      break;
  }
  log.info("{noun} {verb}: {path} - SUCCESS ({trigger})", props);
}
