/**
 * Black-box tests of `--on-pass`, `--on-error` and `--hook-timeout`.
 */

import { assert, assertEquals, assertIncludes, assertMatch } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";

/** The JSON a `cat > FILE` hook wrote, or null when the hook did not run. */
function hookInput(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Deno.readTextFileSync(file));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** `backup --src SRC --dest DEST --once` with hooks that write their input to DIR/pass.json and DIR/error.json. */
function onceWithBothHooks(src: string, dest: string, dir: string) {
  return runCli([
    ...["--src", src, "--dest", dest, "--once"],
    ...["--on-pass", `cat > '${dir}/pass.json'`, "--on-error", `cat > '${dir}/error.json'`],
  ]);
}

/** Whether this machine can make a folder unwritable for the test's user (chmod, or chattr as root). */
async function canLockFolders(): Promise<boolean> {
  if (Deno.uid() !== 0) return true;
  const t = await tempDir();
  try {
    const set = await new Deno.Command("chattr", { args: ["+i", t.path] }).output().catch(() =>
      null
    );
    if (!set?.success) return false;
    await new Deno.Command("chattr", { args: ["-i", t.path] }).output();
    return true;
  } finally {
    await t.cleanup();
  }
}

/** Makes a folder unwritable (root ignores modes, so an immutable attribute there). */
async function lockFolder(path: string, locked: boolean): Promise<void> {
  if (Deno.uid() === 0) {
    const r = await new Deno.Command("chattr", { args: [locked ? "+i" : "-i", path] }).output();
    assert(r.success, `chattr on ${path}`);
  } else {
    Deno.chmodSync(path, locked ? 0o555 : 0o755);
  }
}

Deno.test("hooks: --once --on-pass gets the pass summary as JSON; --on-error stays silent on a clean pass", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "alpha");
    put(`${src}/d/b.txt`, "bravo");
    put(`${src}/d/c.txt`, "charlie");
    const r = await onceWithBothHooks(src, dest, t.path);
    assertEquals(r.code, 0, r.stderr);
    const got = hookInput(`${t.path}/pass.json`);
    assert(got, "the --on-pass hook ran before the process exited");
    assertEquals(got.event, "pass");
    assertEquals(got.source, Deno.realPathSync(src));
    assertEquals(got.dest, Deno.realPathSync(dest));
    assertEquals([got.copied, got.bytes, got.dirs, got.failed, got.held], [3, 17, 1, 0, 0]);
    assertEquals([got.skipped, got.reason, got.job, got.trigger], [null, null, null, "scan"]);
    assert(typeof got.time === "string" && !Number.isNaN(Date.parse(got.time)), "ISO time");
    assertEquals(hookInput(`${t.path}/error.json`), null, "no --on-error on a clean pass");
  } finally {
    await t.cleanup();
  }
});

Deno.test("hooks: --on-error runs when the source guard vetoes a pass (emptied source)", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "alpha");
    assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
    Deno.removeSync(`${src}/a.txt`);
    const r = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--once",
      "--on-error",
      `cat > '${t.path}/error.json'; echo "$BACKUP_EVENT $BACKUP_DEST" > '${t.path}/env'`,
    ]);
    assertEquals(r.code, 6, r.stderr);
    const got = hookInput(`${t.path}/error.json`);
    assert(got, "the --on-error hook ran");
    assertEquals(got.event, "error");
    assertIncludes(String(got.skipped), "source guard");
    assertIncludes(String(got.reason), "skipped: source guard");
    assertEquals(
      Deno.readTextFileSync(`${t.path}/env`),
      `error ${Deno.realPathSync(dest)}\n`,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("hooks: --on-error runs for held deletions", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 5; i++) put(`${src}/f${i}.txt`, `file ${i}`);
    assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
    for (let i = 0; i < 3; i++) Deno.removeSync(`${src}/f${i}.txt`);
    const r = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--once",
      "--max-delete",
      "1",
      "--max-delete-percent",
      "10",
      "--on-error",
      `cat > '${t.path}/error.json'`,
    ]);
    assertEquals(r.code, 6, r.stderr);
    const got = hookInput(`${t.path}/error.json`);
    assert(got, "the --on-error hook ran");
    assertEquals([got.held, got.deleted], [3, 0]);
    assertIncludes(String(got.reason), "3 deletions held");
  } finally {
    await t.cleanup();
  }
});

