// deno-lint-ignore-file no-console
/**
 * Import-cycle check: builds the module graph of every entry point (main.ts,
 * the unit and black-box tests, the benchmarks, the tools) with
 * `deno info --json`, and prints each cycle among the project's own modules.
 * Type-only imports count: a cycle of types still ties two modules together.
 * Sets exit code 1 when there is one (`deno task cycles`).
 *
 * @module
 */

/** A module graph: module -> the modules it imports, each with how. */
export type Graph = Map<string, Map<string, ImportKind>>;

/** How one module imports another: for its values (`code`) or only for its types. */
export type ImportKind = "code" | "type";

/** The part of `deno info --json` output read here. */
export interface DenoInfo {
  roots: string[];
  modules: {
    specifier: string;
    error?: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}

/**
 * Adds the project's modules of one `deno info --json` output to `graph`:
 * those whose specifier starts with `prefix` (a `file://` URL of the project).
 *
 * @throws Error when one of them could not be loaded (a missing file): its imports are unknown.
 */
export function addInfo(graph: Graph, info: DenoInfo, prefix: string): void {
  for (const module of info.modules) {
    if (!module.specifier.startsWith(prefix)) continue;
    if (module.error !== undefined) throw new Error(`${module.specifier}: ${module.error}`);
    const edges = graph.get(module.specifier) ?? new Map<string, ImportKind>();
    graph.set(module.specifier, edges);
    for (const dep of module.dependencies ?? []) {
      const code = dep.code?.specifier;
      const type = dep.type?.specifier;
      if (code?.startsWith(prefix)) edges.set(code, "code");
      if (type?.startsWith(prefix) && !edges.has(type)) edges.set(type, "type");
    }
  }
}

/** Strongly connected components of `graph` with a cycle in them (Tarjan's algorithm). */
export function cyclicComponents(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (module: string): void => {
    index.set(module, counter);
    low.set(module, counter);
    counter++;
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(module, Math.min(low.get(module)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(module, Math.min(low.get(module)!, index.get(next)!));
      }
    }
    if (low.get(module) !== index.get(module)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
      if (member === module) break;
    }
    if (component.length > 1 || graph.get(module)?.has(module)) found.push(component.sort());
  };
  for (const module of [...graph.keys()].sort()) if (!index.has(module)) visit(module);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/**
 * The shortest cycle through `start` inside `members` (breadth-first), as a
 * path that ends where it starts.
 */
export function shortestCycle(graph: Graph, members: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const module = queue[head]!;
    for (const next of graph.get(module)?.keys() ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const back: string[] = [];
        for (let step = module; step !== start; step = cameFrom.get(step)!) back.push(step);
        return [start, ...back.reverse(), start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, module);
        queue.push(next);
      }
    }
  }
  return [];
}

/**
 * Every cycle to report: for each cyclic component, the shortest cycle through
 * each of its modules, without repeats (a rotation of a printed cycle is the
 * same cycle).
 */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const component of cyclicComponents(graph)) {
    const members = new Set(component);
    for (const start of component) {
      const cycle = shortestCycle(graph, members, start);
      const ring = cycle.slice(0, -1);
      const first = ring.indexOf([...ring].sort()[0]!);
      const key = [...ring.slice(first), ...ring.slice(0, first)].join(" ");
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** One cycle for people: `a.ts -> b.ts -(type)-> a.ts`, paths relative to `prefix`. */
export function showCycle(graph: Graph, cycle: string[], prefix: string): string {
  let text = cycle[0]!.slice(prefix.length);
  for (let i = 1; i < cycle.length; i++) {
    const kind = graph.get(cycle[i - 1]!)?.get(cycle[i]!);
    text += (kind === "type" ? " -(type)-> " : " -> ") + cycle[i]!.slice(prefix.length);
  }
  return text;
}

/**
 * The layers of lib/, lowest first. A production module may import its own
 * layer and the layers below it, never one above (DESIGN.md: "arrows point
 * down"): the journal knows nothing of passes, the engine nothing of how its
 * reports are shown, no library code knows the commands. Tests may import
 * anything.
 */
export const LAYERS = ["base", "journal", "dest", "engine", "report", "daemon", "cli", "ui"];

/** The layer of a project-relative path (`lib/engine/pass.ts` -> `engine`), or null outside lib/. */
function layerOf(rel: string): string | null {
  const m = /^lib\/([a-z]+)\//.exec(rel);
  return m ? m[1]! : null;
}

/**
 * Every import of a production module of lib/ that points up a layer, as
 * `from -> to` with project-relative paths. Test files (`*_test.ts`) are exempt.
 */
export function layerViolations(graph: Graph, prefix: string): string[] {
  const out: string[] = [];
  for (const [from, deps] of graph) {
    if (!from.startsWith(prefix)) continue;
    const fromRel = from.slice(prefix.length);
    const fromLayer = layerOf(fromRel);
    if (fromLayer === null || fromRel.endsWith("_test.ts")) continue;
    for (const to of deps.keys()) {
      if (!to.startsWith(prefix)) continue;
      const toRel = to.slice(prefix.length);
      const toLayer = layerOf(toRel);
      if (toLayer === null) {
        out.push(`${fromRel} -> ${toRel} (lib/ imports outside lib/)`);
      } else if (LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer)) {
        out.push(`${fromRel} -> ${toRel} (${fromLayer} imports ${toLayer}, a layer above it)`);
      }
    }
  }
  return out.sort();
}

/** The entry points: main.ts and every .ts file of tests/, bench/, tools/, and *_test.ts of lib/. */
function entryPoints(root: string): string[] {
  const found = [`${root}/main.ts`];
  const walk = (dir: string, keep: (name: string) => boolean): void => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path, keep);
      else if (entry.isFile && keep(entry.name)) found.push(path);
    }
  };
  walk(`${root}/lib`, (name) => name.endsWith("_test.ts"));
  for (const dir of ["testing", "tests", "bench", "tools"]) {
    walk(`${root}/${dir}`, (name) => name.endsWith(".ts"));
  }
  return found.sort();
}

async function denoInfo(entry: string): Promise<DenoInfo> {
  const output = await new Deno.Command(Deno.execPath(), {
    // npm packages are not the project's modules: not resolving them needs no network.
    args: ["info", "--json", "--no-npm", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno info ${entry} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout)) as DenoInfo;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const prefix = `file://${root}/`;
  const graph: Graph = new Map();
  for (const entry of entryPoints(root)) {
    // A test or tool already reached from another entry adds nothing new.
    if (graph.has(`file://${entry}`)) continue;
    addInfo(graph, await denoInfo(entry), prefix);
  }
  const cycles = findCycles(graph);
  for (const cycle of cycles) console.log(`import cycle: ${showCycle(graph, cycle, prefix)}`);
  const upward = layerViolations(graph, prefix);
  for (const line of upward) console.log(`import up a layer: ${line}`);
  if (cycles.length > 0) {
    console.log(`${cycles.length} import cycle(s) among ${graph.size} modules`);
    Deno.exitCode = 1;
  } else {
    console.log(`no import cycle among ${graph.size} modules`);
  }
  if (upward.length > 0) {
    console.log(`${upward.length} import(s) up a layer (${LAYERS.join(" < ")})`);
    Deno.exitCode = 1;
  } else {
    console.log(`every import points down the layers ${LAYERS.join(" < ")}`);
  }
}
