/** emptySummary and changedCount. */

import { assertEquals } from "../../testing/assert.ts";
import { changedCount, emptySummary } from "./summary.ts";

Deno.test("emptySummary has every count at zero, nothing skipped or interrupted", () => {
  const summary = emptySummary(3, "watch");
  assertEquals(summary.pass, 3);
  assertEquals(summary.trigger, "watch");
  for (const [key, value] of Object.entries(summary)) {
    if (typeof value === "number" && key !== "pass") assertEquals(value, 0, key);
  }
  assertEquals([summary.retrySoon, summary.skipped, summary.interrupted], [false, null, false]);
  assertEquals(summary.retryDirs.size, 0);
  assertEquals(changedCount(summary), 0);
});

Deno.test("emptySummary gives each summary its own retryDirs", () => {
  const one = emptySummary(1, "scan");
  const two = emptySummary(2, "scan");
  one.retryDirs.add("a");
  assertEquals(two.retryDirs.size, 0);
});

Deno.test("changedCount adds copies, deletes, folders, links, metadata and moves, not the rest", () => {
  const summary = {
    ...emptySummary(1, "scan"),
    copied: 1,
    deleted: 2,
    dirs: 4,
    links: 8,
    meta: 16,
    moved: 32,
  };
  assertEquals(changedCount(summary), 63);
  const notChanges = {
    ...emptySummary(1, "scan"),
    bytes: 100,
    failed: 1,
    unreadable: 1,
    badNames: 1,
    tempsRemoved: 1,
    missed: 1,
    held: 1,
  };
  assertEquals(changedCount(notChanges), 0);
});
