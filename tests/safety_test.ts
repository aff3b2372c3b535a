/**
 * Black-box tests of the safety guards: the source guard, the mass-delete
 * guard, destination checks, and permission bits.
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { assertMirror, put, RUN_PERMS, runCli, snapshot, tempDir } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Runs `fn` with a source of `n` files already backed up once into dest. */
async function backedUp(
  n: number,
  fn: (src: string, dest: string) => Promise<void>,
): Promise<void> {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < n; i++) put(`${src}/d${i % 4}/f${i}.txt`, `file ${i}`);
    const first = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(first.code, 0, first.stderr);
    await fn(src, dest);
  } finally {
    await t.cleanup();
  }
}

Deno.test("safety: an emptied source (an unmounted disk) deletes nothing, and the backup resumes when it is back", async () => {
  await backedUp(20, async (src, dest) => {
    assert(Deno.statSync(`${src}/.backup-source`).isFile, "the marker was written");
    const before = snapshot(dest);
    for (const e of [...Deno.readDirSync(src)]) {
      if (e.name !== ".backup-source") Deno.removeSync(`${src}/${e.name}`, { recursive: true });
    }
    const r = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(r.code, 6);
    assertIncludes(r.stderr, "SOURCE GUARD: the source is empty");
    assertIncludes((await runCli(["status", "--dest", dest])).stdout, "skipped: source guard");
    assertEquals(snapshot(dest), before, "nothing in the backup changed");
    put(`${src}/back.txt`, "back");
    const again = await runCli([
      "--src",
      src,
      "--dest",
      dest,
      "--once",
      "--max-delete-percent",
      "100",
    ]);
    assertEquals(again.code, 0, again.stderr);
    assertMirror(src, dest);
  });
});

Deno.test("safety: a source without its marker (another disk mounted there) is refused until --new-source", async () => {
  await backedUp(5, async (src, dest) => {
    Deno.removeSync(`${src}/.backup-source`);
    Deno.removeSync(`${src}/d0`, { recursive: true });
    const before = snapshot(dest);
    const r = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(r.code, 6);
    assertIncludes(r.stderr, "lost its marker");
    assertEquals(snapshot(dest), before);
    const reset = await runCli(["--src", src, "--dest", dest, "--once", "--new-source"]);
    assertEquals(reset.code, 0, reset.stderr);
    assertMirror(src, dest);
  });
});

Deno.test("safety: one source backed up to two destinations (rotating disks) keeps both guards working", async () => {
  await backedUp(5, async (src, dest) => {
    const marker = Deno.readTextFileSync(`${src}/.backup-source`);
    const other = `${dest}-disk2`;
    const second = await runCli(["--src", src, "--dest", other, "--once"]);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(Deno.readTextFileSync(`${src}/.backup-source`), marker, "the marker is shared");
    put(`${src}/new.txt`, "new");
    for (const d of [dest, other, dest]) {
      const r = await runCli(["--src", src, "--dest", d, "--once"]);
      assertEquals(r.code, 0, `${d}: ${r.stderr}`);
      assertMirror(src, d);
    }
    // Both guards still refuse a source without the marker.
    Deno.removeSync(`${src}/.backup-source`);
    for (const d of [dest, other]) {
      const r = await runCli(["--src", src, "--dest", d, "--once"]);
      assertEquals(r.code, 6);
      assertIncludes(r.stderr, "lost its marker");
    }
  });
});

