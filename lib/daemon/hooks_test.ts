import { assert, assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir, waitFor } from "../../testing/helpers.ts";
import {
  hookCommands,
  type HookLog,
  type HookPayload,
  type HookResult,
  type HookRun,
  HookRunner,
  parseHookTimeout,
  passProblem,
} from "./hooks.ts";
import { emptySummary, type PassSummary } from "../engine/summary.ts";
import { UsageError } from "../base/errors.ts";

const summary = (over: Partial<PassSummary> = {}): PassSummary => ({
  ...emptySummary(1, "scan"),
  ...over,
});

/** A logger that keeps its lines, with the values put in. */
function capture(): { log: HookLog; lines: string[] } {
  const lines: string[] = [];
  const render = (level: string) => (message: string, props: Record<string, unknown>) =>
    lines.push(`${level} ${message.replace(/\{(\w+)\}/g, (_, k: string) => String(props[k]))}`);
  return { log: { warn: render("WARN"), info: render("INFO") }, lines };
}

const ROOTS = { source: "/data/src", dest: "/mnt/dest" };

Deno.test("HookRunner runs sh -c with the summary as JSON on stdin and BACKUP_* variables", async () => {
  const t = await tempDir();
  try {
    const { log, lines } = capture();
    const runner = new HookRunner({
      onPass: `cat > ${t.path}/in.json; ` +
        `printf '%s\\n' "$BACKUP_EVENT" "$BACKUP_SOURCE" "$BACKUP_DEST" "$BACKUP_JOB" > ${t.path}/env`,
      timeoutMs: 10_000,
    }, { ...ROOTS, job: "docs", log, now: () => Date.UTC(2026, 10, 22, 14, 32, 15) });
    runner.afterPass(
      summary({ pass: 3, copied: 2, bytes: 10, deleted: 1, retryDirs: new Set(["b", "a"]) }),
    );
    await runner.close();
    const got = JSON.parse(Deno.readTextFileSync(`${t.path}/in.json`)) as HookPayload;
    assertEquals(got.event, "pass");
    assertEquals(got.source, "/data/src");
    assertEquals(got.dest, "/mnt/dest");
    assertEquals(got.time, "2026-11-22T14:32:15.000Z");
    assertEquals(got.job, "docs");
    assertEquals(got.reason, null);
    assertEquals([got.pass, got.copied, got.bytes, got.deleted, got.failed], [3, 2, 10, 1, 0]);
    assertEquals(got.retryDirs, ["a", "b"]);
    assertEquals(got.skipped, null);
    assertEquals(
      Deno.readTextFileSync(`${t.path}/env`),
      "pass\n/data/src\n/mnt/dest\ndocs\n",
    );
    assertEquals(lines.length, 1);
    assertIncludes(lines[0]!, "INFO HOOK --on-pass: exit 0");
  } finally {
    await t.cleanup();
  }
});

Deno.test("HookRunner kills a hook past its timeout, with what it started", async () => {
  const { log, lines } = capture();
  const runner = new HookRunner({ onPass: "sleep 100 & sleep 100", timeoutMs: 300 }, {
    ...ROOTS,
    log,
  });
  const started = performance.now();
  runner.afterPass(summary());
  await runner.close();
  const took = performance.now() - started;
  assert(took < 3_000, `killed after ${took} ms`);
  assertEquals(lines, ["WARN HOOK --on-pass TIMED OUT after 0.3 s and was killed"]);
});

Deno.test("HookRunner follows SIGTERM with SIGKILL for a hook that ignores it", async () => {
  const { log, lines } = capture();
  const runner = new HookRunner({
    onError: "trap '' TERM; echo stubborn; sleep 100",
    timeoutMs: 200,
  }, {
    ...ROOTS,
    log,
    killGraceMs: 200,
  });
  const started = performance.now();
  runner.afterError(new Error("disk gone"));
  await runner.close();
  assert(performance.now() - started < 3_000);
  assertEquals(lines, [
    "WARN HOOK --on-error TIMED OUT after 0.2 s and was killed - stubborn",
  ]);
});

