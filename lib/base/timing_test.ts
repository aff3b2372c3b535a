import { assert, assertEquals } from "../../testing/assert.ts";
import { MAX_TIMER_SECONDS, sleep } from "./timing.ts";

Deno.test("MAX_TIMER_SECONDS is the longest whole-second wait a timer takes (2^31 - 1 ms)", () => {
  assertEquals(MAX_TIMER_SECONDS, 2_147_483);
  assert(MAX_TIMER_SECONDS * 1000 <= 2 ** 31 - 1);
  assert((MAX_TIMER_SECONDS + 1) * 1000 > 2 ** 31 - 1);
});

Deno.test("sleep resolves after about the time asked", async () => {
  const started = performance.now();
  await sleep(50);
  const took = performance.now() - started;
  assert(took >= 45, `woke after ${took} ms`);
});

Deno.test("sleep resolves at once when the signal aborts, and clears its timer", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const waiting = sleep(60_000, stop.signal); // a timer left behind would fail the test's sanitizer
  setTimeout(() => stop.abort(), 20);
  await waiting;
  assert(performance.now() - started < 5_000);
});

Deno.test("sleep with an already aborted signal does not wait", async () => {
  const stop = new AbortController();
  stop.abort();
  const started = performance.now();
  await sleep(60_000, stop.signal);
  assert(performance.now() - started < 1_000);
});

Deno.test("sleep removes its abort listener once it has woken", async () => {
  const stop = new AbortController();
  let listeners = 0;
  const signal = stop.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => (listeners++, add(...args));
  signal.removeEventListener = (
    ...args: Parameters<typeof remove>
  ) => (listeners--, remove(...args));
  for (let i = 0; i < 5; i++) await sleep(1, signal);
  assertEquals(listeners, 0, "a long-lived signal does not collect listeners");
});
