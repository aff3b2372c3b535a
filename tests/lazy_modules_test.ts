/**
 * What a local backup loads: the off-site SDKs and the dashboard are not in
 * main.ts's static module graph (they are loaded by `import()` with a literal
 * specifier only when a bucket or `--ui` asks), and they are still in its
 * whole graph, so `deno compile` embeds them (statically analyzable dynamic
 * imports are included). Read from `deno info --json main.ts`: the graph
 * `deno run` and `deno compile` load.
 *
 * Why it matters (docs/benchmarks.md, branch `lean`): importing
 * `@aws-sdk/client-s3` or `@azure/storage-blob` alone made a 29 MiB Deno a
 * 65 MiB one, and every run paid it, a local one too.
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";

interface Info {
  roots: string[];
  redirects: Record<string, string>;
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
  }[];
}

/** What a local run must not load at start: the SDKs, their helpers, the dashboard's server. */
const HEAVY = [
  /^npm:\/@aws-sdk\//,
  /^npm:\/@smithy\//,
  /^npm:\/@azure\//,
  /^npm:\/hono@/,
  /^npm:\/uplot@/,
];

async function graphOfMain(): Promise<Info> {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", main],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
}

/** The modules `roots` reach through static imports (values, not types), each with the module that imports it. */
function staticReach(info: Info): Map<string, string> {
  const resolve = (s: string) => info.redirects[s] ?? s;
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const reached = new Map<string, string>();
  const queue = info.roots.map(resolve);
  for (const root of queue) reached.set(root, "");
  while (queue.length > 0) {
    const from = queue.pop()!;
    for (const dep of modules.get(from)?.dependencies ?? []) {
      if (dep.code === undefined || dep.isDynamic) continue;
      const to = resolve(dep.code.specifier);
      if (reached.has(to)) continue;
      reached.set(to, from);
      queue.push(to);
    }
  }
  return reached;
}

Deno.test("a local run loads no off-site SDK and no dashboard: they are behind import() seams that deno compile still embeds", async () => {
  const info = await graphOfMain();
  const reached = staticReach(info);
  const chain = (s: string) => {
    const out = [s];
    for (let at = reached.get(s); at; at = reached.get(at)) out.push(at);
    return out.join(" <- ");
  };
  const heavy = [...reached.keys()].filter((s) => HEAVY.some((re) => re.test(s)));
  assertEquals(heavy.map(chain), [], "statically imported from main.ts");
  // Still in the whole graph (the dynamic imports are literal): deno compile embeds them.
  const all = new Set(info.modules.map((m) => m.specifier));
  for (const want of ["lib/dest/s3_remote.ts", "lib/dest/azure_remote.ts", "lib/ui/server.ts"]) {
    assert([...all].some((s) => s.endsWith(want)), `${want} is not in main.ts's graph at all`);
  }
  for (
    const pkg of [/^npm:\/@aws-sdk\/client-s3@/, /^npm:\/@azure\/storage-blob@/, /^npm:\/hono@/]
  ) {
    assert([...all].some((s) => pkg.test(s)), `${pkg} is not in main.ts's graph at all`);
  }
});
