import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { getLogger } from "@logtape/logtape";
import { runDaemon, sleep } from "./daemon.ts";
import { JournalIoError } from "../base/errors.ts";
import { emptySummary, type PassSummary } from "../engine/summary.ts";

const summary = (over: Partial<PassSummary> = {}): PassSummary => ({
  ...emptySummary(1, "scan"),
  ...over,
});

Deno.test("runDaemon() keeps going after a pass fails with an ordinary error", async () => {
  const ac = new AbortController();
  let calls = 0;
  const totals = await runDaemon({
    pass: () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error("scan exploded"));
      if (calls === 3) ac.abort();
      return Promise.resolve(summary());
    },
  }, { intervalMs: 1, signal: ac.signal, log: getLogger(["test-silent"]) });
  assertEquals(calls, 3);
  assertEquals(totals.passes, 3);
});

Deno.test("runDaemon() stops on a fatal journal error (fsync failed)", async () => {
  const reported: unknown[] = [];
  await assertRejects(
    () =>
      runDaemon({
        pass: () => Promise.reject(new JournalIoError("fsync failed", { fatal: true })),
      }, { intervalMs: 1, onPassError: (err) => reported.push(err) }),
    JournalIoError,
  );
  assertEquals(reported.length, 1, "onPassError heard of it before the daemon stopped");
});

Deno.test("runDaemon() reports a pass that threw to onPassError, and a finished one to onPass", async () => {
  const ac = new AbortController();
  const seen: string[] = [];
  let calls = 0;
  await runDaemon({
    pass: () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error("scan exploded"));
      ac.abort();
      return Promise.resolve(summary({ pass: calls }));
    },
  }, {
    intervalMs: 1,
    signal: ac.signal,
    log: getLogger(["test-silent"]),
    onPass: (s) => seen.push(`pass ${s.pass}`),
    onPassError: (err) => seen.push(`error ${(err as Error).message}`),
  });
  assertEquals(seen, ["error scan exploded", "pass 2"]);
});

Deno.test("runDaemon() with once runs exactly one pass and reports its failures", async () => {
  let calls = 0;
  const totals = await runDaemon({
    pass: () => (calls++, Promise.resolve(summary({ failed: 2 }))),
  }, { intervalMs: 60_000, once: true });
  assertEquals(calls, 1);
  assertEquals(totals.lastFailed, 2);
});

Deno.test("sleep() ends at once when its signal aborts", async () => {
  const ac = new AbortController();
  const started = performance.now();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await p;
  assert(performance.now() - started < 5_000);
});

Deno.test("runDaemon() runs the work between passes when due, never during a pass", async () => {
  const ac = new AbortController();
  const events: string[] = [];
  let inPass = false;
  let slices = 0;
  await runDaemon({
    pass: async () => {
      inPass = true;
      events.push("pass");
      await sleep(1);
      inPass = false;
      return summary();
    },
  }, {
    intervalMs: 60,
    signal: ac.signal,
    between: {
      dueInMs: () => (slices < 3 ? 0 : 10_000),
      slice: () => {
        assert(!inPass, "a slice ran during a pass");
        events.push("slice");
        if (++slices === 3) setTimeout(() => ac.abort(), 100);
        return Promise.resolve();
      },
    },
  });
  assertEquals(events.slice(0, 4), ["pass", "slice", "slice", "slice"]);
  assert(events.filter((e) => e === "pass").length >= 2, "the interval passes went on");
});
