/**
 * The chunked initial copy through the reconciler (lib/engine/chunked_walk.ts, `Pass`):
 * what the progress listener hears, an abort between batches, and when it is not used.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { assertMirror, put, withRoots } from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem } from "../base/fs.ts";
import { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
import type { ProgressListener } from "./listener.ts";
import type { FileOp } from "./pass_plan.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

/** 8 folders of 10 files, one nested. */
function makeTree(src: string): void {
  for (let i = 0; i < 8; i++) {
    const dir = i === 7 ? "d0/inner" : `d${i}`;
    for (let j = 0; j < 10; j++) put(`${src}/${dir}/f${j}`, `${dir}/${j}`);
  }
}

/** A listener that counts what it is told. */
function counter(onApplied: (n: number) => void = () => {}) {
  const seen = { plans: 0, more: 0, ops: 0, files: 0, applied: 0 };
  const add = (ops: readonly FileOp[]) => {
    seen.ops += ops.length;
    seen.files += ops.filter((op) => op.op === "copy").length;
  };
  const listener: ProgressListener = {
    planned: (_pass, _trigger, ops) => {
      seen.plans++;
      add(ops);
    },
    morePlanned: (ops) => {
      seen.more++;
      add(ops);
    },
    copying: () => {},
    applied: () => onApplied(++seen.applied),
    ended: () => {},
  };
  return { seen, listener };
}

async function pass(src: string, dest: string, extra: Partial<ReconcilerOptions>) {
  const rec = await Reconciler.start(new DenoFileSystem(), { source: src, dest, logs, ...extra });
  try {
    return await rec.pass();
  } finally {
    await rec.close();
  }
}

Deno.test("chunked initial copy: the listener hears the first chunk as the plan and the rest as morePlanned", async () => {
  await withRoots(async (src, dest) => {
    makeTree(src);
    const { seen, listener } = counter();
    const summary = await pass(src, dest, { chunkOps: 15, batchSize: 8, progress: listener });
    assertEquals([summary.copied, summary.dirs, summary.failed], [80, 8, 0]);
    assertEquals(seen.plans, 1);
    assert(seen.more >= 3, `${seen.more} later chunks`);
    // Every operation planned was applied: 80 copies, 8 folders and their 8 metas.
    assertEquals([seen.ops, seen.files, seen.applied], [96, 80, 96]);
    assertMirror(src, dest);
  });
});

Deno.test("chunked initial copy: an abort stops it between batches; the next pass finishes it", async () => {
  await withRoots(async (src, dest) => {
    makeTree(src);
    const abort = new AbortController();
    const { listener } = counter((n) => n === 20 && abort.abort());
    const first = await pass(src, dest, {
      chunkOps: 15,
      batchSize: 8,
      progress: listener,
      signal: abort.signal,
    });
    assert(first.interrupted, "interrupted");
    assert(first.copied > 0 && first.copied < 80, `${first.copied} copied`);
    const second = await pass(src, dest, { chunkOps: 15, batchSize: 8 });
    assertEquals(second.copied, 80 - first.copied, "nothing copied twice");
    assertMirror(src, dest);
  });
});

Deno.test("chunked initial copy: not used when the destination holds something or chunkOps is 0", async () => {
  await withRoots(async (src, dest) => {
    makeTree(src);
    put(`${dest}/d0/f0`, "d0/0"); // a destination someone filled: planned whole (verify, not copy)
    const { seen, listener } = counter();
    await pass(src, dest, { chunkOps: 15, progress: listener });
    assertEquals([seen.plans, seen.more], [1, 0]);
    assertMirror(src, dest);
  });
  await withRoots(async (src, dest) => {
    makeTree(src);
    const { seen, listener } = counter();
    await pass(src, dest, { chunkOps: 0, progress: listener });
    assertEquals([seen.plans, seen.more, seen.ops], [1, 0, 96]);
    assertMirror(src, dest);
  });
});

Deno.test("chunked initial copy: a folder removed from the source before its chunk is listed is created empty, then removed by the next pass", async () => {
  await withRoots(async (src, dest) => {
    makeTree(src);
    let removed = "";
    const { listener } = counter();
    // Once the root is listed (the first chunk), a folder whose turn has not come goes.
    const planned = listener.planned;
    listener.planned = (pass, trigger, ops) => {
      planned(pass, trigger, ops);
      const later = ["d1", "d2", "d3"].find((d) => !ops.some((op) => op.path.startsWith(`${d}/`)));
      removed = later!;
      Deno.removeSync(`${src}/${removed}`, { recursive: true });
    };
    const first = await pass(src, dest, { chunkOps: 15, batchSize: 8, progress: listener });
    assert(removed !== "");
    assertEquals(first.failed, 0);
    assert(first.retrySoon, "a retry is asked for");
    const second = await pass(src, dest, { chunkOps: 15 });
    assertEquals(second.deleted, 1, `the empty ${removed} removed`);
    assertMirror(src, dest);
  });
});