Deno.test("HookRunner kills what a timed-out hook started even when it ignores SIGTERM", async () => {
  const t = await tempDir();
  try {
    const { log } = capture();
    const pidFile = `${t.path}/pid`;
    const runner = new HookRunner({
      onPass: `sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 100' & sleep 100`,
      timeoutMs: 300,
    }, { ...ROOTS, log, killGraceMs: 60_000 });
    runner.afterPass(summary());
    await runner.close();
    const pid = Deno.readTextFileSync(pidFile).trim();
    const gone = async () =>
      !(await new Deno.Command("kill", { args: ["-0", pid], stderr: "null" }).output()).success;
    await waitFor(gone, { timeoutMs: 5_000, what: `process ${pid} to be killed with its hook` });
  } finally {
    await t.cleanup();
  }
});

Deno.test("HookRunner logs a non-zero exit and a missing command as warnings, with their output", async () => {
  const { log, lines } = capture();
  const runner = new HookRunner({
    onPass: "echo 'mail: no route' >&2; exit 3",
    onError: "no-such-command-for-backup-hooks",
    timeoutMs: 10_000,
  }, { ...ROOTS, log });
  runner.afterPass(summary({ failed: 1 }));
  await runner.close();
  assertEquals(lines.length, 2);
  // The error hook runs first (an alert is never queued behind a pass hook).
  assertIncludes(lines[0]!, "WARN HOOK --on-error FAILED: exit 127 - ");
  assertIncludes(lines[0]!, "not found");
  assertEquals(lines[1], "WARN HOOK --on-pass FAILED: exit 3 - mail: no route");
});

Deno.test("HookRunner: a hook that does not read its input is fine; one that cannot start is a warning", async () => {
  const { log, lines } = capture();
  const big = new Set(Array.from({ length: 20_000 }, (_, i) => `folder-${i}`)); // > a pipe buffer
  const ok = new HookRunner({ onPass: "exit 0", timeoutMs: 10_000 }, { ...ROOTS, log });
  ok.afterPass(summary({ retryDirs: big }));
  await ok.close();
  assertEquals(lines.length, 1);
  assertIncludes(lines[0]!, "INFO HOOK --on-pass: exit 0 in ");
  lines.length = 0;
  const denied = new HookRunner({ onPass: "true", timeoutMs: 10_000 }, {
    ...ROOTS,
    log,
    spawn: () => Promise.reject(new Deno.errors.NotCapable("Requires run access")),
  });
  denied.afterPass(summary());
  await denied.close();
  assertEquals(lines, [
    "WARN HOOK --on-pass NOT RUN: running programs is not allowed (give deno --allow-run); the backup goes on",
  ]);
});

/** A spawner whose runs finish when the test says, recording each payload. */
function gated(): {
  spawn: (run: HookRun) => Promise<HookResult>;
  runs: HookPayload[];
  release(): void;
} {
  const runs: HookPayload[] = [];
  let open: (() => void)[] = [];
  return {
    runs,
    spawn: (run) => {
      runs.push(JSON.parse(run.input));
      return new Promise((resolve) =>
        open.push(() =>
          resolve({ code: 0, signal: null, timedOut: false, output: "", inputError: null })
        )
      );
    },
    release: () => {
      const waiting = open;
      open = [];
      for (const f of waiting) f();
    },
  };
}

