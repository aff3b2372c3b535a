import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { getLogger } from "@logtape/logtape";
import { FULL_PASS_PACE, fullPassGap, runDaemon, sleep } from "./daemon.ts";
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

Deno.test("fullPassGap() is the interval, or PACE times the pass's duration when that is longer", () => {
  assertEquals(fullPassGap(5_000, 100), 5_000);
  assertEquals(fullPassGap(5_000, 24_000), FULL_PASS_PACE * 24_000);
  assertEquals(fullPassGap(60_000, 2_000), 60_000);
  assertEquals(fullPassGap(60_000, 6_000), FULL_PASS_PACE * 6_000);
});

Deno.test("runDaemon() paces full passes: the next starts no sooner than PACE x the last one's duration after it ended", async () => {
  const ac = new AbortController();
  const spans: { start: number; end: number }[] = [];
  await runDaemon({
    pass: async () => {
      const start = Date.now();
      await sleep(20);
      spans.push({ start, end: Date.now() });
      if (spans.length === 3) ac.abort();
      return summary();
    },
  }, { intervalMs: 1, signal: ac.signal });
  assertEquals(spans.length, 3);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const gap = spans[i]!.start - prev.end;
    // 2 ms for the millisecond clock's rounding at both ends.
    assert(
      gap >= FULL_PASS_PACE * (prev.end - prev.start) - 2,
      `pass ${i + 1} came ${gap} ms after`,
    );
  }
});

Deno.test("sleep() ends at once when its signal aborts", async () => {
  const ac = new AbortController();
  const started = performance.now();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await p;
  assert(performance.now() - started < 5_000);
});

Deno.test("runDaemon() with a schedule passes at its times only, none at start without a watcher", async () => {
  const ac = new AbortController();
  const due: number[] = [];
  const ran: number[] = [];
  const announced: number[] = [];
  await runDaemon({
    pass: () => {
      ran.push(Date.now());
      if (ran.length === 2) ac.abort();
      return Promise.resolve(summary());
    },
  }, {
    intervalMs: 1, // ignored: the schedule decides
    signal: ac.signal,
    schedule: {
      next: (after) => {
        due.push(after + 60);
        return after + 60;
      },
    },
    onNextFull: (at) => announced.push(at),
  });
  assertEquals(ran.length, 2);
  assert(ran[0]! >= due[0]!, "the first pass waited for the first time");
  assert(ran[1]! >= due[1]!, "the second pass waited for the next time");
  assertEquals(announced, due, "every next time was announced");
});

Deno.test("runDaemon() with a schedule 40 days ahead waits, without spinning (timers stop at 24 days)", async () => {
  const ac = new AbortController();
  let passes = 0;
  let clock = 0;
  setTimeout(() => ac.abort(), 300);
  await runDaemon({ pass: () => (passes++, Promise.resolve(summary())) }, {
    intervalMs: 1,
    signal: ac.signal,
    schedule: { next: (after) => after + 40 * 86_400_000 },
    now: () => (clock++, Date.now()),
  });
  assertEquals(passes, 0);
  assert(clock < 10, `the loop woke ${clock} times`);
});

Deno.test("runDaemon() with a schedule and a watcher makes a full pass at start", async () => {
  const ac = new AbortController();
  const triggers: string[] = [];
  await runDaemon({
    pass: (trigger) => {
      triggers.push(trigger);
      ac.abort();
      return Promise.resolve(summary());
    },
  }, {
    intervalMs: 1,
    signal: ac.signal,
    schedule: { next: (after) => after + 86_400_000 },
    watcher: {
      active: true,
      pending: false,
      waitForHint: (signal) => sleep(60_000, signal),
      drain: () => ({ full: false, dirs: new Set<string>() }),
    },
  });
  assertEquals(triggers, ["scan"]);
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
