import { assert, assertEquals } from "../../testing/assert.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import type { PassSummary } from "../engine/summary.ts";
import { LiveHub } from "./hub.ts";
import { LIVE_EVERY_MS, LiveReporter } from "./live_reporter.ts";

Deno.test("LiveReporter: every operation, throttled progress, the pass at the end", () => {
  const hub = new LiveHub();
  const events: Record<string, unknown>[] = [];
  hub.subscribe((e) => events.push(e));
  let now = 0;
  const r = new LiveReporter(hub, "job", () => now);
  const copy = { op: "copy", path: "a", src: { size: 1000 } } as unknown as FileOp;
  r.planned(1, "scan", [copy]);
  now = 10;
  r.copying(100); // too soon for a progress event
  now = LIVE_EVERY_MS + 20;
  r.copying(400);
  r.applied("copy", "a", 1000, "ok", null);
  r.ended({ pass: 1, retryDirs: new Set(), durationMs: 5 } as unknown as PassSummary);
  const names = events.map((e) => e.event);
  assertEquals(names, ["pass-start", "progress", "op", "pass"]);
  const progress = events[1]!;
  assertEquals(progress.bytesDone, 500);
  assertEquals(progress.bytes, 1000);
  assert(typeof progress.bytesPerSecond === "number");
  assertEquals(events[2]!.path, "a");
  assertEquals(hub.job("job").phase, "idle");
});
