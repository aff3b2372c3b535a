/**
 * Timing and memory measurement of subprocesses.
 *
 * Runs are interleaved (run 1 of every command, then run 2 of every command,
 * with the starting command rotated each round) rather than all runs of one
 * command followed by all runs of the next, as hyperfine does. The disk of a
 * shared virtual machine drifts by a factor of two within minutes; interleaving
 * spreads that drift over every command instead of charging it to whichever
 * command happened to run during a slow spell.
 *
 * @module
 */

/** The project's root folder (the benchmarks run its `main.ts`). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Where the benchmarks write their results (gitignored). */
export const OUT_DIR = `${ROOT}/bench/out`;
/** The Deno that runs the benchmarks, and runs the program under test. */
export const DENO = Deno.execPath();

/** A command to time. */
export interface Case {
  /** Row label. */
  name: string;
  /** argv; the first element is the program. */
  cmd: string[];
  /** Untimed work before every run (reset the destination, sync, drop caches). */
  prepare?: () => Promise<void>;
  /** Untimed check after every run; throws when the run did not do what it should. */
  verify?: () => void;
  /** Environment variables set for the command, on top of the benchmark's own. */
  env?: Record<string, string>;
}

/** Timings of one {@link Case}. */
export interface Sample {
  /** Row label. */
  name: string;
  /** Wall times of the measured runs, in ms, in run order. */
  times: number[];
  /** Median wall time, ms. */
  median: number;
  /** Fastest run, ms. */
  min: number;
  /** Slowest run, ms. */
  max: number;
}

/** Options for {@link timeCases}. */
export interface TimeOptions {
  /** Measured runs per case. */
  runs: number;
  /** Unmeasured runs per case first (default 1). */
  warmup?: number;
  /**
   * Rotate the case that starts each round (default true). Off when a case
   * relies on the one before it, such as a pass over what the previous case left.
   */
  rotate?: boolean;
  /** Called after every run, for progress output. */
  onRun?: (name: string, ms: number, warmup: boolean) => void;
}

