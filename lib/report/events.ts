/**
 * `--json` events: one JSON object per line on stdout, for scripts. Every
 * event has `event` (its name), `time` (ISO 8601) and, when the stream was
 * given one, `job` (the job's name). The schema is in docs/operations.md.
 *
 * @module
 */

import type { PassSummary } from "../engine/summary.ts";

/** The event names. */
export type EventName =
  | "start"
  | "pass-start"
  | "progress"
  | "op"
  | "pass"
  | "warning"
  | "error"
  | "stop";

/** Options for {@link EventStream}. */
export interface EventStreamOptions {
  /** Job name put into every event (none: no `job` field). */
  job?: string;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/**
 * Writes events as JSON lines through `write(line, flush)`: `flush` is false
 * for `op` events (many, buffered by the writer) and true for the others, so
 * a reader sees each pass and progress event when it happens.
 */
export class EventStream {
  #write: (line: string, flush: boolean) => void;
  #job: string | undefined;
  #now: () => number;

  /** Events go to `write`; see {@link EventStreamOptions}. */
  constructor(write: (line: string, flush: boolean) => void, options: EventStreamOptions = {}) {
    this.#write = write;
    this.#job = options.job;
    this.#now = options.now ?? Date.now;
  }

  /** Writes one event: `{"event":name,"time":...,"job":...,...fields}`. */
  emit(name: EventName, fields: Record<string, unknown> = {}): void {
    const head: Record<string, unknown> = {
      event: name,
      time: new Date(this.#now()).toISOString(),
    };
    if (this.#job !== undefined) head.job = this.#job;
    this.#write(JSON.stringify({ ...head, ...fields }), name !== "op");
  }
}

/** A pass summary as plain JSON (the folder set left out, the duration in whole ms). */
export function summaryJson(s: PassSummary): Record<string, unknown> {
  const { retryDirs: _, durationMs, ...rest } = s;
  return { ...rest, durationMs: Math.round(durationMs) };
}
