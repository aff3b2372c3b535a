/**
 * Black-box tests of `--dry-run`: it prints the plan of one full pass and
 * changes nothing anywhere (destination, journal, lock, log, source marker).
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, snapshot, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";

Deno.test("dry run: prints the plan of a pass (copy, delete, move, mkdir, symlink, meta) and changes nothing", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/docs/a.txt`, "a".repeat(12_300));
    put(`${src}/gone.txt`, "to be deleted");
    put(`${src}/old-name.txt`, "to be moved");
    put(`${src}/mode.txt`, "mode");
    put(`${src}/same.txt`, "same");
    const first = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(first.code, 0, first.stderr);
    // A second pass settles the racy re-hashes, so the plan below holds only the changes.
    Deno.utimeSync(`${src}/same.txt`, new Date(1e12), new Date(1e12));
    assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);

    put(`${src}/new/b.txt`, "bb");
    Deno.removeSync(`${src}/gone.txt`);
    Deno.renameSync(`${src}/old-name.txt`, `${src}/new-name.txt`);
    Deno.chmodSync(`${src}/mode.txt`, 0o600);
    Deno.symlinkSync("docs/a.txt", `${src}/link`);
    const before = { src: snapshot(src, []), dest: snapshot(dest, []) };

    const r = await runCli(["--src", src, "--dest", dest, "--dry-run"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assertIncludes(lines[0]!, "dry run");
    assert(lines.some((l) => /^delete +13 B {2}gone\.txt$/.test(l)), r.stdout);
    assert(lines.some((l) => /^move +11 B {2}old-name\.txt -> new-name\.txt$/.test(l)), r.stdout);
    assert(lines.some((l) => /^mkdir +new\/$/.test(l)), r.stdout);
    assert(lines.some((l) => /^copy +2 B {2}new\/b\.txt$/.test(l)), r.stdout);
    assert(lines.some((l) => /^symlink +link -> docs\/a\.txt$/.test(l)), r.stdout);
    assert(lines.some((l) => /^meta +4 B {2}mode\.txt$/.test(l)), r.stdout);
    assert(!r.stdout.includes("same.txt"), r.stdout);
    assertIncludes(
      lines.at(-1)!,
      "1 to copy (2 B), 1 to delete, 1 to move, 1 folder to create, 1 symlink to create",
    );
    assertEquals(r.stderr, "");

    assertEquals(snapshot(src, []), before.src, "the source did not change");
    assertEquals(snapshot(dest, []), before.dest, "the destination and its .backup did not change");
  } finally {
    await t.cleanup();
  }
});

Deno.test("dry run: without --dest, or with a --dest that does not exist, everything would be copied and nothing is created", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    put(`${src}/docs/a.txt`, "a".repeat(12_300));
    put(`${src}/b.txt`, "b");
    const before = snapshot(t.path, []);
    for (const extra of [[], ["--dest", `${t.path}/dest`]]) {
      const r = await runCli(["--src", src, "--dry-run", ...extra]);
      assertEquals(r.code, 0, r.stderr);
      assert(/^copy +12\.3 kB {2}docs\/a\.txt$/m.test(r.stdout), r.stdout);
      assert(/^copy +1 B {2}b\.txt$/m.test(r.stdout), r.stdout);
      assertIncludes(r.stdout, "2 to copy (12.3 kB)");
      assertEquals(
        snapshot(t.path, []),
        before,
        "nothing created: no dest, no marker in the source",
      );
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("dry run: --json prints one JSON object per operation and a summary, and applies the excludes", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "aaa");
    put(`${src}/x.log`, "log");
    put(`${src}/cache/c.bin`, "c");
    put(`${src}/.backupignore`, "cache/\n");
    const before = snapshot(t.path, []);
    const r = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--dry-run",
      "--json",
      "--exclude",
      "*.log",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const objs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const plan = objs.filter((o) => o.type === "plan");
    assertEquals(plan.map((o) => `${o.op} ${o.path} ${o.size}`).sort(), [
      "copy .backupignore 7",
      "copy a.txt 3",
    ]);
    const summary = objs.at(-1);
    assertEquals(summary.type, "summary");
    assertEquals(summary.operations, 2);
    assertEquals(summary.bytes, 10);
    assertEquals(snapshot(t.path, []), before);
  } finally {
    await t.cleanup();
  }
});

Deno.test("dry run: says when the source guard would skip the pass, in text and in --json", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a.txt`, "a");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  Deno.removeSync(`${src}/.backup-source`);
  put(`${src}/g.txt`, "g");
  const text = await runCli(["--src", src, "--dest", dest, "--dry-run"]);
  assertEquals(text.code, 0, text.stderr);
  assertIncludes(text.stdout, "note: the source guard would skip this pass");
  assertIncludes(text.stdout, "lost its marker");
  const json = await runCli(["--src", src, "--dest", dest, "--dry-run", "--json"]);
  const summary = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
  assertIncludes(summary.sourceGuard, "lost its marker");
  // The real pass agrees.
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 6);
  // With the guard reset by --new-source, there is nothing to say.
  const reset = await runCli(["--src", src, "--dest", dest, "--dry-run", "--new-source"]);
  assert(!reset.stdout.includes("source guard"), reset.stdout);
});

Deno.test("dry run: judges deletions over a running daemon's window, as its next pass would; without a daemon, per pass as a new run does", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 10; i++) put(`${src}/f${i}.txt`, `${i}`);
  const limits = ["--max-delete", "3", "--max-delete-percent", "30"];
  const flags = ["--interval", "1", "--no-watch", ...limits];
  const daemon = startDaemon(["--src", src, "--dest", dest, ...flags]);
  // One more deletion the daemon does not plan: an excluded copy, deleted with --delete-excluded.
  const dry = [
    "--src",
    src,
    "--dest",
    dest,
    "--dry-run",
    ...limits,
    "--exclude",
    "f9.txt",
    "--delete-excluded",
  ];
  try {
    await waitFor(() => snapshot(dest).has("f9.txt"), {
      timeoutMs: 30_000,
      what: "the first copy",
    });
    // 3 of 10: within the limits, so the daemon deletes them; they stay in its window.
    for (const n of [0, 1, 2]) Deno.removeSync(`${src}/f${n}.txt`);
    await waitFor(() => !snapshot(dest).has("f2.txt"), {
      timeoutMs: 20_000,
      what: "the deletions",
    });
    const r = await runCli(dry);
    assertEquals(r.code, 0, r.stderr);
    assert(/^delete +1 B {2}f9\.txt$/m.test(r.stdout), r.stdout);
    assertIncludes(r.stdout, "note: the mass-delete guard would hold these 1 deletions");
    assertIncludes(r.stdout, "counting the 3 deletions it made in the last 60 min");
    assert(!r.stdout.includes("MASS DELETE"), "the daemon itself was not told anything");
    const json = await runCli([...dry, "--json"]);
    const summary = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
    assertEquals([summary.held, summary.window?.deleted, summary.window?.baseline], [1, 3, 10]);
  } finally {
    assertEquals(await daemon.stop(), 0);
  }
  // No daemon: a new run starts with an empty window, and judges this pass alone; so does the dry run.
  const alone = await runCli(dry);
  assertEquals(alone.code, 0, alone.stderr);
  assert(!alone.stdout.includes("would hold"), alone.stdout);
  const json = JSON.parse((await runCli([...dry, "--json"])).stdout.trim().split("\n").at(-1)!);
  assertEquals([json.held, json.window], [0, null]);
  const real = await runCli([
    "--src",
    src,
    "--dest",
    dest,
    "--once",
    ...limits,
    "--exclude",
    "f9.txt",
    "--delete-excluded",
  ]);
  assertEquals(real.code, 0, real.stderr);
  assert(!snapshot(dest).has("f9.txt"), "the real run deleted it, as the dry run said");
});