/** Output of a finished subprocess. */
export interface Exec {
  /** Exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

const decoder = new TextDecoder();

/**
 * Runs `cmd` to completion (with `env` on top of this process's) and returns its output.
 *
 * @throws Error naming the command when it exits non-zero (unless `allowFail`)
 */
export async function exec(
  cmd: string[],
  allowFail = false,
  env?: Record<string, string>,
): Promise<Exec> {
  const [program, ...args] = cmd;
  const out = await new Deno.Command(program!, { args, stdin: "null", ...(env ? { env } : {}) })
    .output();
  const res = {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
  if (!allowFail && out.code !== 0) {
    const said = (res.stderr.trim() || res.stdout.trim()).slice(0, 2000);
    throw new Error(`\`${cmd.join(" ")}\` exited ${out.code}: ${said}`);
  }
  return res;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `cmd` once with a clock around the subprocess; returns wall ms. */
async function timeOnce(c: Case): Promise<number> {
  const [program, ...args] = c.cmd;
  const command = new Deno.Command(program!, {
    args,
    stdin: "null",
    stdout: "null",
    ...(c.env ? { env: c.env } : {}),
  });
  const t0 = performance.now();
  const out = await command.output();
  const ms = performance.now() - t0;
  if (out.code !== 0) {
    const err = decoder.decode(out.stderr).trim().slice(0, 2000);
    throw new Error(`${c.name}: \`${c.cmd.join(" ")}\` exited ${out.code}: ${err}`);
  }
  return ms;
}

/**
 * Times each case `runs` times (after `warmup` unmeasured runs), interleaved.
 *
 * @throws Error when a command fails or a verification does not hold
 */
export async function timeCases(cases: readonly Case[], options: TimeOptions): Promise<Sample[]> {
  const warmup = options.warmup ?? 1;
  const times: number[][] = cases.map(() => []);
  for (let round = 0; round < warmup + options.runs; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = options.rotate === false ? k : (round + k) % cases.length;
      const c = cases[i]!;
      await c.prepare?.();
      const ms = await timeOnce(c);
      c.verify?.();
      const isWarmup = round < warmup;
      if (!isWarmup) times[i]!.push(ms);
      options.onRun?.(c.name, ms, isWarmup);
    }
  }
  return cases.map((c, i) => {
    const t = times[i]!;
    return { name: c.name, times: t, median: median(t), min: Math.min(...t), max: Math.max(...t) };
  });
}

/** `sync`: flush every dirty page so one run's writeback does not land in the next. */
export async function syncAll(): Promise<void> {
  await exec(["sync"]);
}

/**
 * Syncs, then drops one file's pages from the page cache (`dd iflag=nocache
 * count=0`, coreutils: `posix_fadvise(DONTNEED)` over the whole file), so the
 * next run reads that file from disk while the program's own executable and
 * modules stay cached, as they are for a daemon already running.
 *
 * @returns true when dd succeeded
 */
export async function evictFile(path: string): Promise<boolean> {
  await syncAll();
  const r = await exec(["dd", `if=${path}`, "iflag=nocache", "count=0", "status=none"], true);
  return r.code === 0;
}

/** Wall time and peak memory of one run. */
export interface PeakRun {
  /** Wall time, ms. */
  ms: number;
  /** Peak resident set size in KiB. */
  maxRssKiB: number;
  /** How it was measured. */
  method: string;
}

/** Path of GNU time, when installed. */
const GNU_TIME = "/usr/bin/time";

function hasGnuTime(): boolean {
  try {
    return Deno.statSync(GNU_TIME).isFile;
  } catch {
    return false;
  }
}

/**
 * Reads `VmHWM` and `VmRSS` (KiB) of a live process; null once it is gone.
 * Through `cat`: Deno lets only `--allow-all` programs read /proc.
 */
export async function procMemory(pid: number): Promise<{ hwm: number; rss: number } | null> {
  const r = await exec(["cat", `/proc/${pid}/status`], true);
  if (r.code !== 0) return null;
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(r.stdout)?.[1] ?? 0);
  return { hwm: field("VmHWM"), rss: field("VmRSS") };
}

/**
 * Runs `cmd` once and reports its peak RSS: through GNU time (`ru_maxrss`,
 * exact) when installed, else by polling `VmHWM` every 10 ms (plus a `cat`).
 *
 * @throws Error when the command fails
 */
export async function peakRss(cmd: string[], tmpFile: string): Promise<PeakRun> {
  if (hasGnuTime()) {
    const t0 = performance.now();
    await exec([GNU_TIME, "-f", "%M", "-o", tmpFile, ...cmd]);
    const ms = performance.now() - t0;
    const kib = Number(Deno.readTextFileSync(tmpFile).trim().split("\n").at(-1));
    return { ms, maxRssKiB: kib, method: "GNU time (ru_maxrss)" };
  }
  const [program, ...args] = cmd;
  const t0 = performance.now();
  const child = new Deno.Command(program!, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  let hwm = 0;
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  while (!done) {
    hwm = Math.max(hwm, (await procMemory(child.pid))?.hwm ?? 0);
    await new Promise((r) => setTimeout(r, 10));
  }
  const s = await status;
  if (!s.success) throw new Error(`\`${cmd.join(" ")}\` exited ${s.code}`);
  return {
    ms: performance.now() - t0,
    maxRssKiB: hwm,
    method: "VmHWM polled every 10 ms",
  };
}

/** What {@link watchDaemon} saw. */
export interface DaemonMemory {
  /** Peak RSS (VmHWM) in KiB when the daemon was stopped. */
  hwmKiB: number;
  /** RSS in KiB when it was stopped (between passes). */
  rssKiB: number;
  /** ms from start until the first pass was logged. */
  firstPassMs: number;
  /** ms the daemon ran in all. */
  ranMs: number;
}

/**
 * Starts a daemon, waits until `logFile` shows its first pass, lets it run
 * `extraMs` more (further passes), reads `VmHWM`, then stops it with SIGTERM.
 *
 * @throws Error when the daemon exits on its own or shows no pass within `timeoutMs`
 */
export async function watchDaemon(
  cmd: string[],
  opts: { logFile: string; passPattern: RegExp; extraMs: number; timeoutMs: number },
): Promise<DaemonMemory> {
  const [program, ...args] = cmd;
  const t0 = performance.now();
  const child = new Deno.Command(program!, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const errText = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const died = async (what: string): Promise<Error> =>
    new Error(`daemon ${what}: \`${cmd.join(" ")}\`: ${(await errText).trim().slice(0, 2000)}`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const logged = (): boolean => {
    try {
      return opts.passPattern.test(Deno.readTextFileSync(opts.logFile));
    } catch {
      return false;
    }
  };
  try {
    while (!logged()) {
      if (exited) throw await died("exited before its first pass");
      if (performance.now() - t0 > opts.timeoutMs) {
        throw new Error("daemon: no pass logged in time");
      }
      await sleep(50);
    }
    const firstPassMs = performance.now() - t0;
    await sleep(opts.extraMs);
    if (exited) throw await died("exited on its own");
    const mem = await procMemory(child.pid);
    if (!mem) throw new Error("daemon: cannot read /proc status");
    return { hwmKiB: mem.hwm, rssKiB: mem.rss, firstPassMs, ranMs: performance.now() - t0 };
  } finally {
    if (!exited) child.kill("SIGTERM");
    await status;
    await errText;
  }
}
