/** moveKey: the one function of pass_owner.ts (the rest are types). */

import { assert, assertEquals } from "../../testing/assert.ts";
import { moveKey } from "./pass_owner.ts";

Deno.test("moveKey is one key per (from, to), in order, that no path split can fake", () => {
  assertEquals(moveKey("a", "b"), moveKey("a", "b"));
  assert(moveKey("a", "b") !== moveKey("b", "a"), "direction counts");
  // Paths hold "/" and spaces but never NUL: no two pairs share a key.
  assert(moveKey("a/b", "c") !== moveKey("a", "b/c"));
  assert(moveKey("a b", "c") !== moveKey("a", "b c"));
  const failed = new Set([moveKey("x", "y")]);
  assert(failed.has(moveKey("x", "y")) && !failed.has(moveKey("x", "z")));
});
