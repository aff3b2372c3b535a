/**
 * Test helpers: temp dirs, tree comparison, waiting with a deadline, and
 * spawning the CLI as a subprocess.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { MARKER_NAME, RESERVED_DIR } from "../lib/base/layout.ts";
import { assertEquals } from "./assert.ts";

/** Absolute path of main.ts. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Absolute path of the project root. */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The permissions the program itself needs (the same as the `backup` task). */
export const RUN_PERMS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env=BACKUP_DEBUG",
  "--allow-run",
  "--allow-net",
];

/** A temp folder: `cleanup()` it, or declare it with `await using`. */
export interface TempDir extends AsyncDisposable {
  /** Its absolute path. */
  path: string;
  /** Removes it with everything in it. */
  cleanup(): Promise<void>;
}

/** Creates a temp folder and returns it with a disposer. */
export async function tempDir(prefix = "backup-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  const cleanup = async () => {
    await Deno.remove(path, { recursive: true }).catch(() => {});
  };
  return { path, cleanup, [Symbol.asyncDispose]: cleanup };
}

/** Runs `fn` with a fresh source folder (created) and destination path (not created), then cleans up. */
export async function withRoots(fn: (src: string, dest: string) => Promise<void>): Promise<void> {
  const t = await tempDir();
  try {
    Deno.mkdirSync(`${t.path}/src`);
    await fn(`${t.path}/src`, `${t.path}/dest`);
  } finally {
    await t.cleanup();
  }
}

/** What the tree comparison looks at for one path. */
export interface NodeInfo {
  /** Entry kind. */
  kind: "file" | "dir" | "symlink" | "other";
  /** Permission bits (not for symlinks). */
  mode: number;
  /** mtime in ms. */
  mtimeMs: number;
  /** Size (files). */
  size: number;
  /** sha256 of the content (files). */
  content?: string;
  /** Symlink target. */
  target?: string;
}

/**
 * Snapshots a tree: every path below `root` (never following symlinks), except
 * `skip` at the top (by default the backup's reserved folder and its source marker).
 */
export function snapshot(
  root: string,
  skip: string[] = [RESERVED_DIR, MARKER_NAME],
): Map<string, NodeInfo> {
  const out = new Map<string, NodeInfo>();
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (rel === "" && skip.includes(e.name)) continue;
      const abs = `${root}/${r}`;
      const st = Deno.lstatSync(abs);
      const kind = st.isSymlink ? "symlink" : st.isDirectory ? "dir" : st.isFile ? "file" : "other";
      const info: NodeInfo = {
        kind,
        mode: kind === "symlink" ? 0 : (st.mode ?? 0) & 0o7777,
        mtimeMs: st.mtime?.getTime() ?? 0,
        size: kind === "file" ? st.size : 0,
      };
      if (kind === "file") {
        info.content = createHash("sha256").update(Deno.readFileSync(abs)).digest("hex");
      }
      if (kind === "symlink") info.target = Deno.readLinkSync(abs);
      out.set(r, info);
      if (kind === "dir") walk(r);
    }
  };
  walk("");
  return out;
}

/** Lists the differences between two snapshots (empty when equal). */
export function treeDiff(a: Map<string, NodeInfo>, b: Map<string, NodeInfo>): string[] {
  const diffs: string[] = [];
  for (const [path, x] of a) {
    const y = b.get(path);
    if (!y) {
      diffs.push(`missing in copy: ${JSON.stringify(path)}`);
      continue;
    }
    for (const k of ["kind", "mode", "mtimeMs", "size", "content", "target"] as const) {
      if (x[k] !== y[k]) {
        diffs.push(`${JSON.stringify(path)}: ${k} ${String(x[k])} != ${String(y[k])}`);
      }
    }
  }
  for (const path of b.keys()) {
    if (!a.has(path)) diffs.push(`extra in copy: ${JSON.stringify(path)}`);
  }
  return diffs;
}

/** Throws with the list of differences unless `copy` mirrors `source` exactly. */
export function assertMirror(source: string, copy: string): void {
  const diffs = treeDiff(snapshot(source), snapshot(copy));
  if (diffs.length > 0) {
    throw new Error(`trees differ (${diffs.length}):\n  ${diffs.slice(0, 20).join("\n  ")}`);
  }
}

