/**
 * preparePass on real temp trees (full and partial scopes, the source guard's
 * verdict, interrupted paths re-checked by hash) and interruptedPaths.
 */

import { assert, assertEquals, assertIncludes } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import type { IntentRecord } from "../journal/record.ts";
import type { StateEntry } from "../journal/state.ts";
import { StateEntries } from "../journal/state_entries.ts";
import { LocalDestination } from "../dest/local.ts";
import { passExcludes } from "./excludes.ts";
import type { FileOp } from "./pass_plan.ts";
import type { PassScope } from "./pass_scope.ts";
import type { SourceIdentity } from "./source_guard.ts";
import {
  interruptedPaths,
  type PreparedPass,
  preparePass,
  type PrepareRequest,
} from "./prepare.ts";

const real = new DenoFileSystem();

function brief(ops: FileOp[] | null): string[] {
  return (ops ?? []).map((op) =>
    op.op === "move" ? `move ${op.from} -> ${op.path}` : `${op.op} ${op.path}`
  );
}

/** Prepares a pass from `src` to `dest` (null: no destination yet). */
async function prepare(
  src: string,
  dest: string | null,
  request: Partial<PrepareRequest> = {},
  events: Parameters<typeof preparePass>[2] = {},
): Promise<PreparedPass> {
  return await preparePass(
    {
      fs: real,
      hasher: await createHasher(),
      source: src,
      destination: dest === null ? null : new LocalDestination(real, dest),
    },
    {
      state: new Map(),
      suspects: new Set(),
      excludes: passExcludes(real, src),
      identity: null,
      ...request,
    },
    events,
  );
}

/** The state entry for the destination file `abs` as copied from the source file `from`. */
async function stateOf(abs: string, from: string): Promise<StateEntry> {
  const source = real.lstat(from);
  const { hash } = await hashFile(real, abs, await createHasher());
  const info = real.lstat(abs);
  return {
    kind: "file",
    size: info.size,
    mtimeMs: info.mtimeMs,
    mode: source.mode,
    ino: source.ino,
    hash,
  };
}

function identityOf(src: string, over: Partial<SourceIdentity> = {}): SourceIdentity {
  return {
    v: 1,
    source: src,
    dev: real.lstat(src).dev,
    marker: null,
    created: new Date().toISOString(),
    ...over,
  };
}

Deno.test("preparePass plans a full pass against no destination yet, telling the source was scanned before planning", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  put(`${src}/a.txt`, "a");
  put(`${src}/sub/b.txt`, "b");
  const heard: string[] = [];
  let seenScope: PassScope | null = null;
  const prepared = await prepare(src, null, {}, {
    sourceScanned: (failure) => heard.push(`scanned ${failure}`),
    beforePlan: (scope) => {
      heard.push("beforePlan");
      seenScope = scope;
    },
  });
  assert(prepared.status === "planned", prepared.status);
  assertEquals(brief(prepared.ops), ["mkdir sub", "copy a.txt", "copy sub/b.txt", "meta sub"]);
  assertEquals(heard, ["scanned null", "beforePlan"]);
  assert(seenScope !== null && (seenScope as PassScope).within === undefined, "a full scope");
  assertEquals(prepared.scope.dst.entries.size, 0);
});

Deno.test("preparePass reports a source that is missing or not a folder as unavailable", async () => {
  await using dir = await tempDir();
  const heard: (string | null)[] = [];
  const missing = await prepare(`${dir.path}/nothing`, null, {}, {
    sourceScanned: (failure) => heard.push(failure),
  });
  assert(missing.status === "unavailable");
  assertEquals(missing.side, "source");
  assert(missing.error !== null);
  put(`${dir.path}/file`, "x");
  const notDir = await prepare(`${dir.path}/file`, null, {}, {
    sourceScanned: (failure) => heard.push(failure),
  });
  assert(notDir.status === "unavailable");
  assertEquals([notDir.side, notDir.reason, notDir.error], ["source", "not a folder", null]);
  assertEquals(heard.length, 2);
  assertEquals(heard[1], "not a folder");
});