Deno.test("HookRunner coalesces: while a hook runs, only the latest summary waits, and an error is kept apart", async () => {
  const g = gated();
  const { log } = capture();
  const runner = new HookRunner({ onPass: "p", onError: "e", timeoutMs: 1_000 }, {
    ...ROOTS,
    log,
    spawn: g.spawn,
  });
  runner.afterPass(summary({ pass: 1 })); // starts at once; afterPass does not wait for it
  assertEquals(g.runs.map((r) => [r.event, r.pass]), [["pass", 1]]);
  runner.afterPass(summary({ pass: 2, failed: 1 }));
  runner.afterPass(summary({ pass: 3 }));
  runner.afterPass(summary({ pass: 4 }));
  const closed = runner.close();
  for (let i = 0; i < 10 && g.runs.length < 3; i++) {
    g.release();
    await new Promise((r) => setTimeout(r, 0));
  }
  g.release();
  await closed;
  assertEquals(g.runs.map((r) => [r.event, r.pass, r.reason]), [
    ["pass", 1, null],
    // The error of pass 2 is neither hidden by clean passes nor held back behind them.
    ["error", 2, "1 operation failed"],
    ["pass", 4, null], // 2 and 3 replaced while 1 ran
  ]);
});

Deno.test("HookRunner fires --on-error only for failures, held deletions, skipped or failed passes", async () => {
  const g = gated();
  const { log } = capture();
  const runner = new HookRunner({ onError: "e", timeoutMs: 1_000 }, {
    ...ROOTS,
    log,
    spawn: g.spawn,
  });
  const settle = async () => {
    const closed = runner.close();
    g.release();
    await closed;
  };
  runner.afterPass(summary({ copied: 5, unreadable: 0 }));
  await settle();
  assertEquals(g.runs, []);
  runner.afterPass(summary({ skipped: "source guard: the source is empty" }));
  await settle();
  runner.afterPass(summary({ held: 150 }));
  await settle();
  runner.afterError(new Error("scan exploded"));
  await settle();
  assertEquals(g.runs.map((r) => r.reason), [
    "skipped: source guard: the source is empty",
    "150 deletions held by the mass-delete guard",
    "pass failed: scan exploded",
  ]);
  assertEquals(g.runs[2]!.copied, undefined, "a failed pass has no counts");
  assertEquals(g.runs[2]!.event, "error");
});

Deno.test("passProblem() names every problem of a pass, or null", () => {
  assertEquals(passProblem(summary()), null);
  assertEquals(
    passProblem(summary({ failed: 2, held: 3, skipped: "source missing" })),
    "skipped: source missing; 2 operations failed; 3 deletions held by the mass-delete guard",
  );
  // Skipped names make --once exit 6, so --on-error fires for them too.
  assertEquals(passProblem(summary({ badNames: 2 })), "2 names skipped (not valid UTF-8)");
});

Deno.test("parseHookTimeout() and hookCommands() accept seconds above 0 and refuse the rest", () => {
  assertEquals(parseHookTimeout(undefined), 60_000);
  assertEquals(parseHookTimeout("1.5"), 1_500);
  assertEquals(parseHookTimeout(2), 2_000);
  assertEquals(parseHookTimeout("2147483"), 2_147_483_000);
  // A longer timer would fire at once and kill every hook as soon as it starts.
  assertThrows(() => parseHookTimeout("2147484"), UsageError, "at most 2147483 seconds");
  for (const bad of ["0", "-1", "abc", "", "1e3"]) {
    assertThrows(() => parseHookTimeout(bad), UsageError, "--hook-timeout");
  }
  assertThrows(() => parseHookTimeout(0, "hook_timeout"), UsageError, "hook_timeout");
  assertEquals(
    hookCommands({ onPass: "true", onError: undefined, timeout: "5" }),
    { onPass: "true", timeoutMs: 5_000 },
  );
  assertEquals(hookCommands({ onPass: undefined, onError: undefined, timeout: undefined }), {
    timeoutMs: 60_000,
  });
  assertThrows(
    () => hookCommands({ onPass: undefined, onError: undefined, timeout: "5" }),
    UsageError,
    "--hook-timeout goes with",
  );
  assertThrows(
    () => hookCommands({ onPass: " ", onError: undefined, timeout: undefined }),
    UsageError,
    "--on-pass needs a command",
  );
});
