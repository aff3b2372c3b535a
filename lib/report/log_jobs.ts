/**
 * Per-job log files for the config file mode: one process runs several jobs,
 * and each job's records (category `backup.<kind>.<job>`) also go to that
 * job's own log file, by default `DEST/.backup/backup.log`, so `backup
 * status` and a look into one destination tell that job's story.
 *
 * @module
 */

import type { LogRecord, Sink } from "@logtape/logtape";
import type { FileSystem } from "../base/fs.ts";
import { fileFormatter } from "./log.ts";
import { privateFileSink } from "./log_file.ts";

/** Routes each job's log records to the job's own private, rotated file. */
export class JobLogFiles {
  readonly #fs: FileSystem;
  readonly #files = new Map<string, Sink & Disposable>();
  #format: (record: LogRecord) => string;

  /** `json`: JSON lines instead of human lines. */
  constructor(fs: FileSystem, json = false) {
    this.#fs = fs;
    this.#format = fileFormatter(json);
  }

  /** The LogTape sink to install (it outlives reconfigurations: it is not disposable). */
  readonly sink: Sink = (record: LogRecord): void => {
    const job = record.category[2];
    if (job !== undefined) this.#files.get(job)?.(record);
  };

  /**
   * Sends `job`'s records to `path` from now on (closing its previous file).
   *
   * @throws Deno.errors.* when the file cannot be opened.
   */
  open(job: string, path: string): void {
    this.close(job);
    // Through #format, so that a reload switching JSON on or off reaches the open files too.
    const formatter = (record: LogRecord) => this.#format(record);
    this.#files.set(job, privateFileSink(this.#fs, path, { formatter }));
  }

  /** Switches every file, open or to come, to JSON lines or human lines (a config reload). */
  useJson(json: boolean): void {
    this.#format = fileFormatter(json);
  }

  /** Flushes and closes `job`'s file. */
  close(job: string): void {
    this.#files.get(job)?.[Symbol.dispose]();
    this.#files.delete(job);
  }

  /** Flushes and closes every file. */
  closeAll(): void {
    for (const job of [...this.#files.keys()]) this.close(job);
  }
}
