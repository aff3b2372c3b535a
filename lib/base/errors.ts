/**
 * Error classes that callers catch. `main.ts` maps each to an exit code
 * (see {@link EXIT} and docs/operations.md).
 *
 * @module
 */

import {
  isAlreadyExists,
  isIsADirectory,
  isNotADirectory,
  isNotFound,
  isPermissionDenied,
} from "./fs.ts";

/** Documented process exit codes. */
export const EXIT = {
  /** Finished normally, or stopped by SIGINT/SIGTERM after syncing the journal. */
  OK: 0,
  /** An unexpected internal error. */
  INTERNAL: 1,
  /** Bad command line or configuration. */
  USAGE: 2,
  /** The journal is corrupt in the middle; see the message for the way out. */
  JOURNAL_CORRUPT: 3,
  /** The journal could not be made durable (fsync failed), or a disk is full or read-only. */
  JOURNAL_IO: 4,
  /** Another backup process holds the destination's lock. */
  LOCKED: 5,
  /** `--once` finished, but some files could not be backed up. */
  PARTIAL: 6,
  /** `backup verify` found files whose content is not what the journal recorded (see its report). */
  MISMATCH: 7,
} as const;

/** Bad command-line input or configuration. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The roots given cannot be used (missing, nested, equal, not a folder). */
export class RootError extends UsageError {
  override name = "RootError";
}

/** A journal segment is damaged before its last record; the program must not guess. */
export class JournalCorruptError extends Error {
  override name = "JournalCorruptError";
  /** Segment file name. */
  readonly segment: string;
  /** Byte offset of the bad record in the segment. */
  readonly offset: number;
  /** Sequence number of the last good record before it (0 if none). */
  readonly lastSeq: number;
  /** Builds the error; `detail` says what is wrong with the record. */
  constructor(
    segment: string,
    offset: number,
    lastSeq: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      `journal segment ${segment} is corrupt at byte ${offset} (after seq ${lastSeq}): ${detail}`,
      options,
    );
    this.segment = segment;
    this.offset = offset;
    this.lastSeq = lastSeq;
  }
}

/**
 * The journal could not be written or synced. When `fatal` (an fsync failed),
 * durability is lost and the process must stop; otherwise (a write failed and
 * was rolled back) the pass is abandoned and retried.
 */
export class JournalIoError extends Error {
  override name = "JournalIoError";
  /** True when the process must stop (fsync failed). */
  readonly fatal: boolean;
  /** Builds the error. */
  constructor(message: string, options: ErrorOptions & { fatal?: boolean } = {}) {
    super(message, options);
    this.fatal = options.fatal ?? false;
  }
}

/** Another process holds the destination lock. */
export class LockedError extends Error {
  override name = "LockedError";
}

/** The source changed while it was being copied; the copy was discarded and will be retried. */
export class SourceChangedError extends Error {
  override name = "SourceChangedError";
}

/** The source entry vanished between the scan and its copy: nothing to back up; the next pass sees. */
export class SourceVanishedError extends SourceChangedError {
  override name = "SourceVanishedError";
}

/** Describes any thrown value in a few words, for one-line messages. */
export function describeError(err: unknown): string {
  if (isNotFound(err)) return "not found";
  if (isPermissionDenied(err)) return "permission denied";
  if (isAlreadyExists(err)) return "already exists";
  if (isNotADirectory(err)) return "not a folder";
  if (isIsADirectory(err)) return "is a folder";
  // Deno's own advice ("run again with the --allow-all flag") is wrong for the backup: the
  // paths it guards this way (/proc, /sys, /dev) are system files, not folders to back up.
  if (
    err instanceof Deno.errors.NotCapable || /run again with the --allow-all flag/.test(String(err))
  ) {
    return "a system path (/proc, /sys, /dev) that Deno opens only with all permissions; it is not a folder to back up";
  }
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (code === "ENOSPC" || /No space left/i.test(err.message)) return "no space left on device";
    if (code === "EROFS" || /read-only file system/i.test(err.message)) {
      return "read-only file system";
    }
    return err.message.split("\n")[0] ?? String(err);
  }
  return String(err);
}

/**
 * The exit code and one-line message for an error that ends a command
 * (see {@link EXIT}): the way out is part of the message.
 */
export function exitFor(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.USAGE, message: err.message };
  if (err instanceof LockedError) return { code: EXIT.LOCKED, message: err.message };
  if (err instanceof JournalCorruptError) {
    return {
      code: EXIT.JOURNAL_CORRUPT,
      message: `${err.message}. Nothing was changed. To rebuild the state from a full reconcile ` +
        `(files that already match are not copied again), run the backup again with --rebuild-journal`,
    };
  }
  if (err instanceof JournalIoError) {
    return {
      code: EXIT.JOURNAL_IO,
      message: `${err.message}. Stopped so that nothing is applied without a durable journal; ` +
        `fix the disk and start again (the journal is replayed)`,
    };
  }
  const disk = describeError(err);
  if (disk === "no space left on device" || disk === "read-only file system") {
    // A disk condition, not a bug: say which file, and what to do.
    const detail = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return {
      code: EXIT.JOURNAL_IO,
      message: `cannot write: ${detail}. Free some space (or remount the disk read-write) and ` +
        `start again; the journal is replayed`,
    };
  }
  return {
    code: EXIT.INTERNAL,
    message: `internal error: ${disk} (set BACKUP_DEBUG=1 for details)`,
  };
}