Deno.test({
  name: "hooks: --on-error runs when a file cannot be backed up, and --on-pass too",
  ignore: !(await canLockFolders()),
  fn: async () => {
    const t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    let locked = false;
    try {
      put(`${src}/d/a.txt`, "alpha");
      assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
      put(`${src}/d/new.txt`, "cannot land");
      await lockFolder(`${dest}/d`, true);
      locked = true;
      const r = await onceWithBothHooks(src, dest, t.path);
      assertEquals(r.code, 6, r.stderr);
      const err = hookInput(`${t.path}/error.json`);
      const pass = hookInput(`${t.path}/pass.json`);
      assert(err && pass, "both hooks ran");
      assertEquals(err.event, "error");
      assert(Number(err.failed) >= 1, `failed: ${err.failed}`);
      assertMatch(String(err.reason), /\d+ operations? failed/);
      assertEquals([pass.event, pass.failed], ["pass", err.failed]);
    } finally {
      if (locked) await lockFolder(`${dest}/d`, false);
      await t.cleanup();
    }
  },
});

Deno.test("hooks: a hanging hook is killed at --hook-timeout and --once still exits 0", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/a.txt`, "alpha");
    const started = Date.now();
    const r = await runCli([
      "--src",
      `${t.path}/src`,
      "--dest",
      `${t.path}/dest`,
      "--once",
      "--on-pass",
      "sleep 100",
      "--hook-timeout",
      "1",
    ]);
    const took = Date.now() - started;
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(r.stderr, "HOOK --on-pass TIMED OUT after 1 s and was killed");
    assert(took < 20_000, `took ${took} ms`);
    assertEquals(Deno.readTextFileSync(`${t.path}/dest/a.txt`), "alpha");
  } finally {
    await t.cleanup();
  }
});

Deno.test("hooks: a failing hook is a warning; without --allow-run it is one warning and the backup goes on", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/a.txt`, "alpha");
    const args = ["--src", `${t.path}/src`, "--dest", `${t.path}/dest`, "--once"];
    const failing = await runCli([...args, "--on-pass", "echo 'no mail server' >&2; exit 7"]);
    assertEquals(failing.code, 0, failing.stderr);
    assertIncludes(failing.stderr, "WARNING: HOOK --on-pass FAILED: exit 7 - no mail server");
    const denied = await runCli([...args, "--on-pass", "true"], {
      perms: ["--allow-read", "--allow-write", "--allow-env=BACKUP_DEBUG"],
    });
    assertEquals(denied.code, 0, denied.stderr);
    const warnings = denied.stderr.split("\n").filter((l) => l.includes("HOOK"));
    assertEquals(warnings.length, 1, denied.stderr);
    assertIncludes(
      warnings[0]!,
      "NOT RUN: running programs is not allowed (give deno --allow-run)",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("hooks: the daemon runs --on-pass after live (watcher) passes too, and waits for it at SIGTERM", async () => {
  const t = await tempDir();
  put(`${t.path}/src/first.txt`, "1");
  const d = startDaemon([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--interval",
    "600",
    "--on-pass",
    `cat >> '${t.path}/passes.jsonl'; sleep 1; echo done >> '${t.path}/passes.jsonl'`,
  ]);
  try {
    const lines = () => {
      try {
        return Deno.readTextFileSync(`${t.path}/passes.jsonl`).split("\n").filter((l) => l);
      } catch {
        return [];
      }
    };
    // The watcher may be up before the first pass has scanned: a file put then is the first
    // pass's, not a live change. Wait for both.
    await waitFor(() => d.output().includes("WATCHING") && d.output().includes("PASS 1 "), {
      what: "the watcher and the first pass",
    });
    put(`${t.path}/src/live.txt`, "live");
    await waitFor(
      () => lines().some((l) => l.startsWith("{") && JSON.parse(l).trigger === "watch"),
      { what: "an --on-pass run for a watch pass" },
    );
    const watched = lines().map((l) => (l.startsWith("{") ? JSON.parse(l) : l)).find((p) =>
      typeof p === "object" && p.trigger === "watch"
    );
    assertEquals([watched.event, watched.copied], ["pass", 1]);
    assertEquals(await d.stop(), 0);
    const all = lines();
    assertEquals(all.at(-1), "done", "the hook running at SIGTERM finished before exit");
  } finally {
    await d.stop();
    await t.cleanup();
  }
});

Deno.test("hooks: bad hook flags exit 2 with a one-line message", async () => {
  const r = await runCli([
    "--src",
    "/tmp",
    "--dest",
    "/x",
    "--on-pass",
    "true",
    "--hook-timeout",
    "0",
  ]);
  assertEquals(r.code, 2);
  assertIncludes(r.stderr, "--hook-timeout must be a number of seconds above 0");
  const alone = await runCli(["--src", "/tmp", "--dest", "/x", "--hook-timeout", "5"]);
  assertEquals(alone.code, 2);
  assertIncludes(alone.stderr, "--hook-timeout goes with --on-pass or --on-error");
});
