/**
 * Black-box tests of excludes: `--exclude`, `--exclude-from`, `.backupignore`
 * files, `--delete-excluded`, and live (watch) passes.
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, snapshot, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Paths in a tree (without the reserved folder and the source marker), sorted. */
function paths(root: string): string[] {
  return [...snapshot(root).keys()].sort();
}

Deno.test("excludes: --exclude, --exclude-from and .backupignore files leave out what they match", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/.backupignore`, "# build output\nbuild/\n*.tmp\n");
    put(`${src}/docs/.backupignore`, "!keep.tmp\n/local.txt\n");
    put(`${src}/docs/a.txt`, "a");
    put(`${src}/docs/keep.tmp`, "re-included");
    put(`${src}/docs/x.tmp`, "x");
    put(`${src}/docs/local.txt`, "only in docs");
    put(`${src}/docs/sub/local.txt`, "anchored rule: not here");
    put(`${src}/build/out.bin`, "b");
    put(`${src}/notes/build`, "a file named build: the folder-only rule does not match");
    put(`${src}/big.iso`, "iso");
    put(`${src}/cache/c.dat`, "c");
    put(`${t.path}/rules.txt`, "# comment\n\ncache\n");
    const r = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--once",
      "--exclude",
      "*.iso",
      "--exclude-from",
      `${t.path}/rules.txt`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(paths(dest), [
      ".backupignore",
      "docs",
      "docs/.backupignore",
      "docs/a.txt",
      "docs/keep.tmp",
      "docs/sub",
      "docs/sub/local.txt",
      "notes",
      "notes/build",
    ]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("excludes: a missing --exclude-from file is a one-line usage error (exit 2) naming it", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/a.txt`, "a");
    const r = await runCli([
      "--src",
      `${t.path}/src`,
      "--dest",
      `${t.path}/dest`,
      "--once",
      "--exclude-from",
      `${t.path}/missing-rules.txt`,
    ]);
    assertEquals(r.code, 2);
    assertIncludes(r.stderr, "missing-rules.txt");
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertEquals(Deno.statSync(t.path).isDirectory && paths(t.path), ["src", "src/a.txt"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("excludes: excluded copies in the destination are kept, --delete-excluded removes them, dropping a rule copies them", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    put(`${src}/old/x.log`, "x");
    put(`${src}/logs/y.log`, "y");
    const once = (...extra: string[]) => runCli(["--src", src, "--dest", dest, "--once", ...extra]);
    assertEquals((await once()).code, 0);
    assertEquals(paths(dest), ["a.txt", "logs", "logs/y.log", "old", "old/x.log"]);

    // A new rule: the copies made before it are kept, and a deleted source folder
    // holding only kept entries is kept too (deleting it would fail).
    put(`${src}/.backupignore`, "*.log\n");
    Deno.removeSync(`${src}/old`, { recursive: true });
    put(`${src}/new.log`, "never copied");
    const kept = await once();
    assertEquals(kept.code, 0, kept.stderr);
    assertEquals(paths(dest), [".backupignore", "a.txt", "logs", "logs/y.log", "old", "old/x.log"]);
    const again = await once();
    assertEquals(again.code, 0, again.stderr);
    assertEquals(again.stderr.includes("FAILED"), false, again.stderr);

    // --delete-excluded: excluded entries are strays like any other.
    const del = await once("--delete-excluded");
    assertEquals(del.code, 0, del.stderr);
    assertEquals(paths(dest), [".backupignore", "a.txt", "logs"]);

    // Dropping the rule brings them back on the next pass.
    Deno.removeSync(`${src}/.backupignore`);
    const back = await once();
    assertEquals(back.code, 0, back.stderr);
    assertEquals(paths(dest), ["a.txt", "logs", "logs/y.log", "new.log"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("excludes: --delete-excluded still goes through the mass-delete guard", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 12; i++) put(`${src}/f${i}.dat`, `d${i}`);
    put(`${src}/a.txt`, "a");
    const args = ["--src", src, "--dest", dest, "--once", "--max-delete", "5"];
    assertEquals((await runCli(args)).code, 0);
    const held = await runCli([...args, "--exclude", "*.dat", "--delete-excluded"]);
    assertEquals(held.code, 6);
    assertIncludes(held.stderr, "MASS DELETE HELD: this pass would delete 12 of");
    assertEquals(paths(dest).length, 13, "nothing deleted");
    const ok = await runCli([
      ...args,
      "--exclude",
      "*.dat",
      "--delete-excluded",
      "--confirm-deletes",
    ]);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(paths(dest), ["a.txt"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("excludes: live (watch) passes never copy excluded files, and a changed .backupignore applies at once", async () => {
  const t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/.backupignore`, "*.tmp\ncache/\n");
  put(`${src}/a.txt`, "a");
  const d = startDaemon(["--src", src, "--dest", dest, "--interval", "3600", "--exclude", "*.swp"]);
  try {
    await waitFor(() => d.output().includes("WATCHING"), { what: "watcher start" });
    put(`${src}/x.tmp`, "tmp");
    put(`${src}/y.swp`, "swap");
    put(`${src}/cache/deep/c.bin`, "cache");
    put(`${src}/sub/z.tmp`, "tmp");
    put(`${src}/sub/b.txt`, "b");
    put(`${src}/c.txt`, "c");
    await waitFor(() => paths(dest).includes("sub/b.txt") && paths(dest).includes("c.txt"), {
      what: "the included files copied by a live pass",
    });
    // The rule file changes: *.tmp is no longer excluded, so the next pass copies them.
    put(`${src}/.backupignore`, "cache/\n");
    await waitFor(() => paths(dest).includes("sub/z.tmp") && paths(dest).includes("x.tmp"), {
      what: "files a changed rule no longer excludes",
    });
    const now = paths(dest);
    assert(!now.includes("y.swp"), now.join(", "));
    assert(!now.includes("cache"), now.join(", "));
    // The full pass the rule change asked for did not blame the watcher for what it copied.
    assert(!d.output().includes("missed by the watcher"), d.output());
  } finally {
    const code = await d.stop("SIGTERM");
    await t.cleanup();
    assertEquals(code, 0, d.output());
  }
});

Deno.test("excludes: an edited --exclude-from file applies from the next pass; an unreadable one keeps the last rules", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const rules = `${t.path}/rules.txt`;
  put(rules, "*.log\n*.tmp\n");
  put(`${src}/a.log`, "log");
  put(`${src}/b.txt`, "b");
  const d = startDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "0.3",
    "--no-watch",
    "--exclude-from",
    rules,
  ]);
  try {
    await waitFor(() => paths(dest).includes("b.txt"), { what: "the first pass" });
    assert(!paths(dest).includes("a.log"));
    put(rules, "*.tmp\n");
    await waitFor(() => paths(dest).includes("a.log"), { what: "a.log once its rule is gone" });
    assertIncludes(d.output(), "EXCLUDES CHANGED: 1 rule(s) now");
    put(`${src}/c.tmp`, "tmp");
    Deno.removeSync(rules);
    await waitFor(
      () => /EXCLUDES: cannot read --exclude-from .*; the last rules stay/.test(d.output()),
      {
        what: "the warning",
      },
    );
    put(`${src}/d.txt`, "d");
    await waitFor(() => paths(dest).includes("d.txt"), { what: "a pass after the warning" });
    assert(!paths(dest).includes("c.tmp"), "*.tmp is still excluded");
  } finally {
    assertEquals(await d.stop("SIGTERM"), 0, d.output());
  }
});

Deno.test("excludes: a kept excluded file stays kept when its folder is renamed", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/d/a.txt`, "a");
  put(`${src}/d/old.tmp`, "kept after the rule");
  put(`${src}/b/y.txt`, "kept after the rule");
  const once = ["--src", src, "--dest", dest, "--once"];
  assertEquals((await runCli(once)).code, 0);
  // The rules come after the backup (so the copies are kept), then the folders are renamed:
  // one rule is global, the other lives in the folder that moves.
  put(`${src}/.backupignore`, "*.tmp\n");
  assertEquals((await runCli(once)).code, 0);
  put(`${src}/b/.backupignore`, "y.txt\n");
  Deno.renameSync(`${src}/d`, `${src}/e`);
  Deno.renameSync(`${src}/b`, `${src}/a`);
  const r = await runCli(once);
  assertEquals(r.code, 0, r.stderr);
  const now = paths(dest);
  assert(now.includes("e/old.tmp"), now.join(", "));
  assert(now.includes("a/y.txt"), now.join(", "));
  assert(!r.stdout.includes("deleted") || /0 deleted/.test(r.stdout), r.stdout);
});

Deno.test("excludes: a kept folder that the source replaces with a file or symlink gives way (its files become versions)", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/build/out.bin`, "built");
  put(`${src}/proj/old.log`, "log");
  put(`${src}/tools/run.sh`, "run");
  const once = ["--src", src, "--dest", dest, "--once", "--keep-versions", "10"];
  assertEquals((await runCli(once)).code, 0);
  put(`${src}/.backupignore`, "build/\n*.log\ntools/\n");
  assertEquals((await runCli(once)).code, 0); // all three are kept
  for (const d of ["build", "proj", "tools"]) Deno.removeSync(`${src}/${d}`, { recursive: true });
  put(`${src}/build`, "a file now"); // "build/" excludes folders only
  put(`${src}/proj`, "a file too");
  Deno.symlinkSync("proj", `${src}/tools`); // "tools/" does not match a symlink either
  const r = await runCli(once);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/build`), "a file now");
  assertEquals(Deno.readTextFileSync(`${dest}/proj`), "a file too");
  assertEquals(Deno.readLinkSync(`${dest}/tools`), "proj");
  const again = await runCli(once);
  assertEquals(again.code, 0, again.stdout + again.stderr);
  const versions = [...snapshot(`${dest}/${RESERVED_DIR}/versions`).keys()].sort();
  for (const f of ["build/out.bin", "proj/old.log", "tools/run.sh"]) {
    assert(versions.some((v) => v.startsWith(`${f}~`)), `${f} kept as a version: ${versions}`);
  }
});

Deno.test("excludes: a source whose every entry is excluded is not taken for an unmounted one", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a.txt`, "a");
  put(`${src}/sub/b.txt`, "b");
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(first.code, 0, first.stderr);
  const all = await runCli(["--src", src, "--dest", dest, "--once", "--exclude", "*"]);
  assertEquals(all.code, 0, all.stderr);
  assert(!all.stderr.includes("SOURCE GUARD"), all.stderr);
  assertEquals(paths(dest), ["a.txt", "sub", "sub/b.txt"], "the excluded copies are kept");
  // The guard still stops a source that really is empty.
  Deno.removeSync(`${src}/a.txt`);
  Deno.removeSync(`${src}/sub`, { recursive: true });
  const empty = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(empty.code, 6);
  assertIncludes(empty.stderr, "SOURCE GUARD: the source is empty");
  assertEquals(paths(dest), ["a.txt", "sub", "sub/b.txt"]);
});

Deno.test("excludes: a deeper .backupignore or --exclude that re-includes a folder re-includes what it holds, as git does", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  put(`${src}/.backupignore`, "build/\nout/\n");
  put(`${src}/sub/.backupignore`, "!build/\n");
  put(`${src}/sub/build/f`, "kept: sub re-includes its build/");
  put(`${src}/sub/build/deep/g`, "kept too");
  put(`${src}/build/x`, "excluded");
  put(`${src}/out/o`, "kept only with --exclude '!out/'");
  const first = await runCli(["--src", src, "--dest", `${t.path}/d1`, "--once"]);
  assertEquals(first.code, 0, first.stderr);
  assertEquals(paths(`${t.path}/d1`), [
    ".backupignore",
    "sub",
    "sub/.backupignore",
    "sub/build",
    "sub/build/deep",
    "sub/build/deep/g",
    "sub/build/f",
  ]);
  const cli = await runCli([
    "--src",
    src,
    "--dest",
    `${t.path}/d2`,
    "--once",
    "--exclude",
    "!out/",
  ]);
  assertEquals(cli.code, 0, cli.stderr);
  assertEquals(paths(`${t.path}/d2`), [
    ".backupignore",
    "out",
    "out/o",
    "sub",
    "sub/.backupignore",
    "sub/build",
    "sub/build/deep",
    "sub/build/deep/g",
    "sub/build/f",
  ]);
});
