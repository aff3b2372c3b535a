/**
 * scanWhole and scanFolders on real temp trees: what a full and a partial
 * pass look at, with excludes, and how a root that is not a folder is told.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { StateEntry } from "../journal/state.ts";
import { LocalDestination } from "../dest/local.ts";
import { passExcludes } from "./excludes.ts";
import { type PassScope, scanFolders, scanWhole, type ScopeOutcome } from "./pass_scope.ts";

const real = new DenoFileSystem();

function roots(src: string, dest: string | null) {
  return {
    fs: real,
    source: src,
    destination: dest === null ? null : new LocalDestination(real, dest),
  };
}

function scoped(outcome: ScopeOutcome): PassScope {
  assert(outcome.status === "scanned", JSON.stringify(outcome));
  return outcome.scope;
}

function paths(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort();
}

/** The state entry of the source folder `abs` as it is now (a folder the backup knows). */
function knownDir(abs: string): StateEntry {
  const info = real.lstat(abs);
  return { kind: "dir", size: 0, mtimeMs: info.mtimeMs, mode: info.mode, ino: info.ino };
}

Deno.test("scanWhole scans both trees whole, excluded source entries left out and excluded destination ones kept", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/a.txt`, "a");
  put(`${src}/skip.log`, "x");
  put(`${src}/sub/b.txt`, "b");
  put(`${dest}/a.txt`, "a");
  put(`${dest}/old.log`, "kept");
  const excludes = passExcludes(real, src, { patterns: ["*.log"] });
  const heard: (string | null)[] = [];
  const scope = scoped(
    await scanWhole(roots(src, dest), excludes, (failure) => heard.push(failure)),
  );
  assertEquals(paths(scope.src.entries), ["a.txt", "sub", "sub/b.txt"]);
  assertEquals(paths(scope.dst.entries), ["a.txt"]);
  assertEquals(scope.within, undefined);
  assertEquals(scope.excludes, excludes);
  assert(scope.excludes.keeps("old.log"), "the excluded destination file is kept");
  assertEquals(heard, [null]);
});

Deno.test("scanWhole with no destination yet scans it as empty", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  put(`${src}/a.txt`, "a");
  const scope = scoped(await scanWhole(roots(src, null), passExcludes(real, src)));
  assertEquals(paths(scope.src.entries), ["a.txt"]);
  assertEquals(scope.dst.entries.size, 0);
});

Deno.test("scanWhole reports a source that is not a folder, or gone, and a destination that cannot be listed", async () => {
  await using dir = await tempDir();
  put(`${dir.path}/file`, "x");
  const heard: (string | null)[] = [];
  const notDir = await scanWhole(
    roots(`${dir.path}/file`, null),
    passExcludes(real, dir.path),
    (failure) => heard.push(failure),
  );
  assertEquals(notDir, {
    status: "unavailable",
    side: "source",
    reason: "not a folder",
    error: null,
  });
  const gone = await scanWhole(roots(`${dir.path}/none`, null), passExcludes(real, dir.path));
  assert(gone.status === "unavailable" && gone.side === "source" && gone.error !== null);
  assertEquals(heard, ["not a folder"]);

  const src = `${dir.path}/src`;
  put(`${src}/a.txt`, "a");
  const badDest = await scanWhole(roots(src, `${dir.path}/file`), passExcludes(real, src));
  assert(badDest.status === "unavailable", badDest.status);
  assertEquals(badDest.side, "destination");
});

Deno.test("scanFolders lists a named folder's direct children and not a known child folder's insides", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/top/a.txt`, "a");
  put(`${src}/top/known/deep.txt`, "d");
  put(`${src}/elsewhere/e.txt`, "e");
  put(`${dest}/top/stale.txt`, "s");
  put(`${dest}/elsewhere/e.txt`, "e");
  Deno.mkdirSync(`${dest}/top/known`);
  const state = new Map([["top/known", knownDir(`${src}/top/known`)]]);
  const scope = scoped(
    await scanFolders(roots(src, dest), new Set(["top"]), passExcludes(real, src), state),
  );
  assertEquals(paths(scope.src.entries), ["top", "top/a.txt", "top/known"]);
  assertEquals(paths(scope.dst.entries), ["top", "top/known", "top/stale.txt"]);
  const within = scope.within!;
  assert(within("top") && within("top/a.txt") && within("top/known"));
  assert(!within("top/known/deep.txt"), "a known folder's insides are not in scope");
  assert(!within("elsewhere/e.txt"));
});

Deno.test("scanFolders scans a new child folder whole, and a destination folder the source lacks", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/top/fresh/x/y.txt`, "y");
  put(`${dest}/top/removed/z.txt`, "z");
  const scope = scoped(
    await scanFolders(roots(src, dest), new Set(["top"]), passExcludes(real, src), new Map()),
  );
  assertEquals(paths(scope.src.entries), ["top", "top/fresh", "top/fresh/x", "top/fresh/x/y.txt"]);
  assertEquals(paths(scope.dst.entries), ["top", "top/removed", "top/removed/z.txt"]);
  assert(scope.within!("top/fresh/x/y.txt") && scope.within!("top/removed/z.txt"));
});

Deno.test("scanFolders ignores hints for excluded folders and for folders the source no longer has", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/cache/a.txt`, "a");
  put(`${src}/keep/b.txt`, "b");
  Deno.mkdirSync(dest);
  const excludes = passExcludes(real, src, { patterns: ["cache/"] });
  const scope = scoped(
    await scanFolders(roots(src, dest), new Set(["cache", "vanished"]), excludes, new Map()),
  );
  assertEquals(scope.src.entries.size, 0);
  assertEquals(scope.dst.entries.size, 0);
  assert(!scope.within!("cache/a.txt"));
});

Deno.test("scanFolders falls back to a whole scan when the destination is missing", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  put(`${src}/a/b.txt`, "b");
  put(`${src}/c.txt`, "c");
  const scope = scoped(
    await scanFolders(roots(src, null), new Set(["a"]), passExcludes(real, src), new Map()),
  );
  assertEquals(scope.within, undefined, "a full scope");
  assertEquals(paths(scope.src.entries), ["a", "a/b.txt", "c.txt"]);
});
