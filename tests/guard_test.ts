/**
 * Black-box tests of the mass-delete guard (issue 13, point 1): a mass delete
 * sliced over passes is held, deletions under a folder moved in the same pass
 * count, `backup confirm` releases the hold of a running daemon, and what a
 * hold does not need (a file that became a folder, new content) is backed up.
 */

import { assert, assertEquals, assertIncludes, assertMatch } from "../testing/assert.ts";
import { assertMirror, put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Files (not folders) below `root`, the reserved folder left out. */
function fileCount(root: string): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (dir === root && e.name === RESERVED_DIR) continue;
      if (e.isDirectory) walk(`${dir}/${e.name}`);
      else n++;
    }
  };
  walk(root);
  return n;
}

/** The journal's text (every segment). */
function journalText(dest: string): string {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  return [...Deno.readDirSync(dir)].map((e) => Deno.readTextFileSync(`${dir}/${e.name}`)).join("");
}

Deno.test("guard: one folder of 100 deleted every 1.5 s under a daemon is held before most are gone; backup confirm releases it", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let d = 0; d < 10; d++) {
      for (let f = 0; f < 100; f++) put(`${src}/d${d}/f${f}.txt`, `${d}/${f}`);
    }
    put(`${src}/keep.txt`, "keeps the source from looking unmounted");
    const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "3"]);
    try {
      await waitFor(() => fileCount(dest) === 1001, { timeoutMs: 30_000, what: "the first copy" });
      for (let d = 0; d < 10; d++) {
        Deno.removeSync(`${src}/d${d}`, { recursive: true });
        await new Promise((r) => setTimeout(r, 1500)); // the pace of the deletion, not an assertion
      }
      await waitFor(() => daemon.output().includes("MASS DELETE HELD"), { what: "a hold" });
      const left = fileCount(dest);
      // The window counts the earlier passes' deletions: at most half of the 1,011 entries go.
      assert(left >= 491, `held before most were gone: ${left} of 1001 files left`);
      const message = daemon.output().split("\n").find((l) => l.includes("MASS DELETE HELD"))!;
      assertMatch(message, /in the last 60 min/);
      const typed = message.match(/run: (backup confirm --dest \S+)$/);
      assert(typed, `the hold says what to type: ${message}`);
      assertEquals(typed[1], `backup confirm --dest ${Deno.realPathSync(dest)}`);
      const confirm = await runCli(typed[1]!.split(" ").slice(1));
      assertEquals(confirm.code, 0, confirm.stderr);
      assertIncludes(confirm.stdout, "confirmed: the daemon");
      await waitFor(() => fileCount(dest) === 1, {
        timeoutMs: 20_000,
        what: `the confirmed deletions: ${daemon.output().slice(-2000)}`,
      });
      assertIncludes(daemon.output(), "MASS DELETE CONFIRMED");
      assertMirror(src, dest);
      assertMatch(journalText(dest), /"type":"confirmed","ref":\d+,"count":\d+/);
      const again = await runCli(["confirm", "--dest", dest]);
      assertEquals(again.code, 0, again.stderr);
      assertIncludes(again.stdout, "nothing to confirm");
    } finally {
      assertEquals(await daemon.stop(), 0);
    }
    const stopped = await runCli(["confirm", "--dest", dest]);
    assertEquals(stopped.code, 2);
    assertIncludes(stopped.stderr, "no backup daemon runs on");
  } finally {
    await t.cleanup();
  }
});

Deno.test("guard: deletions under a folder moved in the same pass count (mv p p2 && rm -rf p2/big)", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 300; i++) put(`${src}/p/big/f${i}.txt`, `${i}`);
    put(`${src}/p/keep.txt`, "keep");
    const first = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(first.code, 0, first.stderr);
    Deno.renameSync(`${src}/p`, `${src}/p2`);
    Deno.removeSync(`${src}/p2/big`, { recursive: true });
    const held = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(held.code, 6, held.stderr);
    assertIncludes(held.stderr, "MASS DELETE HELD: this pass would delete 301 of");
    assertEquals(fileCount(dest), 301, "nothing deleted");
    assertEquals(Deno.readTextFileSync(`${dest}/p2/keep.txt`), "keep", "the move went ahead");
    const ok = await runCli(["--src", src, "--dest", dest, "--once", "--confirm-deletes"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMirror(src, dest);
  } finally {
    await t.cleanup();
  }
});

Deno.test("guard: while deletions are held, a file that became a folder and new content are backed up, with true messages", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 200; i++) put(`${src}/big/f${i}.txt`, `${i}`);
    put(`${src}/keep`, "a file");
    put(`${src}/swap/a.txt`, "in a folder");
    const first = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(first.code, 0, first.stderr);
    Deno.removeSync(`${src}/big`, { recursive: true });
    Deno.removeSync(`${src}/keep`);
    put(`${src}/keep/inner.txt`, "now a folder");
    Deno.removeSync(`${src}/swap`, { recursive: true });
    put(`${src}/swap`, "now a file");
    put(`${src}/new.txt`, "new");
    const held = await runCli(["--src", src, "--dest", dest, "--once"]);
    assertEquals(held.code, 6, held.stderr);
    assertIncludes(held.stderr, "MASS DELETE HELD: this pass would delete 202 of");
    assert(!/FAILED/.test(held.stdout + held.stderr), held.stdout + held.stderr);
    assertEquals(Deno.readTextFileSync(`${dest}/keep/inner.txt`), "now a folder");
    assertEquals(Deno.readTextFileSync(`${dest}/new.txt`), "new");
    assertEquals(fileCount(`${dest}/big`), 200, "the held deletions wait");
    assertEquals(Deno.readTextFileSync(`${dest}/swap/a.txt`), "in a folder", "it waits with them");
    const ok = await runCli(["--src", src, "--dest", dest, "--once", "--confirm-deletes"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMirror(src, dest);
  } finally {
    await t.cleanup();
  }
});

Deno.test("guard: backup confirm --config FILE --job NAME releases the hold of a job of a running config daemon", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 20; i++) put(`${src}/d/f${i}.txt`, `${i}`);
    put(`${src}/keep.txt`, "keep");
    const config = `${t.path}/backup.jsonc`;
    Deno.writeTextFileSync(
      config,
      JSON.stringify({
        jobs: [{
          name: "docs",
          source: src,
          destination: dest,
          interval: 2,
          maxDelete: 5,
          maxDeletePercent: 30,
        }],
      }),
    );
    const daemon = startDaemon(["--config", config]);
    try {
      await waitFor(() => fileCount(dest) === 21, { timeoutMs: 30_000, what: "the first copy" });
      Deno.removeSync(`${src}/d`, { recursive: true });
      await waitFor(() => daemon.output().includes("MASS DELETE HELD"), { what: "a hold" });
      assertEquals(fileCount(dest), 21, "nothing deleted");
      const confirm = await runCli(["confirm", "--config", config, "--job", "docs"]);
      assertEquals(confirm.code, 0, confirm.stderr);
      assertIncludes(confirm.stdout, "21 held deletions");
      await waitFor(() => fileCount(dest) === 1, { timeoutMs: 20_000, what: "the deletions" });
      assertMirror(src, dest);
    } finally {
      assertEquals(await daemon.stop(), 0);
    }
  } finally {
    await t.cleanup();
  }
});
