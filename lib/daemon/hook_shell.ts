/**
 * Running one hook command: `sh -c CMD` through `Deno.Command` in its own
 * process group, its input written, the end of its output kept, and the whole
 * group killed at the timeout.
 *
 * @module
 */

import { describeError } from "../base/errors.ts";
import { isBrokenPipe } from "../base/fs.ts";
import { sleep } from "../base/timing.ts";

/** Milliseconds between SIGTERM and SIGKILL for a hook past its timeout. */
export const KILL_GRACE_MS = 2_000;

/** One run of a hook command, as the spawner gets it. */
export interface HookRun {
  /** Shell command (run as `sh -c command`). */
  command: string;
  /** Text for its standard input. */
  input: string;
  /** Environment variables added to the inherited ones. */
  env: Record<string, string>;
  /** Milliseconds before it is killed (SIGTERM to its process group). */
  timeoutMs: number;
  /** Milliseconds after SIGTERM before SIGKILL. */
  killGraceMs: number;
}

/** How a hook run ended. */
export interface HookResult {
  /** Exit code (128 + n after signal n). */
  code: number;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** Killed because it ran past its timeout. */
  timedOut: boolean;
  /** The end of what it printed (stdout and stderr), at most 2 kB. */
  output: string;
  /** Why its input could not be written in full (it exited or closed stdin first), or null. */
  inputError: string | null;
}

/**
 * Runs one hook command and reports how it ended (tests inject their own).
 *
 * @throws what spawning throws (Deno.errors.NotCapable without `--allow-run`, NotFound without `sh`).
 */
export type HookSpawner = (run: HookRun) => Promise<HookResult>;

/** Keeps the last `max` bytes written to it. */
class Tail {
  #chunks: Uint8Array[] = [];
  #size = 0;
  constructor(readonly max: number) {}
  add(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0]!.length >= this.max) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }
  text(): string {
    const all = new Uint8Array(this.#size);
    let off = 0;
    for (const c of this.#chunks) (all.set(c, off), off += c.length);
    return new TextDecoder().decode(all.subarray(Math.max(0, this.#size - this.max)));
  }
}

/** Signals the hook's process group (what `sh` started too), else the shell alone. */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  }
}

/** Writes `text` to the hook's stdin and closes it; `done` resolves with the reason it could not. */
function feed(
  stdin: WritableStream<Uint8Array>,
  text: string,
): { done: Promise<string | null>; abandon(): void } {
  const writer = stdin.getWriter();
  const done = (async () => {
    try {
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      return null;
    } catch (err) {
      return isBrokenPipe(err) ? "it closed its input before reading it all" : describeError(err);
    }
  })();
  return { done, abandon: () => void writer.abort().catch(() => {}) };
}

/** How long output and input may linger after the hook exited (a grandchild holding the pipes). */
const LINGER_MS = 200;

/**
 * The real spawner: `sh -c command` in its own process group through
 * `Deno.Command`, the JSON on stdin, stdout and stderr collected (the last
 * 2 kB), SIGTERM to the group at the timeout and SIGKILL after the grace.
 *
 * @throws Deno.errors.NotCapable without `--allow-run`; NotFound without `sh`.
 */
export async function spawnShell(run: HookRun): Promise<HookResult> {
  const child = new Deno.Command("sh", {
    args: ["-c", run.command],
    env: run.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true, // its own process group, so a timeout kills what it started too
  }).spawn();
  const tail = new Tail(2048);
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const pumps = Promise.all(readers.map(async (reader) => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        tail.add(value);
      }
    } catch { /* cancelled */ }
  }));
  const input = feed(child.stdin, run.input);
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const termTimer = setTimeout(() => {
    timedOut = true;
    killGroup(child, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child, "SIGKILL"), run.killGraceMs);
  }, run.timeoutMs);
  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    clearTimeout(termTimer);
    clearTimeout(killTimer);
  }
  if (timedOut) killGroup(child, "SIGKILL"); // what survived the shell's SIGTERM
  // Output and input may outlive the shell (a background child holding the pipes): not for long.
  const linger = new AbortController();
  let inputError: string | null = "it did not read its input";
  const rest = Promise.all([pumps, input.done.then((e) => void (inputError = e))]);
  await Promise.race([rest, sleep(LINGER_MS, linger.signal)]);
  linger.abort();
  const inputProblem = inputError;
  input.abandon();
  for (const r of readers) r.cancel().catch(() => {});
  await pumps;
  return {
    code: status.code,
    signal: status.signal,
    timedOut,
    output: tail.text(),
    inputError: inputProblem,
  };
}
