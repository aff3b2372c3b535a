/**
 * Logging through LogTape. The library only calls an injected {@link Logger};
 * `main.ts` calls {@link setupLogging} once to route records to a log file
 * (human lines or JSON lines) and to the console.
 *
 * Categories: `backup.op` (one record per file operation: log file only),
 * `backup.pass` (one summary per pass), `backup.progress` (`PROGRESS:`
 * lines during a long pass), `backup.daemon` (start, stop, replay).
 * Warnings and errors of every category also reach the console (stderr).
 *
 * @module
 */

import {
  configure,
  dispose,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
  withFilter,
} from "@logtape/logtape";
import type { FileSystem } from "../base/fs.ts";
import { privateFileSink } from "./log_file.ts";

export type { Logger, LogLevel };

/** The logger categories the program uses. */
export const CATEGORY = {
  op: ["backup", "op"],
  pass: ["backup", "pass"],
  progress: ["backup", "progress"],
  daemon: ["backup", "daemon"],
} as const;

/** Returns the logger for one of the program's categories, or for a job's share of it. */
export function logger(category: readonly string[], job?: string): Logger {
  return getLogger(job === undefined ? category : [...category, job]);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** Local time as `2026-11-22 14:32:15`. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}`;
}

/** Renders a record's message with its values inserted as plain text (control characters escaped). */
export function renderMessage(record: LogRecord): string {
  let out = "";
  record.message.forEach((part, i) => {
    if (i % 2 === 0) {
      out += String(part);
      return;
    }
    const text = typeof part === "string" ? part : JSON.stringify(part);
    // deno-lint-ignore no-control-regex
    out += /[\x00-\x1f\x7f]/.test(text) ? JSON.stringify(text) : text;
  });
  return out;
}

/**
 * Human log line: `[2026-11-22 14:32:15] FILE CREATED: docs/a.txt - SUCCESS`;
 * a job's records (category `backup.<kind>.<job>`) carry the job's name:
 * `[2026-11-22 14:32:15] [docs] FILE CREATED: ...`.
 */
export function humanFormatter(record: LogRecord): string {
  const job = record.category[2] ? `[${record.category[2]}] ` : "";
  const level = record.level === "warning"
    ? "WARNING: "
    : record.level === "error" || record.level === "fatal"
    ? "ERROR: "
    : "";
  return `[${localTime(record.timestamp)}] ${job}${level}${renderMessage(record)}\n`;
}

/**
 * The log file's line format: human lines, or JSON lines. A JSON line's
 * `message` is rendered as the human line's (`every 60 s (one pass)`, not
 * LogTape's `every 60 s" (one pass)"`, which quotes every string value); the
 * values themselves are in `properties`.
 */
export function fileFormatter(json = false): (record: LogRecord) => string {
  if (!json) return humanFormatter;
  const format = getJsonLinesFormatter();
  return (r) => format({ ...r, message: [renderMessage(r)] });
}

/** Options for {@link setupLogging}. */
export interface LogSetup {
  /** Log file path; none when absent. Rotated at 10 MiB, 5 files kept. */
  file?: string;
  /** Write the log file as JSON lines instead of human lines (default false). */
  json?: boolean;
  /** A second log file that gets warnings and errors only (`--error-log`, `log.errorFile`). */
  errorFile?: string;
  /** The file system the log file is written through (required with `file`). */
  fs?: FileSystem;
  /** Per-job log files (config file mode): records of a job go to its own file too. */
  jobFiles?: Sink;
  /** Console: `normal` (summaries, warnings, errors), `quiet` (errors only), `verbose` (every operation). */
  console?: "normal" | "quiet" | "verbose";
  /**
   * Writes one console line (no newline) instead of the default console sink
   * (info to stdout, warnings and errors to stderr). main.ts uses it to send
   * everything to stderr with `--json` and to clear a progress bar first.
   */
  consoleWrite?: (line: string, level: LogLevel) => void;
  /** `PROGRESS:` lines on the console too (default true; false while a progress bar shows them). */
  consoleProgress?: boolean;
  /** Called with every warning and error record of the program (the `--json` events). */
  onProblem?: (record: LogRecord) => void;
}

/**
 * Configures LogTape for the whole process: the console, and a private (0600),
 * rotated log file (10 MiB, 5 generations kept).
 */
export async function setupLogging(setup: LogSetup): Promise<void> {
  const mode = setup.console ?? "normal";
  const write = setup.consoleWrite;
  const consoleSink = withFilter(
    write
      ? (r: LogRecord) => write(humanFormatter(r).trimEnd(), r.level)
      : getConsoleSink({ formatter: (r) => [humanFormatter(r).trimEnd()] }),
    (r: LogRecord) => {
      if (r.level === "error" || r.level === "fatal") return true;
      if (mode === "quiet") return false;
      if (r.category[1] === "progress" && setup.consoleProgress === false) return false;
      if (r.level === "warning") return true;
      if (mode === "verbose") return r.level !== "debug" && r.level !== "trace";
      return r.category[1] !== "op" && r.level === "info";
    },
  );
  const sinks: Record<string, Sink> = { console: consoleSink };
  if (setup.jobFiles) sinks.jobs = setup.jobFiles;
  const onProblem = setup.onProblem;
  if (onProblem) {
    sinks.problems = withFilter(
      onProblem,
      (r) => r.level === "warning" || r.level === "error" || r.level === "fatal",
    );
  }
  if (setup.file && setup.fs) {
    sinks.file = privateFileSink(setup.fs, setup.file, { formatter: fileFormatter(setup.json) });
  }
  if (setup.errorFile && setup.fs) {
    sinks.errors = withFilter(
      privateFileSink(setup.fs, setup.errorFile, { formatter: fileFormatter(setup.json) }),
      (r) => r.level === "warning" || r.level === "error" || r.level === "fatal",
    );
  }
  await configure({
    reset: true,
    sinks,
    loggers: [
      { category: ["backup"], sinks: Object.keys(sinks), lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
    ],
  });
}

/** Flushes and closes every sink. */
export async function closeLogging(): Promise<void> {
  await dispose();
}
