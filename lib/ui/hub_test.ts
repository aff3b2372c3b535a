import { assertEquals } from "../../testing/assert.ts";
import { LiveHub, RECENT_OPS } from "./hub.ts";

Deno.test("LiveHub: a job's phase follows its events, and listeners get each event", () => {
  const hub = new LiveHub(() => 0);
  const seen: string[] = [];
  const stop = hub.subscribe((e) => seen.push(`${e.job}:${e.event}`));
  assertEquals(hub.job("a").phase, "starting");
  hub.emit("a", "pass-start", { pass: 1 });
  assertEquals(hub.job("a").phase, "copying");
  hub.emit("a", "op", { path: "x" });
  hub.emit("a", "pass", { pass: 1 });
  assertEquals(hub.job("a").phase, "idle");
  assertEquals(hub.job("a").progress, null);
  assertEquals(hub.job("a").lastPass?.pass, 1);
  hub.emit("a", "stop", { code: 3 });
  assertEquals(hub.job("a").code, 3);
  stop();
  hub.emit("a", "op", {});
  assertEquals(seen, ["a:pass-start", "a:op", "a:pass", "a:stop"]);
  assertEquals(hub.listeners, 0);
});

Deno.test("LiveHub: keeps only the newest operations, and a failing listener harms no one", () => {
  const hub = new LiveHub();
  let calls = 0;
  hub.subscribe(() => {
    throw new Error("page gone");
  });
  hub.subscribe(() => calls++);
  for (let i = 0; i < RECENT_OPS + 10; i++) hub.emit("j", "op", { n: i });
  assertEquals(hub.job("j").recentOps.length, RECENT_OPS);
  assertEquals(hub.job("j").recentOps[0]!.n, 10);
  assertEquals(calls, RECENT_OPS + 10);
});
