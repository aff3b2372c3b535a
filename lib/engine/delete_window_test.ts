/** DeleteWindow: what counts, against what size, and for how long. */

import { assertEquals } from "../../testing/assert.ts";
import { DELETE_WINDOW_MS, DeleteWindow } from "./delete_window.ts";

Deno.test("delete window: deletions add up against the size at the window's start, until they expire", () => {
  const window = new DeleteWindow(1000);
  const none = () => false;
  assertEquals(window.view(0, 50, none), { deleted: 0, baseline: 50 }, "empty: the size now");
  window.record(0, 1010, ["a", "b"]);
  window.record(500, 1008, ["c"]);
  assertEquals(window.view(600, 1007, none), { deleted: 3, baseline: 1010 });
  assertEquals(window.view(600, 2000, none).baseline, 2000, "a backup that grew since");
  assertEquals(window.view(1200, 1007, none), { deleted: 1, baseline: 1008 }, "the first expired");
  assertEquals(window.view(1600, 1007, none), { deleted: 0, baseline: 1007 });
  assertEquals(DELETE_WINDOW_MS, 3_600_000);
});

Deno.test("delete window: a path the backup holds again stops counting; clear empties it", () => {
  const window = new DeleteWindow();
  window.record(0, 10, ["build/a", "build/b", "x"]);
  const back = new Set(["build/a", "build/b"]);
  assertEquals(window.view(1, 10, (p) => back.has(p)).deleted, 1);
  assertEquals(window.view(2, 10, () => false).deleted, 1, "forgotten once back");
  window.record(3, 9, []);
  window.clear();
  assertEquals(window.view(4, 9, () => false), { deleted: 0, baseline: 9 });
});

Deno.test("DeleteWindow: entries created while the window is open and deleted again are churn, not loss", () => {
  const window = new DeleteWindow(60_000);
  const holds = () => false;
  window.record(0, 10, ["old1"]); // the window opens
  for (let i = 0; i < 300; i++) {
    window.created([`new${i}`]);
    window.record(i + 1, 10 + 1, [`new${i}`]);
  }
  assertEquals(window.view(400, 10, holds).deleted, 1, "only the entry the backup held before");
  window.record(500, 10, ["old2"]);
  assertEquals(window.view(600, 9, holds).deleted, 2);
  assertEquals(window.view(100_000, 9, holds).deleted, 0, "the window passed");
  window.created(["late"]); // an empty window notes nothing
  window.record(100_001, 9, ["late"]);
  assertEquals(window.view(100_002, 8, holds).deleted, 1, "late was there before the window");
});
