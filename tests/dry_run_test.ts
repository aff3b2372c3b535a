/**
 * Black-box tests of `--dry-run`: it prints the plan of one full pass and
 * changes nothing anywhere (destination, journal, lock, log, source marker).
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, snapshot, tempDir } from "../testing/helpers.ts";

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
