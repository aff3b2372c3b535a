/**
 * The live side of the dashboard: what each job of this process is doing
 * right now, and a fan-out of its events to every open page (Server-Sent
 * Events). Fed by {@link LiveReporter}s that the daemon's passes call.
 *
 * @module
 */

/** What a page is told: one event of one job. */
export interface LiveEvent {
  /** Event name: start, pass-start, progress, op, pass, stop. */
  event: string;
  /** The job's name. */
  job: string;
  /** ISO 8601 time. */
  time: string;
  /** The event's own fields. */
  [field: string]: unknown;
}

/** A job's live state as the hub knows it. */
export interface JobLive {
  /** `starting`, `copying` (a pass runs), `idle`, `stopped`. */
  phase: "starting" | "copying" | "idle" | "stopped";
  /** The running pass's progress (its last `progress` or `pass-start` event), or null. */
  progress: LiveEvent | null;
  /** The last pass's `pass` event, or null. */
  lastPass: LiveEvent | null;
  /** The newest operations, oldest first (at most {@link RECENT_OPS}). */
  recentOps: LiveEvent[];
  /** The exit code once stopped. */
  code: number | null;
}

/** How many operations each job keeps for a page that opens late. */
export const RECENT_OPS = 200;

/** Fan-out of live events, and the latest state of each job. */
export class LiveHub {
  readonly #jobs = new Map<string, JobLive>();
  readonly #listeners = new Set<(event: LiveEvent) => void>();
  readonly #now: () => number;

  /** `now` is the clock (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The live state of `job` (a fresh `starting` one if nothing was heard of it yet). */
  job(job: string): JobLive {
    let live = this.#jobs.get(job);
    if (!live) {
      live = { phase: "starting", progress: null, lastPass: null, recentOps: [], code: null };
      this.#jobs.set(job, live);
    }
    return live;
  }

  /** Records and broadcasts one event of `job`. Never throws (a page's failure is its own). */
  emit(job: string, event: string, fields: Record<string, unknown> = {}): void {
    const e: LiveEvent = { event, job, time: new Date(this.#now()).toISOString(), ...fields };
    const live = this.job(job);
    switch (event) {
      case "pass-start":
      case "progress":
        live.phase = "copying";
        live.progress = e;
        break;
      case "op":
        live.recentOps.push(e);
        if (live.recentOps.length > RECENT_OPS) live.recentOps.shift();
        break;
      case "pass":
        live.phase = "idle";
        live.progress = null;
        live.lastPass = e;
        break;
      case "stop":
        live.phase = "stopped";
        live.progress = null;
        live.code = typeof fields.code === "number" ? fields.code : null;
        break;
    }
    for (const listener of this.#listeners) {
      try {
        listener(e);
      } catch { /* a page that went away */ }
    }
  }

  /** Calls `listener` with every event from now on; returns the way to stop. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many pages listen (for tests). */
  get listeners(): number {
    return this.#listeners.size;
  }
}
