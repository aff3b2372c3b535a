/**
 * Command hooks: `--on-pass CMD` after every pass, `--on-error CMD` after a
 * pass that went wrong. A hook runs through `sh -c CMD` with the pass summary
 * as one JSON object on its standard input, off the pass loop: the daemon only
 * hands the summary over and never waits for a hook while it backs up.
 *
 * Hooks run one at a time. While one runs, later summaries replace the one
 * waiting for the same hook, so a slow hook costs at most one pending run per
 * hook, never a growing queue. An error is never hidden by a later clean pass:
 * the two hooks wait in separate slots.
 *
 * @module
 */

import type { PassSummary } from "../engine/summary.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { isNotCapable, isNotFound, isPermissionDenied } from "../base/fs.ts";
import { type HookResult, type HookSpawner, KILL_GRACE_MS, spawnShell } from "./hook_shell.ts";
import { MAX_TIMER_SECONDS } from "../base/timing.ts";
import { plural } from "../base/units.ts";

export type { HookResult, HookRun, HookSpawner } from "./hook_shell.ts";

/** Default seconds a hook may run before it is killed. */
export const DEFAULT_HOOK_TIMEOUT_S = 60;

/** Which hook: `pass` (`--on-pass`) or `error` (`--on-error`). */
export type HookEvent = "pass" | "error";

/** The hook commands and their timeout, as parsed from the command line (or a config file). */
export interface HookCommands {
  /** Shell command run after every pass. */
  onPass?: string;
  /** Shell command run after a pass with problems, or one that failed. */
  onError?: string;
  /** Milliseconds a hook may run before it is killed. */
  timeoutMs: number;
}

/**
 * Parses a hook timeout in seconds (above 0; fractions allowed) into
 * milliseconds. Undefined gives the default ({@link DEFAULT_HOOK_TIMEOUT_S}).
 *
 * @param raw the flag's text, or a number from a config file
 * @param name how to name the setting in the error message (default `--hook-timeout`)
 * @throws UsageError when it is not a number of seconds above 0.
 */
