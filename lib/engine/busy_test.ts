/** BusyFiles: the growing delay, the cap, the limit, and forgetting. */

import { assert, assertEquals } from "../../testing/assert.ts";
import { BUSY_PREFIX, BusyFiles } from "./busy.ts";

Deno.test("busy: the delay doubles from 1 s and is capped; waiting until the next try is due", () => {
  const busy = new BusyFiles({ maxDelayMs: 5000 });
  const first = busy.found("a", 0);
  assert(first.first && !first.overLimit);
  assert(first.message.startsWith(BUSY_PREFIX) && first.message.endsWith("in 1 s"), first.message);
  assert(busy.waiting("a", 999) && !busy.waiting("a", 1000) && !busy.waiting("b", 0));
  assertEquals(busy.nextIn(400), 600);
  const second = busy.found("a", 1000);
  assert(!second.first && second.message.endsWith("in 2 s"), second.message);
  assert(busy.found("a", 3000).message.endsWith("in 4 s"));
  assert(busy.found("a", 7000).message.endsWith("in 5 s"), "capped at the interval");
});

Deno.test("busy: past the limit each try is a failure; forget and keepOnly end the spell", () => {
  const busy = new BusyFiles({ limitMs: 10_000 });
  busy.found("a", 0);
  const late = busy.found("a", 10_001);
  assert(late.overLimit && !late.message.startsWith(BUSY_PREFIX), late.message);
  busy.forget("a");
  assert(busy.found("a", 20_000).first, "a new spell after forget");
  busy.found("b", 20_000);
  busy.keepOnly(new Set(["b"]));
  assertEquals(busy.size, 1);
  assert(busy.waiting("b", 20_500) && !busy.waiting("a", 20_500));
  assertEquals(new BusyFiles().nextIn(5), 0);
});
