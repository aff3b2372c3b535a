/**
 * Files still being written. A file that changes while it is copied (a
 * download, `npm install`, `head -c 300M /dev/urandom > big.bin`) is *busy*:
 * not an error. It is tried again after 1 s, then 2 s, 4 s ... (capped at the
 * interval between full passes), and only reported as a failure once it has
 * stayed busy for longer than {@link BUSY_LIMIT_MS}. Between tries, passes
 * leave it alone (counted as busy), so that a watcher firing on every write
 * does not copy a growing file over and over.
 *
 * @module
 */

/** A delay for people: `2 s`, `10 min`. */
function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
/** How long a file may stay busy before each try that finds it busy again counts as a failure. */
export const BUSY_LIMIT_MS = 10 * 60_000;

/** The first delay before a busy file is tried again; each later one doubles. */
export const BUSY_FIRST_DELAY_MS = 1000;

/**
 * The error text of a busy try within the limit starts with this (journaled in its `failed`
 * record, which `backup status` does not list as a failure).
 */
export const BUSY_PREFIX = "busy: ";

/** Why a copy was not made: its source changed while it was copied. */
export class FileBusyError extends Error {
  override name = "FileBusyError";
  /** True the first time this file was found busy (since it was last copied or forgotten). */
  readonly first: boolean;
  /** True when it has been busy past the limit: a failure, reported as one. */
  readonly overLimit: boolean;

  /** A busy file; `message` says when it is tried again. */
  constructor(message: string, facts: { first: boolean; overLimit: boolean }) {
    super(message);
    this.first = facts.first;
    this.overLimit = facts.overLimit;
  }
}

/** What is known of one busy file. */
interface BusyFile {
  /** When it was first found busy (ms). */
  since: number;
  /** Tries that found it busy. */
  tries: number;
  /** Not tried again before this time (ms). */
  nextTry: number;
}

/** Limits of {@link BusyFiles}. */
export interface BusyLimits {
  /** Longest delay between two tries (the interval between full passes). Default 60 s. */
  maxDelayMs?: number;
  /** Busy for longer than this: each try that finds it busy fails. Default {@link BUSY_LIMIT_MS}. */
  limitMs?: number;
}

/** The busy files of one backup, kept from pass to pass by the reconciler. */
export class BusyFiles {
  readonly #files = new Map<string, BusyFile>();
  readonly #maxDelay: number;
  readonly #limit: number;

  /** An empty set of busy files. */
  constructor(limits: BusyLimits = {}) {
    this.#maxDelay = Math.max(BUSY_FIRST_DELAY_MS, limits.maxDelayMs ?? 60_000);
    this.#limit = limits.limitMs ?? BUSY_LIMIT_MS;
  }

  /** How many files are busy. */
  get size(): number {
    return this.#files.size;
  }

  /**
   * Notes a try at `now` that found `path` changing under its copy; returns the error to
   * report and journal (it says when the file is tried again).
   */
  found(path: string, now: number): FileBusyError {
    const known = this.#files.get(path);
    const file = known ?? { since: now, tries: 0, nextTry: now };
    file.tries++;
    const delay = Math.min(BUSY_FIRST_DELAY_MS * 2 ** Math.min(file.tries - 1, 30), this.#maxDelay);
    file.nextTry = now + delay;
    this.#files.set(path, file);
    const overLimit = now - file.since > this.#limit;
    const again = `tried again in ${formatDuration(delay)}`;
    const message = overLimit
      ? `busy for too long: still changing after ${
        formatDuration(now - file.since)
      } of tries (the limit is ${formatDuration(this.#limit)}); not backed up; ${again}`
      : `${BUSY_PREFIX}changed while it was being copied; ${again}`;
    return new FileBusyError(message, { first: known === undefined, overLimit });
  }

  /** True when `path` is busy and its next try is not due at `now`: leave it for now. */
  waiting(path: string, now: number): boolean {
    const file = this.#files.get(path);
    return file !== undefined && file.nextTry > now;
  }

  /** Ms from `now` until the earliest next try (0 when one is due, or none is busy). */
  nextIn(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const file of this.#files.values()) next = Math.min(next, file.nextTry);
    return next === Number.POSITIVE_INFINITY ? 0 : Math.max(0, next - now);
  }

  /** `path` was copied (or is no longer to be copied): it is not busy any more. */
  forget(path: string): void {
    this.#files.delete(path);
  }

  /** Forgets every busy file a full pass no longer plans to copy (gone, or copied by now). */
  keepOnly(planned: ReadonlySet<string>): void {
    for (const path of [...this.#files.keys()]) if (!planned.has(path)) this.#files.delete(path);
  }
}
