/**
 * Black-box tests of `--keep-versions` and `backup restore`.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, snapshot, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Files below `root` (recursively), relative, sorted. */
function files(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)) {
    const r = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) out.push(...files(root, r));
    else out.push(r);
  }
  return out.sort();
}

/** A moment between two changes: wall clock after a short pause, so journal times differ. */
async function moment(): Promise<string> {
  await new Promise((r) => setTimeout(r, 20)); // journal times have millisecond precision
  const t = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  return t;
}

Deno.test("versions CLI: an overwritten and a deleted file go to the versions folder; restore --at brings them back byte-exact", async () => {
  const t = await tempDir();
  try {
    const [src, dest, out] = [`${t.path}/src`, `${t.path}/dest`, `${t.path}/out`];
    const binary = new Uint8Array(70_000).map((_, i) => (i * 7919) % 256);
    put(`${src}/docs/report.bin`, binary);
    put(`${src}/docs/notes.txt`, "first notes\n");
    put(`${src}/other.txt`, "other\n");
    const once = ["--src", src, "--dest", dest, "--once", "--keep-versions", "30d"];
    assertEquals((await runCli(once)).code, 0);
    const before = await moment();
    const original = snapshot(`${dest}/docs`);

    put(`${src}/docs/report.bin`, "overwritten by mistake");
    Deno.removeSync(`${src}/docs/notes.txt`);
    const r = await runCli(once);
    assertEquals(r.code, 0, r.stderr);
    const versions = files(`${dest}/${RESERVED_DIR}/versions`);
    assertEquals(versions.length, 2);
    assert(
      versions.some((v) => /^docs\/report\.bin~\d{8}T\d{6}\.\d{3}Z$/.test(v)),
      versions.join(),
    );
    assert(versions.some((v) => v.startsWith("docs/notes.txt~")), versions.join());

    // The journal says where the old content went.
    const why = await runCli(["journal", "why", "--dest", dest, "docs/report.bin"]);
    assertIncludes(why.stdout, "[old file kept as version docs/report.bin~");

    // The folder as it was: both files, their bytes, modes and mtimes.
    const res = await runCli(["restore", "--dest", dest, "docs", "--at", before, "--to", out]);
    assertEquals(res.code, 0, res.stderr);
    assertIncludes(res.stdout, "restored 2 files, 1 folder");
    const restored = snapshot(`${out}/docs`);
    assertEquals(restored, original);
    assertEquals(Deno.readFileSync(`${out}/docs/report.bin`), binary);

    // One file; and "now" is the mirror's current content.
    const one = await runCli([
      "restore",
      "--dest",
      dest,
      "docs/notes.txt",
      "--at",
      before,
      "--to",
      `${out}/2`,
    ]);
    assertEquals(one.code, 0, one.stderr);
    assertEquals(Deno.readTextFileSync(`${out}/2/notes.txt`), "first notes\n");
    const cur = await runCli(["restore", "--dest", dest, "docs/report.bin", "--to", `${out}/3`]);
    assertEquals(cur.code, 0, cur.stderr);
    assertEquals(Deno.readTextFileSync(`${out}/3/report.bin`), "overwritten by mistake");

    // Nothing existing is overwritten.
    const again = await runCli(["restore", "--dest", dest, "docs", "--at", before, "--to", out]);
    assertEquals(again.code, 2);
    assertIncludes(again.stderr, "exists");
    assertEquals(snapshot(`${out}/docs`), restored);
  } finally {
    await t.cleanup();
  }
});

Deno.test("versions CLI: bad TIME, unknown PATH, missing --to and --to inside the backup give one-line errors, exit 2", async () => {
  const t = await tempDir();
  try {
    const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
    put(`${src}/a.txt`, "a");
    assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
    Deno.symlinkSync(dest, `${t.path}/dest-link`);
    put(`${t.path}/a-file`, "not a folder");
    const cases: [string[], string][] = [
      [["a.txt", "--at", "last tuesday", "--to", `${t.path}/o`], "--at takes a time"],
      [["a.txt", "--to", `${t.path}/dest-link/sub`], "inside the backup"],
      [["a.txt", "--to", `${t.path}/a-file`], "must be a folder"],
      [["a.txt", "--to", `${t.path}/a-file/below`], "must be a folder"],
      [["nope.txt", "--to", `${t.path}/o`], `"nope.txt" was not in the backup`],
      [["a.txt", "--at", "2000-01-01", "--to", `${t.path}/o`], `"a.txt" was not in the backup`],
      [["a.txt"], "missing --to"],
      [["a.txt", "--to", `${dest}/inside`], "inside the backup"],
      [["../x", "--to", `${t.path}/o`], "must be a path inside the backup"],
      [["/a.txt", "--to", `${t.path}/o`], `"/a.txt" is neither inside the destination`],
    ];
    for (const [args, text] of cases) {
      const r = await runCli(["restore", "--dest", dest, ...args]);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertIncludes(r.stderr, text);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    assertEquals(Deno.readDirSync(dest).toArray().map((e) => e.name).sort(), [
      RESERVED_DIR,
      "a.txt",
    ]);
    // An absolute path in the source (or the backup) names the same file.
    for (const abs of [`${src}/a.txt`, `${dest}/a.txt`]) {
      const out = `${t.path}/abs-${abs === `${src}/a.txt` ? "src" : "dest"}`;
      const r = await runCli(["restore", "--dest", dest, abs, "--to", out]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(Deno.readTextFileSync(`${out}/a.txt`), "a");
    }
    const bad = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--once",
      "--keep-versions",
      "forever",
    ]);
    assertEquals(bad.code, 2);
    assertIncludes(bad.stderr, "--keep-versions takes an age");
  } finally {
    await t.cleanup();
  }
});

