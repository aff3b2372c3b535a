/**
 * Black-box tests of live changes: the daemon with a watcher, moves done as
 * renames, bursts the watcher is known to drop, parallel writers.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  assertMirror,
  type Daemon,
  put,
  snapshot,
  startDaemon,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Every intent record in a destination's journal, oldest first. */
function intents(dest: string): { op: string; path: string; from?: string; seq: number }[] {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  const out: { op: string; path: string; from?: string; seq: number }[] = [];
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^\d+\.jsonl$/.test(n))
    .sort();
  for (const name of names) {
    for (const line of Deno.readTextFileSync(`${dir}/${name}`).split("\n")) {
      if (!line) continue;
      try {
        const r = JSON.parse(line);
        if (r.type === "intent") out.push(r);
      } catch { /* a torn last line while the daemon writes */ }
    }
  }
  return out;
}

/** Waits until the destination mirrors the source. */
async function converged(src: string, dest: string, d: Daemon, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => treeDiff(snapshot(src), snapshot(dest)).length === 0, {
    timeoutMs,
    what: `mirror of ${src}; daemon said:\n${d.output().slice(-2000)}`,
  });
}

/** Runs `fn` with a daemon watching `src` (interval `interval` s) after its first pass. */
async function withDaemon(
  interval: number,
  setup: (src: string) => void,
  fn: (src: string, dest: string, d: Daemon) => Promise<void>,
  extra: string[] = [],
): Promise<void> {
  const t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  Deno.mkdirSync(src);
  setup(src);
  const d = startDaemon(["--src", src, "--dest", dest, "--interval", String(interval), ...extra]);
  try {
    await waitFor(() => d.output().includes("PASS 1 "), { what: "first pass" });
    await waitFor(() => d.output().includes("WATCHING"), { what: "watcher start" });
    await fn(src, dest, d);
  } finally {
    const code = await d.stop("SIGTERM");
    await t.cleanup();
    assertEquals(code, 0, d.output());
  }
}

Deno.test("watch: a file saved in the source appears in the destination long before the interval", async () => {
  await withDaemon(600, () => {}, async (src, dest, d) => {
    for (let i = 0; i < 5; i++) {
      const body = `version ${i} `.repeat(1000);
      put(`${src}/doc.txt`, body);
      await waitFor(() => Deno.readTextFileSync(`${dest}/doc.txt`) === body, {
        timeoutMs: 10_000,
        what: `change ${i} to arrive by the watcher (interval is 600 s)`,
      });
    }
    assert(d.output().includes("(watch)"), "the passes were started by the watcher");
  });
});

Deno.test("watch: renames are renames in the destination, with no byte copied again", async () => {
  const big = new Uint8Array(2 << 20).fill(42);
  await withDaemon(600, (src) => {
    for (let i = 0; i < 50; i++) put(`${src}/album/photo${i}.raw`, big.subarray(0, 40_000 + i));
    put(`${src}/a/report.pdf`, big);
    Deno.mkdirSync(`${src}/b`);
    put(`${src}/Notes.md`, "notes");
    put(`${src}/x`, "xxxx");
    put(`${src}/y`, "yy");
    for (let i = 0; i < 5; i++) put(`${src}/data/f${i}`, `data ${i}`);
  }, async (src, dest, d) => {
    await converged(src, dest, d);
    const before = intents(dest).length;
    Deno.renameSync(`${src}/album`, `${src}/Album 2026`); // a folder renamed
    Deno.renameSync(`${src}/a/report.pdf`, `${src}/b/report.pdf`); // moved between folders
    Deno.renameSync(`${src}/Notes.md`, `${src}/notes.md`); // case-only rename
    Deno.renameSync(`${src}/x`, `${src}/tmp`); // a swap through a third name
    Deno.renameSync(`${src}/y`, `${src}/x`);
    Deno.renameSync(`${src}/tmp`, `${src}/y`);
    Deno.renameSync(`${src}/data`, `${src}/data-v2`); // a folder replaced by a symlink
    Deno.symlinkSync("data-v2", `${src}/data`);
    await converged(src, dest, d);
    const after = intents(dest).slice(before);
    const copies = after.filter((r) => r.op === "copy").map((r) => r.path);
    assertEquals(copies, [], "nothing copied again");
    const moves = after.filter((r) => r.op === "move").map((r) => `${r.from} -> ${r.path}`);
    for (
      const m of [
        "album -> Album 2026",
        "a/report.pdf -> b/report.pdf",
        "Notes.md -> notes.md",
        "data -> data-v2",
      ]
    ) assert(moves.includes(m), `${m} in ${moves.join(", ")}`);
  });
});

Deno.test("watch: a mkdir followed by a burst of 2,000 creates converges", async () => {
  await withDaemon(2, () => {}, async (src, dest, d) => {
    Deno.mkdirSync(`${src}/burst/inner`, { recursive: true });
    for (let i = 0; i < 2000; i++) {
      Deno.writeTextFileSync(`${src}/burst/${i % 2 ? "inner/" : ""}f${i}.txt`, `file ${i}`);
    }
    await converged(src, dest, d, 60_000);
  });
});

Deno.test("watch: an rm -rf of a nested tree converges", async () => {
  await withDaemon(2, (src) => {
    for (let i = 0; i < 300; i++) put(`${src}/tree/l1-${i % 3}/l2-${i % 7}/l3-${i % 5}/f${i}`, "x");
    put(`${src}/keep.txt`, "k");
  }, async (src, dest, d) => {
    await converged(src, dest, d);
    Deno.removeSync(`${src}/tree`, { recursive: true });
    await converged(src, dest, d, 60_000);
    assertEquals(snapshot(dest).has("tree"), false);
  }, ["--max-delete-percent", "100"]); // deleting nearly all of it is the point here
});

Deno.test("watch: two parallel writers converge, and no torn file is ever visible", async () => {
  await withDaemon(2, () => {}, async (src, dest, d) => {
    const writer = async (name: string) => {
      for (let i = 0; i < 60; i++) {
        const body = `${name}:${i}:`.padEnd(50_000, name);
        await Deno.writeTextFile(`${src}/${name}-${i % 6}.txt`, body);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    let torn = "";
    const checker = (async () => {
      const deadline = Date.now() + 4000;
      while (Date.now() < deadline && !torn) {
        for (const e of Deno.readDirSync(dest)) {
          if (!e.isFile || !/^[ab]-\d\.txt$/.test(e.name)) continue;
          let text = "";
          try {
            text = Deno.readTextFileSync(`${dest}/${e.name}`);
          } catch { /* renamed over while reading the folder */ }
          if (text && text.length !== 50_000) torn = `${e.name}: ${text.length} bytes`;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await Promise.all([writer("a"), writer("b"), checker]);
    assertEquals(torn, "", "a destination file was seen half written");
    await converged(src, dest, d, 30_000);
  });
});

Deno.test("watch: --no-watch leaves changes to the interval pass", async () => {
  const t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  Deno.mkdirSync(src);
  const d = startDaemon(["--src", src, "--dest", dest, "--interval", "1", "--no-watch"]);
  try {
    await waitFor(() => d.output().includes("PASS 1 "), { what: "first pass" });
    put(`${src}/late.txt`, "late");
    await converged(src, dest, d);
    assertEquals(d.output().includes("WATCHING"), false);
    assertEquals(d.output().includes("(watch)"), false);
    assertMirror(src, dest);
  } finally {
    assertEquals(await d.stop("SIGTERM"), 0);
    await t.cleanup();
  }
});
