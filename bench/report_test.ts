import { assert, assertEquals } from "../testing/assert.ts";
import { resultsPage } from "./report.ts";

Deno.test("resultsPage: heading, machine, every goal in one table, then the sections", () => {
  const page = resultsPage(
    { title: "T", produced: "made here", env: [["CPU", "2 cores"]], note: "a note" },
    [
      {
        id: "1",
        markdown: "## One",
        goals: [{ id: "1", goal: "g1", measured: "m1", met: true }],
        data: {},
      },
      {
        id: "2",
        markdown: "## Two",
        goals: [{ id: "2", goal: "g2", measured: "m2", met: false }],
        data: {},
      },
    ],
  );
  const lines = page.split("\n");
  assertEquals(lines.slice(0, 3), ["# T", "", "made here"]);
  assert(page.includes("| CPU | 2 cores |"), page);
  assert(page.includes("Note: a note"), page);
  assert(page.includes("| 1 | g1 | m1 | yes |"), page);
  assert(page.includes("| 2 | g2 | m2 | **no** |"), page);
  assert(page.indexOf("## Goals") < page.indexOf("## One"), page);
  assert(page.indexOf("## One") < page.indexOf("## Two"), page);
  assert(page.endsWith("## Two\n"), page);
});

Deno.test("resultsPage: no note line without a note", () => {
  const page = resultsPage({ title: "T", produced: "p", env: [] }, []);
  assert(!page.includes("Note:"), page);
});

Deno.test("resultsPage: the goals table is in the order of the goals' ids", () => {
  const section = (id: string) => ({
    id,
    markdown: `## ${id}`,
    goals: [{ id, goal: `g${id}`, measured: "m", met: true }],
    data: {},
  });
  const page = resultsPage({ title: "T", produced: "p", env: [] }, [section("3"), section("1")]);
  assert(page.indexOf("| 1 | g1 |") < page.indexOf("| 3 | g3 |"), page);
});