export function parseHookTimeout(
  raw: string | number | undefined,
  name = "--hook-timeout",
): number {
  if (raw === undefined) return DEFAULT_HOOK_TIMEOUT_S * 1000;
  const seconds = Number(raw);
  const wellFormed = typeof raw === "number" || /^\s*\d*\.?\d+\s*$/.test(raw);
  if (!wellFormed || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(`${name} must be a number of seconds above 0, not "${raw}"`);
  }
  if (seconds > MAX_TIMER_SECONDS) {
    throw new UsageError(
      `${name} must be at most ${MAX_TIMER_SECONDS} seconds (24 days), not "${raw}"`,
    );
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * Builds {@link HookCommands} from the three flags' raw values.
 *
 * @throws UsageError for an empty command, a bad timeout, or a timeout without a hook.
 */
export function hookCommands(
  raw: { onPass: string | undefined; onError: string | undefined; timeout: string | undefined },
): HookCommands {
  const commands: HookCommands = { timeoutMs: parseHookTimeout(raw.timeout) };
  for (const [flag, value] of [["--on-pass", raw.onPass], ["--on-error", raw.onError]] as const) {
    if (value !== undefined && value.trim() === "") {
      throw new UsageError(`${flag} needs a command, for example ${flag} 'logger backup done'`);
    }
  }
  if (raw.onPass !== undefined) commands.onPass = raw.onPass;
  if (raw.onError !== undefined) commands.onError = raw.onError;
  if (raw.timeout !== undefined && raw.onPass === undefined && raw.onError === undefined) {
    throw new UsageError("--hook-timeout goes with --on-pass or --on-error");
  }
  return commands;
}

/**
 * Why a pass counts as an error for `--on-error` (failed operations, deletions
 * held by the mass-delete guard, or a skipped pass), or null for a clean pass.
 * The same conditions make `--once` exit 6.
 */
export function passProblem(summary: PassSummary): string | null {
  const problems: string[] = [];
  if (summary.skipped !== null) problems.push(`skipped: ${summary.skipped}`);
  if (summary.failed > 0) problems.push(`${plural(summary.failed, "operation")} failed`);
  if (summary.held > 0) {
    problems.push(`${plural(summary.held, "deletion")} held by the mass-delete guard`);
  }
  if (summary.badNames > 0) {
    problems.push(`${plural(summary.badNames, "name")} skipped (not valid UTF-8)`);
  }
  return problems.length > 0 ? problems.join("; ") : null;
}

/** The pass summary as a hook sees it: plain JSON (folders to retry as a sorted array). */
export type SummaryJson = Omit<PassSummary, "retryDirs"> & { retryDirs: string[] };

/**
 * What a hook reads on its standard input: the pass summary's fields (absent
 * when the pass itself failed), and where and when it happened.
 */
export interface HookPayload extends Partial<SummaryJson> {
  /** `pass` for `--on-pass`, `error` for `--on-error`. */
  event: HookEvent;
  /** Source root. */
  source: string;
  /** Destination root. */
  dest: string;
  /** When the pass ended (ISO 8601 UTC). */
  time: string;
  /** Name of the job (from a config file), or null. */
  job: string | null;
  /** What went wrong ({@link passProblem}, or why the pass failed), or null. */
  reason: string | null;
  /** The mismatches of the rolling verification ({@link HookRunner.afterVerify}). */
  mismatches?: object[];
}

/** What {@link HookRunner} logs through (a LogTape `Logger` fits). */
export interface HookLog {
  /** Logs a warning. */
  warn(message: string, props: Record<string, unknown>): void;
  /** Logs an informational line. */
  info(message: string, props: Record<string, unknown>): void;
}

/** What the daemon calls (a {@link HookRunner}, or a test double). */
export interface Hooks {
  /** Hands a finished pass over; returns at once. */
  afterPass(summary: PassSummary): void;
  /** Hands over a pass that threw; returns at once. */
  afterError(err: unknown): void;
  /** Resolves once no hook is running or waiting (each is bounded by the timeout). */
  close(): Promise<void>;
}

/** Options of a {@link HookRunner}. */
export interface HookOptions {
  /** Source root (in the payload and `BACKUP_SOURCE`). */
  source: string;
  /** Destination root (in the payload and `BACKUP_DEST`). */
  dest: string;
  /** Job name from a config file (in the payload and `BACKUP_JOB`); default none. */
  job?: string;
  /** Warnings: a hook that failed, timed out or could not start. */
  log: HookLog;
  /** A hook that succeeded (default: `log`). */
  detail?: HookLog;
  /** Runs a command (default {@link spawnShell}). */
  spawn?: HookSpawner;
  /** Milliseconds between SIGTERM and SIGKILL (default {@link KILL_GRACE_MS}). */
  killGraceMs?: number;
  /** Clock for the payload's `time` (default `Date.now`). */
  now?: () => number;
}

/** A hook waiting to run. */
interface Job {
  flag: "on-pass" | "on-error";
  command: string;
  payload: HookPayload;
}

/** The last line of a hook's output, shortened, for a log line. */
function lastLine(output: string): string {
  const line = output.trim().split("\n").pop()?.trim() ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/**
 * Runs the hooks one at a time, off the pass loop, keeping at most one
 * waiting run per hook (the latest summary). Never throws: every problem of a
 * hook is a logged warning.
 */
export class HookRunner implements Hooks {
  #commands: HookCommands;
  #o: HookOptions;
  #waiting: { pass?: Job; error?: Job } = {};
  #running: Promise<void> | null = null;

  /** A runner for `commands` (nothing runs until a pass is handed over). */
  constructor(commands: HookCommands, options: HookOptions) {
    this.#commands = commands;
    this.#o = options;
  }

  /** A runner when at least one hook is set, else undefined. */
  static from(commands: HookCommands, options: HookOptions): HookRunner | undefined {
    return commands.onPass === undefined && commands.onError === undefined
      ? undefined
      : new HookRunner(commands, options);
  }

  /** Queues `--on-pass` (always) and `--on-error` (when {@link passProblem} finds one). */
  afterPass(summary: PassSummary): void {
    const { retryDirs, ...counts } = summary;
    const fields = { ...counts, retryDirs: [...retryDirs].sort() };
    const reason = passProblem(summary);
    if (this.#commands.onPass !== undefined) {
      this.#waiting.pass = {
        flag: "on-pass",
        command: this.#commands.onPass,
        payload: { ...this.#header("pass", reason), ...fields },
      };
    }
    if (this.#commands.onError !== undefined && reason !== null) {
      this.#waiting.error = {
        flag: "on-error",
        command: this.#commands.onError,
        payload: { ...this.#header("error", reason), ...fields },
      };
    }
    this.#kick();
  }

  /** Queues `--on-error` for a pass that threw (the payload has no counts). */
  afterError(err: unknown): void {
    if (this.#commands.onError === undefined) return;
    this.#waiting.error = {
      flag: "on-error",
      command: this.#commands.onError,
      payload: this.#header("error", `pass failed: ${describeError(err)}`),
    };
    this.#kick();
  }

  /**
   * Queues `--on-error` for mismatches the rolling verification found (`--verify-every`):
   * the payload has no pass counts, `reason` says how many, `mismatches` lists them.
   */
  afterVerify(reason: string, mismatches: readonly object[]): void {
    if (this.#commands.onError === undefined) return;
    this.#waiting.error = {
      flag: "on-error",
      command: this.#commands.onError,
      payload: { ...this.#header("error", reason), mismatches: [...mismatches] },
    };
    this.#kick();
  }

  /** Waits for the running hook and the waiting ones (each bounded by the timeout). */
  async close(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #header(event: HookEvent, reason: string | null): HookPayload {
    return {
      event,
      source: this.#o.source,
      dest: this.#o.dest,
      time: new Date((this.#o.now ?? Date.now)()).toISOString(),
      job: this.#o.job ?? null,
      reason,
    };
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      // A hook queued between the drain's last look and this callback is not left behind.
      if (this.#waiting.error || this.#waiting.pass) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      // The error hook first: passes that keep coming must not hold an alert back.
      const job = this.#waiting.error ?? this.#waiting.pass;
      if (!job) return;
      if (job === this.#waiting.error) delete this.#waiting.error;
      else delete this.#waiting.pass;
      await this.#run(job);
    }
  }

  async #run(job: Job): Promise<void> {
    const { log } = this.#o;
    const env: Record<string, string> = {
      BACKUP_EVENT: job.payload.event,
      BACKUP_SOURCE: job.payload.source,
      BACKUP_DEST: job.payload.dest,
    };
    if (this.#o.job !== undefined) env.BACKUP_JOB = this.#o.job;
    const started = performance.now();
    let result: HookResult;
    try {
      result = await (this.#o.spawn ?? spawnShell)({
        command: job.command,
        input: JSON.stringify(job.payload) + "\n",
        env,
        timeoutMs: this.#commands.timeoutMs,
        killGraceMs: this.#o.killGraceMs ?? KILL_GRACE_MS,
      });
    } catch (err) {
      const reason = isNotCapable(err) || isPermissionDenied(err)
        ? "running programs is not allowed (give deno --allow-run)"
        : isNotFound(err)
        ? "sh not found"
        : describeError(err);
      log.warn("HOOK --{flag} NOT RUN: {reason}; the backup goes on", { flag: job.flag, reason });
      return;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const said = lastLine(result.output);
    const output = said === "" ? "" : ` - ${said}`;
    if (result.timedOut) {
      log.warn("HOOK --{flag} TIMED OUT after {timeout} s and was killed{output}", {
        flag: job.flag,
        timeout: this.#commands.timeoutMs / 1000,
        output,
      });
    } else if (result.code !== 0) {
      log.warn("HOOK --{flag} FAILED: {how}{output}", {
        flag: job.flag,
        how: result.signal ? `killed by ${result.signal}` : `exit ${result.code}`,
        output,
      });
    } else {
      (this.#o.detail ?? log).info("HOOK --{flag}: exit 0 in {seconds} s{input}", {
        flag: job.flag,
        seconds,
        input: result.inputError ? ` (${result.inputError})` : "",
      });
    }
  }
}
