/**
 * The pass's mass-delete guard: its window (deletions of earlier passes count), and a
 * confirmation taken from the request file only when it names the hold in force.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { put, snapshot, withRoots } from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { readJournal } from "../journal/reader.ts";
import type { JournalRecord } from "../journal/record.ts";
import { Reconciler } from "./reconciler.ts";
import { confirmPath, writeConfirmRequest } from "./confirm_request.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };
const fs = new DenoFileSystem();

/** Every record of the journal of `dest`. */
function records(dest: string): JournalRecord[] {
  const out: JournalRecord[] = [];
  readJournal(fs, journalDir(dest), { repair: false, onRecord: (r) => out.push(r) });
  return out;
}

Deno.test("pass guard: deletions of earlier passes count, so a sliced mass delete is held", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 10; i++) put(`${src}/f${i}`, `${i}`);
    const rec = await Reconciler.start(fs, {
      source: src,
      dest,
      logs,
      deleteLimits: { maxCount: 2, maxShare: 0.3 },
    });
    try {
      await rec.pass();
      Deno.removeSync(`${src}/f0`);
      Deno.removeSync(`${src}/f1`);
      const first = await rec.pass();
      assertEquals([first.deleted, first.held], [2, 0], "2 alone is within the limits");
      Deno.removeSync(`${src}/f2`);
      Deno.removeSync(`${src}/f3`);
      const second = await rec.pass();
      assertEquals([second.deleted, second.held], [0, 2], "4 of 10 in the window: held");
      assert(snapshot(dest).has("f2"));
      // One of them back: the other is within the limits on its own, but stays held.
      put(`${src}/f2`, "2");
      const sticky = await rec.pass();
      assertEquals([sticky.deleted, sticky.held], [0, 1]);
      assert(snapshot(dest).has("f3"), "a held deletion never leaks out unconfirmed");
      // Brought back: they stop counting, and the next deletion is judged without them.
      put(`${src}/f0`, "0");
      put(`${src}/f1`, "1");
      put(`${src}/f3`, "3");
      await rec.pass();
      Deno.removeSync(`${src}/f4`);
      const third = await rec.pass();
      assertEquals([third.deleted, third.held], [1, 0]);
    } finally {
      await rec.close();
    }
  });
});

Deno.test("pass guard: a confirmation naming another hold is ignored; one naming the hold in force deletes and is journaled", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 6; i++) put(`${src}/f${i}`, `${i}`);
    const rec = await Reconciler.start(fs, {
      source: src,
      dest,
      logs,
      deleteLimits: { maxCount: 2, maxShare: 0.3 },
    });
    try {
      await rec.pass();
      for (let i = 0; i < 4; i++) Deno.removeSync(`${src}/f${i}`);
      assertEquals((await rec.pass()).held, 4);
      const held = records(dest).filter((r) => r.type === "held").at(-1)!;
      writeConfirmRequest(fs, dest, held.seq + 1000); // not a hold of this daemon
      const ignored = await rec.pass();
      assertEquals([ignored.held, ignored.deleted], [4, 0]);
      assertEquals(Deno.lstatSync(dest + "/f0").isFile, true);
      const current = records(dest).filter((r) => r.type === "held").at(-1)!;
      writeConfirmRequest(fs, dest, current.seq);
      const confirmed = await rec.pass();
      assertEquals([confirmed.held, confirmed.deleted], [0, 4]);
      const mark = records(dest).find((r) => r.type === "confirmed");
      assertEquals(mark && { ref: mark.ref, count: mark.count }, { ref: current.seq, count: 4 });
      let left = true;
      try {
        Deno.lstatSync(confirmPath(dest));
      } catch {
        left = false;
      }
      assertEquals(left, false, "the request was taken");
      // The confirmed deletions do not count against the next ones.
      Deno.removeSync(`${src}/f4`);
      assertEquals((await rec.pass()).deleted, 1);
    } finally {
      await rec.close();
    }
  });
});
