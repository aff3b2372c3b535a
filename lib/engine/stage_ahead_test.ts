/**
 * Staging ahead (stage_ahead.ts) through the reconciler, with batches of a few operations so
 * that every batch but the first finds its copies staged: folders that do not exist yet when
 * their files are staged, crashes at every write, and a pass that stops with a batch staged.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { assertMirror, leftoverTemps, put, withRoots } from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { FaultyFileSystem, isSimulatedCrash } from "../../testing/fault_fs.ts";
import { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
import { readJournal } from "../journal/reader.ts";
import { journalDir } from "../base/layout.ts";
import type { ProgressListener } from "./listener.ts";
import { createHasher } from "../base/hash.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

async function onePass(
  src: string,
  dest: string,
  fs: FileSystem = new DenoFileSystem(),
  extra: Partial<ReconcilerOptions> = {},
) {
  const rec = await Reconciler.start(fs, { source: src, dest, logs, batchSize: 3, ...extra });
  try {
    return await rec.pass();
  } finally {
    await rec.close();
  }
}

/** Nested folders, each first seen in a later batch than the copies staged for it. */
function tree(src: string): void {
  for (let i = 0; i < 12; i++) {
    put(`${src}/a${i % 3}/b${i % 2}/f${i}.txt`, `content ${i} `.repeat(i));
  }
  put(`${src}/top.txt`, "top");
}

Deno.test("stage ahead: copies staged a batch ahead (their folders made later) are committed, hashed and journaled", async () => {
  await withRoots(async (src, dest) => {
    tree(src);
    const summary = await onePass(src, dest);
    assertEquals([summary.copied, summary.failed], [13, 0]);
    assertMirror(src, dest);
    assertEquals(leftoverTemps(dest), []);
    let hashed = 0;
    readJournal(new DenoFileSystem(), journalDir(dest), {
      onRecord: (r) => {
        if (r.type === "done" && r.hash !== undefined) hashed++;
      },
    });
    assertEquals(hashed, 13, "every copy's completion has its hash");
    // Unchanged since: the next pass copies nothing.
    assertEquals((await onePass(src, dest)).copied, 0);
  });
});

Deno.test("stage ahead: a simulated crash after every possible number of writes always recovers", async () => {
  await withRoots(async (src, dest) => {
    tree(src);
    let crashes = 0;
    for (let n = 0; n < 600; n++) {
      const fs = new FaultyFileSystem(new DenoFileSystem());
      fs.crashAfter(n);
      try {
        await onePass(src, dest, fs);
      } catch (err) {
        if (!isSimulatedCrash(err)) throw err;
      }
      if (!fs.crashed) break;
      crashes++;
      const s = await onePass(src, dest);
      assertEquals(s.failed, 0, `after crash at write ${n}: ${JSON.stringify(s)}`);
      assertMirror(src, dest);
      assertEquals(leftoverTemps(dest), [], `temps after crash at write ${n}`);
      await Deno.remove(dest, { recursive: true });
    }
    assert(crashes > 40, `only ${crashes} crash points were exercised`);
  });
});

Deno.test("stage ahead: a pass stopped between batches leaves no temp file, and the next one finishes", async () => {
  await withRoots(async (src, dest) => {
    tree(src);
    const stop = new AbortController();
    const progress: ProgressListener = {
      planned: () => {},
      copying: () => {},
      applied: () => stop.abort(),
      ended: () => {},
    };
    const first = await onePass(src, dest, undefined, { signal: stop.signal, progress });
    assert(first.interrupted, "the pass stopped early");
    assert(first.copied < 13, `copied ${first.copied}`);
    assertEquals(leftoverTemps(dest), [], "the batch staged ahead was discarded");
    const second = await onePass(src, dest);
    assertEquals(second.failed, 0);
    assertMirror(src, dest);
    assertEquals(leftoverTemps(dest), []);
  });
});

Deno.test("stage ahead: with the copy helper (600 small files), each copy is committed, hashed and journaled as in line", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 600; i++) put(`${src}/d${i % 7}/f${i}.txt`, `small ${i} `.repeat(i % 50));
    put(`${src}/d0/empty.txt`, "");
    const summary = await onePass(src, dest, new DenoFileSystem(), { batchSize: 64 });
    assertEquals([summary.copied, summary.failed], [601, 0]);
    assertMirror(src, dest);
    assertEquals(leftoverTemps(dest), []);
    const hashes = new Map<number, string>();
    const paths = new Map<number, string>();
    readJournal(new DenoFileSystem(), journalDir(dest), {
      onRecord: (r) => {
        if (r.type === "intent" && r.op === "copy") paths.set(r.seq, r.path);
        if (r.type === "done" && r.hash !== undefined) hashes.set(r.ref, r.hash);
      },
    });
    assertEquals(hashes.size, 601, "every copy's completion has its hash");
    // The hashes are the content's: a pass that re-hashes everything finds nothing to copy.
    const hasher = await createHasher();
    for (const [seq, path] of paths) {
      hasher.init();
      hasher.update(Deno.readFileSync(`${src}/${path}`));
      assertEquals(hashes.get(seq), hasher.digest(), path);
    }
    assertEquals((await onePass(src, dest)).copied, 0);
  });
});
