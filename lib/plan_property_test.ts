/**
 * Property test of the planner: for random source, state and destination
 * trees, carrying out the plan on a model of the destination (which refuses
 * what a real file system would refuse) always yields a mirror of the source,
 * with every folder's metadata set after the last change inside it.
 */

import fc from "fast-check";
import { plan, type PlanOp, resolveVerify } from "./plan.ts";
import type { Entry } from "./scan.ts";
import type { StateEntry } from "./state.ts";
import { isAtOrBelow, parentOf } from "./paths.ts";

const NAMES = ["a", "b"];
const UNIVERSE: string[] = [];
for (const x of NAMES) {
  UNIVERSE.push(x);
  for (const y of NAMES) {
    UNIVERSE.push(`${x}/${y}`);
    for (const z of NAMES) UNIVERSE.push(`${x}/${y}/${z}`);
  }
}

const entryArb: fc.Arbitrary<Entry | null> = fc.oneof(
  fc.constant(null),
  fc.record({
    kind: fc.constant("file" as const),
    size: fc.integer({ min: 0, max: 2 }),
    mtimeMs: fc.integer({ min: 1, max: 2 }),
    mode: fc.constantFrom(0o644, 0o600),
    ino: fc.integer({ min: 1, max: 2 }),
  }),
  fc.record({
    kind: fc.constant("dir" as const),
    size: fc.constant(0),
    mtimeMs: fc.integer({ min: 1, max: 2 }),
    mode: fc.constantFrom(0o755, 0o700),
    ino: fc.constant(9),
  }),
  fc.record({
    kind: fc.constant("symlink" as const),
    size: fc.constant(1),
    mtimeMs: fc.integer({ min: 1, max: 2 }),
    mode: fc.constant(0o777),
    ino: fc.constant(7),
    target: fc.constantFrom("x", "y"),
  }),
);

/** A consistent tree: an entry exists only where all its ancestors are folders. */
const treeArb: fc.Arbitrary<Map<string, Entry>> = fc.array(entryArb, {
  minLength: UNIVERSE.length,
  maxLength: UNIVERSE.length,
}).map((entries) => {
  const tree = new Map<string, Entry>();
  UNIVERSE.forEach((path, i) => {
    const e = entries[i];
    const parent = parentOf(path);
    if (e && (parent === "" || tree.get(parent)?.kind === "dir")) tree.set(path, e);
  });
  return tree;
});

const stateArb: fc.Arbitrary<Map<string, StateEntry>> = fc.tuple(
  treeArb,
  fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length }),
).map(([tree, racy]) => {
  const state = new Map<string, StateEntry>();
  let i = 0;
  for (const [path, e] of tree) {
    state.set(path, {
      ...e,
      ...(e.kind === "file" ? { hash: `h${e.size}` } : {}),
      ...(racy[i++] ? { racy: true } : {}),
    });
  }
  return state;
});

function fail(msg: string): never {
  throw new Error(msg);
}

Deno.test("plan() carried out on a model destination always yields a mirror of the source", () => {
  fc.assert(
    fc.property(treeArb, stateArb, treeArb, fc.boolean(), (src, state, dest, sameHash) => {
      const ops: PlanOp[] = plan(src, state, dest).map((op) =>
        op.op === "verify"
          ? resolveVerify(op, state.get(op.path), "h", sameHash ? "h" : "other") ?? op
          : op
      );
      const model = new Map(dest);
      const metaDone = new Set<string>();
      for (const op of ops) {
        const parent = parentOf(op.path);
        if (op.op !== "meta" && metaDone.has(parent)) {
          fail(`${op.op} ${op.path} after its folder's metadata was set`);
        }
        if (op.op !== "meta" && op.op !== "verify") {
          // Creating, renaming or removing an entry changes its folder's mtime.
          const folder = model.get(parent);
          if (folder) model.set(parent, { ...folder, mtimeMs: -1 });
        }
        switch (op.op) {
          case "delete":
            for (const p of model.keys()) {
              if (p !== op.path && isAtOrBelow(p, op.path)) fail(`delete ${op.path}: not empty`);
            }
            model.delete(op.path);
            break;
          case "mkdir":
          case "copy":
          case "symlink":
            if (parent !== "" && model.get(parent)?.kind !== "dir") {
              fail(`${op.op} ${op.path}: no parent folder`);
            }
            if (model.get(op.path)?.kind === "dir") fail(`${op.op} ${op.path}: a folder is there`);
            if (op.op === "mkdir" && model.has(op.path)) fail(`mkdir ${op.path}: exists`);
            model.set(op.path, op.src);
            break;
          case "meta":
            if (model.get(op.path)?.kind !== op.src.kind) fail(`meta ${op.path}: wrong kind`);
            model.set(op.path, op.src);
            if (op.src.kind === "dir") metaDone.add(op.path);
            break;
          case "verify":
            // resolveVerify returned null: the content is already right.
            break;
        }
      }
      for (const [path, s] of src) {
        const d = model.get(path) ?? fail(`missing ${path}`);
        if (d.kind !== s.kind) fail(`${path}: kind ${d.kind} != ${s.kind}`);
        if (s.kind === "symlink" && d.target !== s.target) fail(`${path}: target`);
        if (s.kind !== "symlink" && (d.mode !== s.mode || d.mtimeMs !== s.mtimeMs)) {
          fail(`${path}: metadata`);
        }
        if (s.kind === "file" && d.size !== s.size) fail(`${path}: size`);
      }
      for (const path of model.keys()) if (!src.has(path)) fail(`extra ${path}`);
    }),
    { numRuns: 2000 },
  );
});
