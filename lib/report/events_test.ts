import { assertEquals } from "../../testing/assert.ts";
import { emptySummary } from "../engine/summary.ts";
import { EventStream, summaryJson } from "./events.ts";

/** An event stream writing into a list, at a fixed time. */
function capture(options: { job?: string } = {}) {
  const lines: { event: Record<string, unknown>; flush: boolean }[] = [];
  const stream = new EventStream(
    (line, flush) => lines.push({ event: JSON.parse(line), flush }),
    { ...options, now: () => Date.UTC(2024, 0, 1) },
  );
  return { stream, lines };
}

Deno.test("EventStream writes one JSON object a line with event, time and the fields", () => {
  const written: string[] = [];
  const stream = new EventStream((line) => written.push(line), { now: () => 0 });
  stream.emit("warning", { message: "two\nlines", path: "a/b" });
  assertEquals(written, [
    '{"event":"warning","time":"1970-01-01T00:00:00.000Z","message":"two\\nlines","path":"a/b"}',
  ]);
});

Deno.test("EventStream adds the job's name only when it has one", () => {
  const plain = capture();
  plain.stream.emit("start");
  assertEquals(plain.lines[0]!.event, { event: "start", time: "2024-01-01T00:00:00.000Z" });
  const job = capture({ job: "photos" });
  job.stream.emit("stop", { code: 0 });
  assertEquals(job.lines[0]!.event, {
    event: "stop",
    time: "2024-01-01T00:00:00.000Z",
    job: "photos",
    code: 0,
  });
});

Deno.test("EventStream asks to flush every event but op events", () => {
  const { stream, lines } = capture();
  const names = [
    "start",
    "pass-start",
    "progress",
    "op",
    "pass",
    "warning",
    "error",
    "stop",
  ] as const;
  for (const name of names) stream.emit(name);
  assertEquals(
    lines.map((l) => `${l.event.event}:${l.flush}`),
    names.map((name) => `${name}:${name !== "op"}`),
  );
});

Deno.test("EventStream uses the real clock by default", () => {
  const lines: string[] = [];
  const before = Date.now();
  new EventStream((line) => lines.push(line)).emit("start");
  const time = Date.parse(JSON.parse(lines[0]!).time);
  assertEquals(time >= before && time <= Date.now(), true);
});

Deno.test("summaryJson keeps every count, leaves out the retry folders and rounds the duration", () => {
  const summary = {
    ...emptySummary(3, "watch"),
    copied: 2,
    bytes: 10,
    retryDirs: new Set(["a"]),
    retrySoon: true,
    durationMs: 41.6,
  };
  const json = summaryJson(summary);
  const { retryDirs: _, ...rest } = summary;
  assertEquals(json, { ...rest, durationMs: 42 });
  assertEquals(JSON.parse(JSON.stringify(json)), json, "plain JSON");
});
