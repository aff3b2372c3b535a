/**
 * Progress of a pass: the arithmetic (done, rate, ETA) and the text forms: the terminal bar
 * (`[=====>    ]  31%  1,234/5,000 files  1.2/4.0 GB  85.0 MB/s  ETA 0:42`)
 * and the periodic log line (`PROGRESS: pass 1: 1,234/5,000 files, ...`).
 * Pure: no clock, no console; {@link TerminalBar} writes through an injected
 * function.
 *
 * @module
 */

import type { FileOp } from "../engine/pass_plan.ts";
import { formatBytes } from "../base/units.ts";

/** What a plan holds. */
export interface PassTotals {
  /** Operations. */
  ops: number;
  /** Files to copy. */
  files: number;
  /** Bytes to copy. */
  bytes: number;
}

/** Counts the operations, copies and bytes to copy of a plan. */
export function planTotals(ops: readonly FileOp[]): PassTotals {
  let files = 0;
  let bytes = 0;
  for (const op of ops) {
    if (op.op !== "copy") continue;
    files++;
    bytes += op.src.size;
  }
  return { ops: ops.length, files, bytes };
}

/** A pass's progress at one moment. */
export interface ProgressView {
  /** Pass number. */
  pass: number;
  /** Operations planned. */
  ops: number;
  /** Operations finished (done, failed or skipped). */
  opsDone: number;
  /** Files to copy. */
  files: number;
  /** Copies finished. */
  filesDone: number;
  /** Bytes to copy. */
  bytes: number;
  /** Bytes copied so far. */
  bytesDone: number;
  /** Operations that failed so far. */
  failed: number;
  /** Time since the plan was made, in ms. */
  elapsedMs: number;
}

/**
 * What one operation costs next to copying bytes, for the share of work
 * done: an operation (journal, create, rename, folder fsync, all in batches)
 * takes about as long as copying 32 kB, so a pass of many small files is
 * not "almost done" once its few bytes are copied.
 */
export const OP_COST_BYTES = 32_000;

/** Share of the pass done, from 0 to 1 (1 for an empty plan). */
export function doneShare(v: ProgressView): number {
  const total = v.bytes + v.ops * OP_COST_BYTES;
  if (total <= 0) return 1;
  const done = Math.min(v.bytesDone, v.bytes) + Math.min(v.opsDone, v.ops) * OP_COST_BYTES;
  return Math.min(1, done / total);
}

/** Average copy rate in bytes per second since the pass started; null before 1 s. */
export function byteRate(v: ProgressView): number | null {
  return v.elapsedMs < 1000 ? null : v.bytesDone / (v.elapsedMs / 1000);
}

/**
 * Estimated time left in ms, from the share done so far; null while it is
 * not known yet (under 1 s, or nothing done).
 */
export function etaMs(v: ProgressView): number | null {
  const share = doneShare(v);
  if (share >= 1) return 0;
  if (v.elapsedMs < 1000 || share <= 0) return null;
  return v.elapsedMs * (1 - share) / share;
}

/** A count with thousands separators: `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Time as a clock: `0:42`, `12:05`, `1:02:03`. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Time in words: `42 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Bytes done of a total: `1.2/4.0 GB`, or `512 kB/4.0 GB` when the units differ. */
export function formatPair(done: number, total: number): string {
  const a = formatBytes(Math.min(done, total));
  const b = formatBytes(total);
  const unitA = a.slice(a.indexOf(" "));
  return unitA === b.slice(b.indexOf(" ")) ? `${a.slice(0, -unitA.length)}/${b}` : `${a}/${b}`;
}

/** `1,234/5,000 files` when the pass copies, else `120/300 ops`. */
function countText(v: ProgressView): string {
  return v.files > 0
    ? `${formatCount(v.filesDone)}/${formatCount(v.files)} files`
    : `${formatCount(v.opsDone)}/${formatCount(v.ops)} ops`;
}