Deno.test("versions CLI: a file in a renamed folder that is then rewritten, deleted or replaced keeps its old content", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  for (const n of ["edit", "gone", "link"]) put(`${src}/d/${n}.txt`, `OLD ${n}`);
  const once = ["--src", src, "--dest", dest, "--once", "--keep-versions", "10"];
  assertEquals((await runCli(once)).code, 0);
  const before = await moment();
  Deno.renameSync(`${src}/d`, `${src}/e`);
  // Rewritten in place (same inode: still detected as moved), deleted, replaced by a symlink.
  const f = Deno.openSync(`${src}/e/edit.txt`, { write: true, truncate: true });
  f.writeSync(new TextEncoder().encode("NEW edit, longer"));
  f.close();
  Deno.removeSync(`${src}/e/gone.txt`);
  Deno.removeSync(`${src}/e/link.txt`);
  Deno.symlinkSync("edit.txt", `${src}/e/link.txt`);
  const r = await runCli(once);
  assertEquals(r.code, 0, r.stderr);
  const kept = files(`${dest}/${RESERVED_DIR}/versions`).map((v) =>
    Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/versions/${v}`)
  ).sort();
  assertEquals(kept, ["OLD edit", "OLD gone", "OLD link"]);
  // And restore finds them by the old path and time (the journal knows each version's content).
  const out = `${t.path}/out`;
  const res = await runCli(["restore", "--dest", dest, "d", "--at", before, "--to", out]);
  assertEquals(res.code, 0, res.stdout + res.stderr);
  for (const n of ["edit", "gone", "link"]) {
    assertEquals(Deno.readTextFileSync(`${out}/d/${n}.txt`), `OLD ${n}`);
  }
});

Deno.test("versions CLI: after a compaction, restore names the files it cannot tell about and exits 6", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/d/a.txt`, "a at first");
  put(`${src}/d/b.txt`, "b, never changed");
  const past = new Date(Date.now() - 3_600_000);
  for (const f of ["a.txt", "b.txt"]) Deno.utimeSync(`${src}/d/${f}`, past, past);
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  const before = await moment();
  put(`${src}/d/a.txt`, "a changed, and no version kept");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  const restore = ["restore", "--dest", dest, "d", "--at", before];
  // While the journal reaches back, a.txt's old content is known to be gone.
  const full = await runCli([...restore, "--to", `${t.path}/out1`]);
  assertEquals(full.code, 6, full.stdout + full.stderr);
  assertIncludes(full.stdout, "could not restore 1 file");
  assertEquals((await runCli(["journal", "compact", "--dest", dest])).code, 0);
  // After the compaction it is not known whether a.txt existed then: said, not left out silently.
  const r = await runCli([...restore, "--to", `${t.path}/out2`]);
  assertEquals(r.code, 6, r.stdout + r.stderr);
  assertIncludes(r.stdout, "was compacted");
  assertIncludes(r.stdout, "not restored, 1 file changed since");
  assertIncludes(r.stdout, "d/a.txt");
  assertEquals(files(`${t.path}/out2`), ["d/b.txt"]);
  assertEquals(Deno.readTextFileSync(`${t.path}/out2/d/b.txt`), "b, never changed");
});

Deno.test("versions CLI: restore works while the daemon runs, and a count rule prunes old versions", async () => {
  const t = await tempDir();
  try {
    const [src, dest, out] = [`${t.path}/src`, `${t.path}/dest`, `${t.path}/out`];
    put(`${src}/f.txt`, "v0");
    const d = startDaemon([
      "--src",
      src,
      "--dest",
      dest,
      "--interval",
      "0.2",
      "--no-watch",
      "--keep-versions",
      "2",
    ]);
    try {
      await waitFor(() => Deno.readTextFileSync(`${dest}/f.txt`) === "v0", { what: "first copy" });
      const times: string[] = [];
      for (let i = 1; i <= 4; i++) {
        times.push(await moment());
        put(`${src}/f.txt`, `v${i}${"!".repeat(i)}`);
        await waitFor(() => Deno.readTextFileSync(`${dest}/f.txt`) === `v${i}${"!".repeat(i)}`, {
          what: `version ${i}`,
        });
      }
      // Four versions were made (v0..v3); the rule keeps the newest two.
      await waitFor(() => files(`${dest}/${RESERVED_DIR}/versions`).length === 2, {
        what: "pruning",
      });
      const r = await runCli(["restore", "--dest", dest, "f.txt", "--at", times[3]!, "--to", out]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(Deno.readTextFileSync(`${out}/f.txt`), "v3!!!");
      // v0 was pruned: its content is no longer kept anywhere.
      const gone = await runCli([
        "restore",
        "--dest",
        dest,
        "f.txt",
        "--at",
        times[0]!,
        "--to",
        `${out}/0`,
      ]);
      assertEquals(gone.code, 6, gone.stderr);
      assertIncludes(gone.stdout, "no longer kept");
    } finally {
      assertEquals(await d.stop(), 0);
    }
  } finally {
    await t.cleanup();
  }
});
