import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  addInfo,
  cyclicComponents,
  type DenoInfo,
  findCycles,
  type Graph,
  layerViolations,
  showCycle,
} from "./check_cycles.ts";

const P = "file:///p/";

/** A graph from `"a.ts": ["b.ts", "type:c.ts"]` lists (names below {@link P}). */
function graphOf(edges: Record<string, string[]>): Graph {
  const graph: Graph = new Map();
  for (const [from, targets] of Object.entries(edges)) {
    graph.set(
      P + from,
      new Map(
        targets.map((t) => t.startsWith("type:") ? [P + t.slice(5), "type"] : [P + t, "code"]),
      ),
    );
  }
  return graph;
}

function shown(graph: Graph): string[] {
  return findCycles(graph).map((cycle) => showCycle(graph, cycle, P));
}

Deno.test("findCycles: none in a tree or a diamond", () => {
  assertEquals(
    shown(graphOf({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["d.ts"], "c.ts": ["d.ts"] })),
    [],
  );
});

Deno.test("findCycles: a two-module cycle through a type import, printed once", () => {
  const graph = graphOf({ "main.ts": ["a.ts"], "a.ts": ["type:b.ts"], "b.ts": ["a.ts"] });
  assertEquals(shown(graph), ["a.ts -(type)-> b.ts -> a.ts"]);
});

Deno.test("findCycles: every cycle of a component, and separate components, and a self-import", () => {
  const graph = graphOf({
    "a.ts": ["b.ts"],
    "b.ts": ["c.ts", "a.ts"],
    "c.ts": ["a.ts"],
    "x.ts": ["y.ts"],
    "y.ts": ["x.ts"],
    "s.ts": ["s.ts"],
  });
  assertEquals(cyclicComponents(graph).length, 3);
  assertEquals(shown(graph), [
    "a.ts -> b.ts -> a.ts",
    "c.ts -> a.ts -> b.ts -> c.ts",
    "s.ts -> s.ts",
    "x.ts -> y.ts -> x.ts",
  ]);
});

Deno.test("addInfo: keeps the project's modules, code over type edges; a broken module throws", () => {
  const info: DenoInfo = {
    roots: [P + "main.ts"],
    modules: [
      {
        specifier: P + "main.ts",
        dependencies: [
          { code: { specifier: P + "a.ts" }, type: { specifier: P + "a.ts" } },
          { type: { specifier: P + "t.ts" } },
          { code: { specifier: "npm:ignore@7.0.16" } },
        ],
      },
      { specifier: P + "a.ts" },
      { specifier: "npm:ignore@7.0.16", error: "npm specifiers were requested" },
    ],
  };
  const graph: Graph = new Map();
  addInfo(graph, info, P);
  assertEquals([...graph.keys()], [P + "main.ts", P + "a.ts"]);
  assertEquals([...graph.get(P + "main.ts")!], [[P + "a.ts", "code"], [P + "t.ts", "type"]]);
  const broken: DenoInfo = {
    roots: [],
    modules: [{ specifier: P + "gone.ts", error: "not found" }],
  };
  assertThrows(() => addInfo(new Map(), broken, P), Error, "gone.ts: not found");
});

Deno.test("layerViolations: an import up a layer is named, down or within a layer is not, tests are exempt", () => {
  const graph = graphOf({
    "lib/engine/pass.ts": ["lib/base/fs.ts", "lib/engine/plan.ts", "type:lib/report/progress.ts"],
    "lib/report/progress.ts": ["lib/engine/summary.ts"],
    "lib/journal/compact.ts": ["lib/cli/run.ts", "testing/helpers.ts"],
    "lib/engine/pass_test.ts": ["lib/cli/run.ts"],
    "main.ts": ["lib/cli/run.ts"],
  });
  assertEquals(layerViolations(graph, P), [
    "lib/engine/pass.ts -> lib/report/progress.ts (engine imports report, a layer above it)",
    "lib/journal/compact.ts -> lib/cli/run.ts (journal imports cli, a layer above it)",
    "lib/journal/compact.ts -> testing/helpers.ts (lib/ imports outside lib/)",
  ]);
});