Deno.test("preparePass: the source guard vetoes a source on another device, and plans it only when asked", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/a.txt`, "a");
  Deno.mkdirSync(dest);
  const identity = identityOf(src, { dev: real.lstat(src).dev + 1 });
  let planned = false;
  const vetoed = await prepare(src, dest, { identity }, {
    beforePlan: () => void (planned = true),
  });
  assert(vetoed.status === "vetoed", vetoed.status);
  assertIncludes(vetoed.veto, "another device");
  assertEquals(vetoed.ops, null);
  assertEquals(planned, false, "no beforePlan for a vetoed pass");

  const shown = await prepare(src, dest, { identity, planWhenVetoed: true });
  assert(shown.status === "vetoed", shown.status);
  assertEquals(brief(shown.ops), ["copy a.txt"]);

  const fine = await prepare(src, dest, { identity: identityOf(src) });
  assertEquals(fine.status, "planned");
});

Deno.test("preparePass: an empty source vetoes a full pass over a backup that holds entries, not a partial one", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  Deno.mkdirSync(src);
  put(`${dest}/a.txt`, "a");
  const state = new Map([["a.txt", await stateOf(`${dest}/a.txt`, `${dest}/a.txt`)]]);
  const identity = identityOf(src);
  const full = await prepare(src, dest, { identity, state });
  assert(full.status === "vetoed", full.status);
  assertIncludes(full.veto, "the source is empty");
  const partial = await prepare(src, dest, { identity, state, folders: new Set([""]) });
  assertEquals(partial.status, "planned", "a partial pass leaves emptiness to full passes");
});

Deno.test("preparePass over some folders plans only what lies in them", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/hinted/a.txt`, "a");
  put(`${src}/other/b.txt`, "b");
  Deno.mkdirSync(`${dest}/hinted`, { recursive: true });
  Deno.mkdirSync(`${dest}/other`, { recursive: true });
  const state = new Map<string, StateEntry>();
  for (const folder of ["hinted", "other"]) {
    const info = real.lstat(`${src}/${folder}`);
    state.set(folder, {
      kind: "dir",
      size: 0,
      mtimeMs: info.mtimeMs,
      mode: info.mode,
      ino: info.ino,
    });
  }
  const prepared = await prepare(src, dest, { state, folders: new Set(["hinted"]) });
  assert(prepared.status === "planned", prepared.status);
  const ops = brief(prepared.ops);
  assert(ops.includes("copy hinted/a.txt"), ops.join(", "));
  assert(!ops.some((op) => op.includes("other")), ops.join(", "));
  const within = prepared.scope.within;
  assert(within !== undefined, "a partial scope");
  assert(within("hinted/a.txt") && !within("other/b.txt"));
});

Deno.test("preparePass re-checks an interrupted path by hash although size and mtime match the state", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/a.txt`, "new!");
  put(`${dest}/a.txt`, "old!");
  const mtime = real.lstat(`${src}/a.txt`).mtimeMs;
  real.utime(`${dest}/a.txt`, mtime);
  // The state says the copy was done (it was only intended).
  const entry = { ...(await stateOf(`${dest}/a.txt`, `${src}/a.txt`)), mtimeMs: mtime };
  const state = new Map([["a.txt", entry]]);
  const trusting = await prepare(src, dest, { state });
  assert(trusting.status === "planned");
  assertEquals(brief(trusting.ops), [], "the quick check trusts the state");
  const checked = await prepare(src, dest, { state, suspects: new Set(["a.txt"]) });
  assert(checked.status === "planned");
  assertEquals(brief(checked.ops), ["copy a.txt"], "the hash tells the content differs");
});

Deno.test("preparePass never pairs an interrupted path as a move by its state hash", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${dest}/old.txt`, "same bytes");
  put(`${src}/new.txt`, "same bytes");
  const entry = { ...(await stateOf(`${dest}/old.txt`, `${dest}/old.txt`)), ino: 1 };
  const state = new Map([["old.txt", entry]]);
  const moved = await prepare(src, dest, { state });
  assert(moved.status === "planned");
  assert(brief(moved.ops).includes("move old.txt -> new.txt"), brief(moved.ops).join(", "));
  const suspect = await prepare(src, dest, { state, suspects: new Set(["old.txt"]) });
  assert(suspect.status === "planned");
  assertEquals(brief(suspect.ops), ["delete old.txt", "copy new.txt"]);
});

function intent(fields: Partial<IntentRecord>): IntentRecord {
  return { seq: 1, ts: "", type: "intent", op: "copy", path: "x", reason: "scan", ...fields };
}

Deno.test("interruptedPaths holds each pending intent's path and a move's from", () => {
  const paths = interruptedPaths([
    intent({ op: "copy", path: "a/b.txt" }),
    intent({ op: "move", path: "new", from: "old" }),
    intent({ op: "delete", path: "gone" }),
    intent({ op: "move", path: "no-from" }),
  ]);
  assertEquals([...paths].sort(), ["a/b.txt", "gone", "new", "no-from", "old"]);
  assertEquals(interruptedPaths([]).size, 0);
});

Deno.test("preparePass checks by hash a packed state's entries below an interrupted folder, and trusts the rest", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  for (const folder of ["doubt", "fine"]) {
    put(`${src}/${folder}/a.txt`, "new bytes!");
    put(`${dest}/${folder}/a.txt`, "old bytes!");
    const same = real.lstat(`${src}/${folder}/a.txt`).mtimeMs;
    Deno.utimeSync(`${dest}/${folder}/a.txt`, same / 1000, same / 1000);
  }
  const state = new StateEntries();
  for (const folder of ["doubt", "fine"]) {
    state.set(folder, { kind: "dir", size: 0, mtimeMs: 0, mode: 0o755, ino: 0 });
    state.set(
      `${folder}/a.txt`,
      await stateOf(`${dest}/${folder}/a.txt`, `${src}/${folder}/a.txt`),
    );
  }
  const checked = await prepare(src, dest, { state, suspects: new Set(["doubt", ""]) });
  assert(checked.status === "planned");
  assert(brief(checked.ops).includes("copy doubt/a.txt"), brief(checked.ops).join(", "));
  assert(!brief(checked.ops).includes("copy fine/a.txt"), "the quick check trusts the rest");
  assertEquals(state.size, 4, "the state itself is untouched");
});