function parts(v: ProgressView, eta: (ms: number) => string): string[] {
  const out = [countText(v)];
  if (v.bytes > 0) out.push(formatPair(v.bytesDone, v.bytes));
  const rate = byteRate(v);
  if (rate !== null && v.bytes > 0) out.push(`${formatBytes(Math.round(rate))}/s`);
  const left = etaMs(v);
  out.push(`ETA ${left === null ? "?" : eta(left)}`);
  if (v.failed > 0) out.push(`${formatCount(v.failed)} failed`);
  return out;
}

/**
 * The terminal bar, fitted to `columns` (the text is cut rather than let
 * wrap, which would break redrawing in place):
 * `[=====>    ]  31%  1,234/5,000 files  1.2/4.0 GB  85.0 MB/s  ETA 0:42`.
 */
export function formatBar(v: ProgressView, columns = 80): string {
  const share = doneShare(v);
  const text = `${String(Math.floor(share * 100)).padStart(3)}%  ${
    parts(v, formatClock).join("  ")
  }`;
  // The last column is left free: writing into it wraps on some terminals.
  const room = columns - 1 - text.length - 3;
  if (room < 10) return text.slice(0, Math.max(0, columns - 1)); // narrow: the numbers matter more
  const width = Math.min(30, room);
  const filled = Math.floor(share * width);
  const bar = filled >= width
    ? "=".repeat(width)
    : "=".repeat(filled) + ">" + " ".repeat(width - filled - 1);
  return `[${bar}] ${text}`;
}

/** The periodic log line: `PROGRESS: pass 1: 1,234/5,000 files, 1.2/4.0 GB, 85.0 MB/s, ETA 42 s`. */
export function formatLine(v: ProgressView): string {
  return `PROGRESS: pass ${v.pass}: ${parts(v, formatDuration).join(", ")}`;
}

/**
 * At most one update per `everyMs`, the first not before `delayMs` after
 * {@link Throttle.reset}: small passes never show progress at all.
 */
export class Throttle {
  #next = Number.POSITIVE_INFINITY;

  /** `everyMs` between updates, the first `delayMs` after the start. */
  constructor(readonly everyMs: number, readonly delayMs: number) {}

  /** Starts over at `now` (a pass began). */
  reset(now: number): void {
    this.#next = now + this.delayMs;
  }

  /** Stops: nothing is due until the next reset. */
  stop(): void {
    this.#next = Number.POSITIVE_INFINITY;
  }

  /** True (and the next update scheduled) when an update is due at `now`. */
  due(now: number): boolean {
    if (now < this.#next) return false;
    this.#next = now + this.everyMs;
    return true;
  }
}

/**
 * A one-line bar redrawn in place with `\r`. It pads over the previous text
 * with spaces instead of using escape codes, so it works on any terminal
 * (TERM=dumb too) and carries no colour (NO_COLOR holds by construction).
 * Log lines must go through {@link TerminalBar.around} so they never
 * interleave with it.
 */
export class TerminalBar {
  #shown = "";
  #write: (text: string) => void;

  /** `write` puts text on the terminal (stderr) without a newline. */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** The text on screen now ("" when cleared). */
  get shown(): string {
    return this.#shown;
  }

  /** Draws `line` over the previous one. */
  draw(line: string): void {
    const pad = " ".repeat(Math.max(0, this.#shown.length - line.length));
    this.#write(`\r${line}${pad}`);
    this.#shown = line;
  }

  /** Removes the bar (the cursor goes back to the start of the line). */
  clear(): void {
    if (this.#shown === "") return;
    this.#write(`\r${" ".repeat(this.#shown.length)}\r`);
    this.#shown = "";
  }

  /** Runs `print` (which writes whole lines) with the bar cleared, then redraws the bar. */
  around(print: () => void): void {
    const line = this.#shown;
    this.clear();
    try {
      print();
    } finally {
      if (line !== "") this.draw(line);
    }
  }
}
