/**
 * A LogTape sink writing a rotated log file that is always private (0600):
 * LogTape's own file sink creates rotated files under the process umask, and
 * changing the umask needs `--allow-sys`. Lines are buffered and written every
 * second or every 64 KiB, without fsync: the journal, not the log, is the
 * durable record.
 *
 * @module
 */

import type { LogRecord, Sink } from "@logtape/logtape";
import { type FileHandle, type FileSystem, isSymlinkRefused } from "../base/fs.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { reservedFsFor } from "../dest/reserved_folder.ts";

/** Options for {@link privateFileSink}. */
export interface PrivateFileOptions {
  /** Turns a record into one line (with its newline). */
  formatter: (record: LogRecord) => string;
  /** Rotate past this many bytes (default 10 MiB). */
  maxSize?: number;
  /** Rotated generations kept: `log.1` ... `log.N` (default 5). */
  maxFiles?: number;
  /** Buffer flushed past this many bytes (default 64 KiB) and every second. */
  bufferSize?: number;
}

const encoder = new TextEncoder();

/**
 * Opens (creating 0600) the log file at `path` and returns a sink for it,
 * disposable to flush and close. A log file in a destination's reserved folder
 * open in this process (the default `DEST/.backup/backup.log`) is opened, and
 * rotated, through that pinned folder: never through a planted symlink (see
 * lib/dest/reserved_folder.ts).
 *
 * @throws UsageError naming the file when it cannot be opened (a missing folder, say).
 */
export function privateFileSink(
  fs: FileSystem,
  path: string,
  options: PrivateFileOptions,
): Sink & Disposable {
  const maxSize = options.maxSize ?? 10 * 1024 * 1024;
  const maxFiles = options.maxFiles ?? 5;
  const bufferSize = options.bufferSize ?? 64 * 1024;
  /** The reserved folder's file system when the log lives in one, asked at each open. */
  const files = (): FileSystem => reservedFsFor(path) ?? fs;
  const open = (): FileHandle => {
    const through = files();
    const h = through.openSync(path, { write: true, append: true, create: true, mode: 0o600 });
    through.chmod(path, 0o600);
    return h;
  };
  let handle: FileHandle | null;
  try {
    handle = open();
  } catch (err) {
    const todo = isSymlinkRefused(err)
      ? "it is a symlink, never written through; remove it or pick another log file"
      : `${describeError(err)}; create its folder or pick another log file`;
    throw new UsageError(`cannot open the log file "${path}": ${todo}`, { cause: err });
  }
  let size = handle.stat().size;
  let pending: string[] = [];
  let pendingBytes = 0;
  let disposed = false;

  /** The file opened again (after a failed rotation, a moved file, a folder gone); null if not. */
  const reopen = (): FileHandle | null => {
    try {
      const h = open();
      size = h.stat().size;
      return h;
    } catch {
      return null;
    }
  };
  const rotate = () => {
    const old = handle;
    handle = null;
    old?.close();
    const through = files();
    for (let i = maxFiles - 1; i >= 1; i--) {
      try {
        through.rename(`${path}.${i}`, `${path}.${i + 1}`);
      } catch { /* that generation does not exist yet */ }
    }
    try {
      through.rename(path, `${path}.1`);
    } catch { /* moved away already (by an admin, or logrotate) */ }
    handle = reopen();
  };
  const flush = () => {
    if (disposed || pending.length === 0) return;
    // A log that could not be opened is tried again at every flush: it never stops for good.
    handle ??= reopen();
    const bytes = encoder.encode(pending.join(""));
    pending = [];
    pendingBytes = 0;
    if (!handle) return; // dropped: the log must never stop the backup
    try {
      handle.writeAllSync(bytes);
      size += bytes.length;
      if (size >= maxSize) rotate();
    } catch {
      // A full disk must not stop the backup over its log; the journal holds the truth.
    }
  };
  const timer = setInterval(flush, 1000);
  Deno.unrefTimer(timer);

  const sink = (record: LogRecord) => {
    const line = options.formatter(record);
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= bufferSize) flush();
  };
  return Object.assign(sink, {
    [Symbol.dispose]: () => {
      clearInterval(timer);
      flush();
      disposed = true;
      handle?.close();
      handle = null;
    },
  });
}
