// deno-lint-ignore-file no-console
/**
 * Micro-benchmark of a watcher pass's planning over a big state (issue 14):
 * a packed state of `--files` entries in folders of 1,000, and the scans of
 * one folder where one file changed and one is new (then also one renamed),
 * planned as a scoped pass
 * does (`within` from {@link scopeTest}, walked through the state's folders)
 * and as before (a test the planner cannot see into, so every state entry is
 * read and tested). Prints the median time of each, in milliseconds.
 *
 * `deno run bench/scoped_plan.ts [--files N] [--runs R]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Entry } from "../lib/base/scan.ts";
import { StateEntries } from "../lib/journal/state_entries.ts";
import { plan } from "../lib/engine/plan.ts";
import { hashMoveCandidates } from "../lib/engine/moves.ts";
import { scopeTest } from "../lib/engine/scope_entries.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "1000000" },
    runs: { type: "string", default: "7" },
  },
});
const files = Number(values.files);
const runs = Number(values.runs);
const PER_DIR = 1000;
const dirs = Math.max(1, Math.ceil(files / PER_DIR));
const HASH = "0123456789abcdef0123456789abcdef";

const state = new StateEntries();
let ino = 1;
for (let d = 0; d < dirs; d++) {
  const dir = `d${d}`;
  state.set(dir, { kind: "dir", size: 0, mtimeMs: 1e12, mode: 0o755, ino: ino++ });
  for (let f = 0; f < PER_DIR && d * PER_DIR + f < files; f++) {
    state.set(`${dir}/f${f}`, {
      kind: "file",
      size: 4096,
      mtimeMs: 1e12,
      mode: 0o644,
      ino: ino++,
      hash: HASH,
    });
  }
}
// The scoped pass: the folder in the middle, one file changed, one new.
const folder = `d${Math.floor(dirs / 2)}`;
const source = new Map<string, Entry>();
const dest = new Map<string, Entry>();
for (const [path, t] of state.entriesWithin(new Set([folder]), [])) {
  const e: Entry = { kind: t.kind, size: t.size, mtimeMs: t.mtimeMs, mode: t.mode, ino: t.ino };
  source.set(path, e);
  dest.set(path, { ...e, ino: e.ino + 10_000_000 });
}
source.set(`${folder}/f1`, { ...source.get(`${folder}/f1`)!, mtimeMs: 2e12 });
source.set(`${folder}/new`, { kind: "file", size: 4096, mtimeMs: 2e12, mode: 0o644, ino: ino++ });

const scoped = scopeTest(new Set([folder]), []);
const opaque = (rel: string) => scoped(rel);

function time(within: (rel: string) => boolean): { ms: number; ops: number } {
  const took: number[] = [];
  let ops = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    ops = plan(source, state, dest, { within }).length;
    hashMoveCandidates(source, state, dest, within, []);
    took.push(performance.now() - t0);
  }
  took.sort((a, b) => a - b);
  return { ms: took[Math.floor(took.length / 2)]!, ops };
}

const report = (what: string) => {
  const before = time(opaque);
  const after = time(scoped);
  console.log(
    `${what}: state ${state.size} entries, scope ${source.size}: every entry tested ${
      before.ms.toFixed(1)
    } ms (${before.ops} ops), scope's folders only ${after.ms.toFixed(1)} ms (${after.ops} ops)`,
  );
};
report("one file changed, one new");
// Then one file renamed in the folder as well: the plan has a move, and re-roots the state.
const renamed = source.get(`${folder}/f2`)!;
source.delete(`${folder}/f2`);
source.set(`${folder}/f2-renamed`, renamed);
report("and one file renamed");
