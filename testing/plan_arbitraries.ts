/**
 * Random trees and states for the planner's property tests
 * (`lib/engine/plan_property_test.ts`, `lib/engine/dirty_folders_test.ts`):
 * paths from a small universe of names, trees in which an entry stands only
 * below folders and inodes are unique, and states made of such trees.
 *
 * @module
 */

import fc from "fast-check";
import type { Entry } from "../lib/base/scan.ts";
import { parentOf } from "../lib/base/paths.ts";
import type { StateEntry } from "../lib/journal/state.ts";

/** Every path of one to three levels over `names`, each folder before what it holds. */
export function universe(names: readonly string[]): string[] {
  const paths: string[] = [];
  for (const x of names) {
    paths.push(x);
    for (const y of names) {
      paths.push(`${x}/${y}`);
      for (const z of names) paths.push(`${x}/${y}/${z}`);
    }
  }
  return paths;
}

/**
 * A consistent tree of `paths` (from {@link universe}): `proposed[i]` stands
 * at `paths[i]` only where every folder above it is a folder in the tree, and
 * an inode already used is replaced by a fresh one (100 and up), as on a real
 * file system; different trees still share inodes, which is what makes moves.
 */
export function consistentTree(
  paths: readonly string[],
  proposed: readonly (Entry | null | undefined)[],
): Map<string, Entry> {
  const tree = new Map<string, Entry>();
  const inos = new Set<number>();
  let fresh = 100;
  paths.forEach((path, i) => {
    const e = proposed[i];
    const parent = parentOf(path);
    if (!e || (parent !== "" && tree.get(parent)?.kind !== "dir")) return;
    const ino = inos.has(e.ino) ? fresh++ : e.ino;
    inos.add(ino);
    tree.set(path, { ...e, ino });
  });
  return tree;
}

/**
 * The state that recorded `tree`: the `i`-th entry racy when `racy(i)`, and,
 * with `hashed`, each file with the hash `h<size>`.
 */
export function stateOf(
  tree: ReadonlyMap<string, Entry>,
  racy: (i: number) => boolean,
  hashed: boolean,
): Map<string, StateEntry> {
  const state = new Map<string, StateEntry>();
  let i = 0;
  for (const [path, e] of tree) {
    state.set(path, {
      ...e,
      ...(hashed && e.kind === "file" ? { hash: `h${e.size}` } : {}),
      ...(racy(i++) ? { racy: true } : {}),
    });
  }
  return state;
}

/** An entry of `kind` of the planner's model: mtime 1 or 2, inode 1 to 6, the rest as given. */
function modelEntry(
  kind: Entry["kind"],
  size: fc.Arbitrary<number>,
  mode: fc.Arbitrary<number>,
  target?: fc.Arbitrary<string>,
): fc.Arbitrary<Entry> {
  const fields = {
    kind: fc.constant(kind),
    size,
    mtimeMs: fc.integer({ min: 1, max: 2 }),
    mode,
    ino: fc.integer({ min: 1, max: 6 }),
  };
  return target === undefined ? fc.record(fields) : fc.record({ ...fields, target });
}

/** An entry of the planner's model: a small file, a folder or a symlink, or none. */
export const entryArb: fc.Arbitrary<Entry | null> = fc.oneof(
  fc.constant(null),
  modelEntry("file", fc.integer({ min: 0, max: 2 }), fc.constantFrom(0o644, 0o600)),
  modelEntry("dir", fc.constant(0), fc.constantFrom(0o755, 0o700)),
  modelEntry("symlink", fc.constant(1), fc.constant(0o777), fc.constantFrom("x", "y")),
);

/** A consistent tree over `paths` ({@link consistentTree}) of {@link entryArb} entries. */
export function treeArb(paths: readonly string[]): fc.Arbitrary<Map<string, Entry>> {
  return fc.array(entryArb, { minLength: paths.length, maxLength: paths.length })
    .map((entries) => consistentTree(paths, entries));
}

/** A state of a {@link treeArb} tree, files hashed, entries racy at random. */
export function stateArb(paths: readonly string[]): fc.Arbitrary<Map<string, StateEntry>> {
  return fc.tuple(
    treeArb(paths),
    fc.array(fc.boolean(), { minLength: paths.length, maxLength: paths.length }),
  ).map(([tree, racy]) => stateOf(tree, (i) => racy[i]!, true));
}

/** The kinds a picked entry takes (`KINDS[pick % 5]`): folders and files twice as often. */
export const KINDS = ["dir", "dir", "file", "file", "symlink"] as const;

/** An entry of `kind` whose size, mtime and target follow from the number `v`. */
export function pickedEntry(kind: Entry["kind"], ino: number, v: number): Entry {
  const e: Entry = {
    kind,
    size: kind === "dir" ? 0 : kind === "file" ? v % 3 : 1,
    mtimeMs: 1 + (v % 2),
    mode: kind === "dir" ? 0o755 : kind === "symlink" ? 0o777 : 0o644,
    ino,
  };
  if (kind === "symlink") e.target = v % 2 === 0 ? "x" : "y";
  return e;
}

/**
 * A consistent tree over `paths` from one number a path (`picks[i]`): none
 * when `pick % 7 >= 4`, else a {@link pickedEntry} of kind `KINDS[pick % 5]`
 * with inode `i + 1`.
 */
export function pickedTree(paths: readonly string[], picks: readonly number[]): Map<string, Entry> {
  return consistentTree(
    paths,
    paths.map((_, i) => {
      const p = picks[i]!;
      return p % 7 >= 4 ? null : pickedEntry(KINDS[p % 5]!, i + 1, p);
    }),
  );
}
