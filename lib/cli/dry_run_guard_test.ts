/** dryRunGuard: the mass-delete guard judged as the real run would judge it. */

import { assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { acquireLock, prepareReserved } from "../dest/reserved.ts";
import { JournalWriter } from "../journal/writer.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import { dryRunGuard } from "./dry_run_guard.ts";

const fs = new DenoFileSystem();
const limits = { maxCount: 3, maxShare: 0.3 };
const deletes = (...paths: string[]) =>
  paths.map((path) => ({ op: "delete", path, kind: "file" }) as unknown as FileOp);
const entries = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`f${i}`, {}]));

Deno.test("dryRunGuard without a daemon judges the plan alone, as a new run does", () => {
  const plan = { ops: deletes("f0", "f1", "f2", "f3"), entries: entries(10), tracked: 10 };
  assertEquals(dryRunGuard(fs, null, plan, { limits, confirmDeletes: false }), {
    held: 4,
    daemon: null,
  });
  const fewer = { ...plan, ops: deletes("f0", "f1", "f2") };
  assertEquals(dryRunGuard(fs, null, fewer, { limits, confirmDeletes: false }).held, 0);
  assertEquals(dryRunGuard(fs, null, plan, { limits, confirmDeletes: true }).held, 0);
});

Deno.test("dryRunGuard beside a running daemon counts the deletions of its window, and a hold in force", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  prepareReserved(fs, dest);
  const w = await JournalWriter.open(fs, journalDir(dest), { source: "/s" });
  const copies = await w.append(
    Array.from({ length: 10 }, (_, i) => ({
      type: "intent" as const,
      op: "copy" as const,
      path: `f${i}`,
      kind: "file" as const,
      size: 1,
      mtime: 1,
      mode: 0o644,
      ino: i + 1,
      reason: "scan" as const,
    })),
  );
  await w.append(copies.map((r) => ({ type: "done" as const, ref: r.seq })));
  const plan = { ops: deletes("f9"), entries: entries(10), tracked: 10 };
  const options = { limits, confirmDeletes: false };
  assertEquals(dryRunGuard(fs, dest, plan, options), { held: 0, daemon: null }, "no daemon");

  const lock = acquireLock(fs, dest);
  try {
    const dels = await w.append(["f0", "f1", "f2"].map((path) => ({
      type: "intent" as const,
      op: "delete" as const,
      path,
      reason: "scan" as const,
    })));
    await w.append(dels.map((r) => ({ type: "done" as const, ref: r.seq })));
    const beside = dryRunGuard(fs, dest, plan, options);
    assertEquals(beside.held, 1, "3 deleted + 1 planned: more than 3 and 30% of 10");
    assertEquals([beside.daemon?.deleted, beside.daemon?.baseline], [3, 10]);
    assertEquals(beside.daemon?.pid, Deno.pid);
    assertEquals(dryRunGuard(fs, dest, plan, { ...options, confirmDeletes: true }).held, 0);

    const [held] = await w.append([{ type: "held", count: 1, tracked: 10, sample: ["f9"] }]);
    const small = { limits: { maxCount: 100, maxShare: 0.5 }, confirmDeletes: false };
    const holding = dryRunGuard(fs, dest, plan, small);
    assertEquals(
      [holding.held, holding.daemon?.hold?.seq],
      [1, held!.seq],
      "held under the limits",
    );
  } finally {
    lock.release();
    await w.close();
  }
});
