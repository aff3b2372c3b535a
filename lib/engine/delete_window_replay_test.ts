/** replayDeleteWindow: a daemon's window worked out from its journal. */

import { assertEquals } from "../../testing/assert.ts";
import { copyIntent } from "../../testing/records.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { JournalWriter } from "../journal/writer.ts";
import type { Unstamped } from "../journal/record.ts";
import { replayDeleteWindow } from "./delete_window_replay.ts";

const fs = new DenoFileSystem();
const MIN = 60_000;

/** A journal written at the times `clock.t` says. */
async function journal(dir: string, clock: { t: number }) {
  const w = await JournalWriter.open(fs, dir, { source: "/s", now: () => clock.t });
  /** Journals `intents` and their `done` records. */
  const apply = async (intents: Unstamped[]) => {
    const written = await w.append(intents);
    await w.append(written.map((r) => ({ type: "done" as const, ref: r.seq })));
    return written;
  };
  const del = (path: string): Unstamped => ({
    type: "intent",
    op: "delete",
    path,
    reason: "scan",
  });
  return { w, apply, del };
}

Deno.test("replayDeleteWindow counts the deletions since the daemon started, within the hour, not undone", async () => {
  await using t = await tempDir();
  const dir = `${t.path}/journal`;
  const clock = { t: 0 };
  const { w, apply, del } = await journal(dir, clock);
  await apply(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map(copyIntent));
  clock.t = 10 * MIN;
  await apply([del("a")]); // before the daemon started: not its window
  clock.t = 20 * MIN;
  await apply([del("b"), del("c")]);
  clock.t = 30 * MIN;
  await apply([del("d"), copyIntent("c")]); // c is back: no longer a loss
  await w.close();
  const at = (now: number) => replayDeleteWindow(fs, dir, { since: 15 * MIN, now });
  assertEquals(at(31 * MIN), {
    view: { deleted: 2, baseline: 9 },
    tracked: 7,
    hold: null,
  });
  assertEquals(at(81 * MIN).view, { deleted: 1, baseline: 7 }, "b's hour is over: d's start");
  assertEquals(at(91 * MIN).view, { deleted: 0, baseline: 7 });
});

Deno.test("replayDeleteWindow: a hold in force; a confirmation empties the window and its deletions never count", async () => {
  await using t = await tempDir();
  const dir = `${t.path}/journal`;
  const clock = { t: 0 };
  const { w, apply, del } = await journal(dir, clock);
  await apply(["a", "b", "c", "d", "e"].map(copyIntent));
  clock.t = MIN;
  await apply([del("a")]);
  const [held] = await w.append([{ type: "held", count: 3, tracked: 5, sample: ["b", "c", "d"] }]);
  const before = replayDeleteWindow(fs, dir, { since: 0, now: 2 * MIN });
  assertEquals([before.view.deleted, before.hold], [1, { seq: held!.seq, count: 3 }]);
  await w.append([{ type: "confirmed", ref: held!.seq, count: 3 }]);
  await apply([del("b"), del("c"), del("d")]);
  clock.t = 3 * MIN;
  await apply([del("e")]);
  await w.close();
  const after = replayDeleteWindow(fs, dir, { since: 0, now: 4 * MIN });
  assertEquals([after.view.deleted, after.hold, after.tracked], [1, null, 0]);
});

Deno.test("replayDeleteWindow: entries made while the window is open and deleted again are churn", async () => {
  await using t = await tempDir();
  const dir = `${t.path}/journal`;
  const clock = { t: 0 };
  const { w, apply, del } = await journal(dir, clock);
  await apply(["a", "b"].map(copyIntent));
  await apply([del("a")]); // opens the window
  for (const n of ["tmp1", "tmp2", "tmp3"]) {
    await apply([copyIntent(n)]);
    await apply([del(n)]);
  }
  await w.close();
  assertEquals(replayDeleteWindow(fs, dir, { since: 0, now: 1 }).view, { deleted: 1, baseline: 2 });
});
