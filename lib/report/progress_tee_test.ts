import { assertEquals } from "../../testing/assert.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { RunProgress } from "./progress_report.ts";
import { ProgressTee } from "./progress_tee.ts";

Deno.test("ProgressTee: every listener hears every callback, in order", () => {
  const heard: string[] = [];
  const listener = (name: string): RunProgress => ({
    started: () => heard.push(`${name}:started`),
    planned: () => heard.push(`${name}:planned`),
    copying: (n) => heard.push(`${name}:copying ${n}`),
    applied: (_op, path) => heard.push(`${name}:applied ${path}`),
    ended: () => heard.push(`${name}:ended`),
  });
  const tee = new ProgressTee([listener("a"), listener("b")]);
  tee.started({ source: "/s", dest: "/d", once: true, interval: 1 });
  tee.planned(1, "scan", []);
  tee.copying(5);
  tee.applied("copy", "x", 5, "ok", null);
  tee.ended({} as PassSummary);
  assertEquals(heard, [
    "a:started",
    "b:started",
    "a:planned",
    "b:planned",
    "a:copying 5",
    "b:copying 5",
    "a:applied x",
    "b:applied x",
    "a:ended",
    "b:ended",
  ]);
});