/** Waits until `cond` returns true (or a truthy value), polling; throws after the deadline. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? "condition"}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

/** Result of a finished CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Runs `backup ARGS` through `deno run` (with `perms`, default {@link RUN_PERMS}) and waits for
 * it; with `via`, through that command, given the whole `deno run ...` command line as its last
 * arguments (e.g. `["sh", "-c", 'ulimit -n 480 && exec "$@"', "sh"]`).
 */
export async function runCli(
  args: string[],
  options: { cwd?: string; perms?: string[]; via?: string[] } = {},
): Promise<CliResult> {
  const deno = [Deno.execPath(), "run", "--quiet", ...(options.perms ?? RUN_PERMS), MAIN, ...args];
  const [command, ...rest] = [...(options.via ?? []), ...deno];
  const out = await new Deno.Command(command!, {
    args: rest,
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The JSON values of a `--json` output, one a line (blank lines skipped). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** The JSON lines of `backup journal show --dest DEST ARGS... --json`, which must exit 0. */
export async function journalShow(
  dest: string,
  ...args: string[]
): Promise<Record<string, unknown>[]> {
  const r = await runCli(["journal", "show", "--dest", dest, ...args, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return jsonLines(r.stdout);
}

/**
 * The summaries of the passes of `backup ARGS --once --json` (one per job with `--config`), which
 * must exit 0; with `passes`, exactly that many.
 */
export async function passSummaries(
  args: string[],
  passes?: number,
): Promise<{ job?: string; summary: Record<string, unknown> }[]> {
  const r = await runCli([...args, "--once", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const done = jsonLines(r.stdout).filter((e) => e.event === "pass");
  if (passes !== undefined) assertEquals(done.length, passes, r.stdout);
  return done.map((e) => ({
    ...(typeof e.job === "string" ? { job: e.job } : {}),
    summary: e.summary as Record<string, unknown>,
  }));
}

/** A running daemon with its output collected. */
export interface Daemon {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Everything printed so far (stdout + stderr). */
  output(): string;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Starts `backup ARGS` in the background (with `perms`, default {@link RUN_PERMS}). */
export function startDaemon(args: string[], options: { perms?: string[] } = {}): Daemon {
  return followDaemon(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...(options.perms ?? RUN_PERMS), MAIN, ...args],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn(),
  );
}

/** A spawned daemon (stdout and stderr piped) as a {@link Daemon}: its output collected. */
export function followDaemon(child: Deno.ChildProcess): Daemon {
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) text += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    output: () => text,
    stop: async (signal: Deno.Signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const status = await child.status;
      await pumps;
      return status.code;
    },
  };
}

/** How a {@link stopWithin} ended. */
export interface TimedStop {
  /** Exit code (137 or so when it had to be killed). */
  code: number;
  /** Milliseconds from the signal to the exit. */
  ms: number;
  /** True when it did not exit by the deadline and was killed (SIGKILL). */
  killed: boolean;
}

/**
 * Sends `signal` to a daemon and waits at most `deadlineMs` for it to exit; past that it is
 * killed with SIGKILL, so a daemon deaf to the signal fails a test instead of hanging it.
 */
export async function stopWithin(
  daemon: Daemon,
  deadlineMs: number,
  signal: Deno.Signal = "SIGTERM",
): Promise<TimedStop> {
  const started = performance.now();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      daemon.child.kill("SIGKILL");
    } catch { /* gone meanwhile */ }
  }, deadlineMs);
  try {
    const code = await daemon.stop(signal);
    return { code, ms: performance.now() - started, killed };
  } finally {
    clearTimeout(timer);
  }
}

/** Writes a file, creating its parent folders. */
export function put(path: string, content: string | Uint8Array): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof content === "string") Deno.writeTextFileSync(path, content);
  else Deno.writeFileSync(path, content);
}

/** Lists temp files the backup left anywhere below `root`. */
export function leftoverTemps(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.name.startsWith(".backup-tmp-")) found.push(p);
      if (e.isDirectory && !e.isSymlink) walk(p);
    }
  };
  walk(root);
  return found;
}

/** True when something (a file, a folder, a link, even a dangling one) is at `path`. */
export function pathExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