Deno.test("safety: a pass that would delete most of the backup is held until confirmed", async () => {
  await backedUp(160, async (src, dest) => {
    for (let i = 0; i < 150; i++) Deno.removeSync(`${src}/d${i % 4}/f${i}.txt`);
    put(`${src}/new.txt`, "still copied");
    const held = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(held.code, 6);
    assertIncludes(held.stderr, "MASS DELETE HELD: this pass would delete 150 of");
    assertEquals(Deno.readTextFileSync(`${dest}/new.txt`), "still copied");
    assert(snapshot(dest).has("d0/f0.txt"), "nothing deleted");
    const journal = [...Deno.readDirSync(`${dest}/${RESERVED_DIR}/journal`)].map((e) =>
      Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/journal/${e.name}`)
    ).join("");
    assertIncludes(journal, '"type":"held","count":150');
    const status = await runCli(["status", "--dest", dest]);
    assertIncludes(status.stdout, "150 deletions HELD");
    const ok = await runCli(["--src", src, "--dest", dest, "--once", "--confirm-deletes"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMirror(src, dest);
  });
});

Deno.test("safety: a destination that is not empty and not a backup is refused unless --adopt-dest", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/a.txt`, "a");
    put(`${t.path}/home/precious.doc`, "do not delete");
    const r = await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/home`, "--once"]);
    assertEquals(r.code, 2);
    assertIncludes(r.stderr, "is not empty and was never a backup");
    assertEquals(Deno.readTextFileSync(`${t.path}/home/precious.doc`), "do not delete");
    assertEquals(snapshot(`${t.path}/home`, []).has(RESERVED_DIR), false, "nothing was created");
    const adopt = await runCli([
      "--src",
      `${t.path}/src`,
      "--dest",
      `${t.path}/home`,
      "--once",
      "--adopt-dest",
    ]);
    assertEquals(adopt.code, 0, adopt.stderr);
    assertMirror(`${t.path}/src`, `${t.path}/home`);
    put(`${t.path}/other/b.txt`, "b");
    const other = await runCli(["--src", `${t.path}/other`, "--dest", `${t.path}/home`, "--once"]);
    assertEquals(other.code, 2);
    assertIncludes(other.stderr, "is the backup of");
  } finally {
    await t.cleanup();
  }
});

Deno.test("safety: setuid and setgid bits are dropped unless --keep-setuid", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/tool`, "#!/bin/sh\n");
    Deno.chmodSync(`${t.path}/src/tool`, 0o6755);
    assertEquals(
      (await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/a`, "--once"])).code,
      0,
    );
    assertEquals(Deno.statSync(`${t.path}/a/tool`).mode! & 0o7777, 0o755);
    const keep = await runCli([
      "--src",
      `${t.path}/src`,
      "--dest",
      `${t.path}/b`,
      "--once",
      "--keep-setuid",
    ]);
    assertEquals(keep.code, 0);
    assertEquals(Deno.statSync(`${t.path}/b/tool`).mode! & 0o7777, 0o6755);
  } finally {
    await t.cleanup();
  }
});

Deno.test("safety: without --allow-ffi, names that are not valid UTF-8 are reported with their folder and count, their backups kept, and --once exits 6", async () => {
  // With the native layer they are backed up by their bytes: tests/byte_names_test.ts.
  const perms = RUN_PERMS.filter((perm) => perm !== "--allow-ffi");
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/dir/good.txt`, "good");
    const bad = (root: string) => `${root}/dir/bad-$'\\xff'-name`;
    const sh = (script: string) =>
      new Deno.Command("bash", { args: ["-c", script] }).outputSync().success;
    assert(sh(`touch ${bad(src)} ${src}/dir/also-$'\\xfe'`), "create non-UTF-8 names");
    const first = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    // Files were left out of the backup: a script must be told (issue 12).
    assertEquals(first.code, 6, first.stderr);
    assertIncludes(first.stderr, "SKIPPED 2 names that are not valid UTF-8 in folder dir");
    assertEquals(Deno.readTextFileSync(`${dest}/dir/good.txt`), "good");
    // A copy made by another tool, with the same raw name, is never deleted because of it.
    assert(sh(`touch ${bad(dest)}`));
    const again = await runCli(["--src", src, "--dest", dest, "--once", "--json"], { perms });
    assertEquals(again.code, 6, again.stderr);
    const pass = again.stdout.split("\n").filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line)).find((event) => event.event === "pass");
    assertEquals(pass?.summary?.badNames, 2, again.stdout);
    assert(sh(`test -e ${bad(dest)}`), "the destination copy is still there");
    const replay = await runCli(["journal", "replay", "--dest", dest], { perms });
    assertEquals(replay.code, 6, replay.stdout + replay.stderr);
  } finally {
    await t.cleanup();
  }
});
