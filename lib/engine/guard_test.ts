import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { RootError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import {
  checkRoots,
  checkSource,
  DEFAULT_DELETE_LIMITS,
  guardedDeletes,
  heldDeletes,
  isMassDelete,
  logFileProblem,
  realish,
  withoutHeld,
} from "./guard.ts";

const real = new DenoFileSystem();

/** The real path of a temp folder (the temp folder itself may sit behind a symlink). */
const realPathOf = (tmp: { path: string }) => Deno.realPathSync(tmp.path);

Deno.test("realish resolves an existing path, or its nearest existing ancestor plus the missing rest", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/real/sub`, { recursive: true });
  Deno.symlinkSync(`${root}/real`, `${root}/alias`);
  assertEquals(realish(real, `${root}/alias/sub`), `${root}/real/sub`);
  assertEquals(realish(real, `${root}/alias/not/yet/there`), `${root}/real/not/yet/there`);
  assertEquals(realish(real, "/"), "/");
  const nowhere = `/no-such-top-${crypto.randomUUID()}/x`;
  assertEquals(realish(real, nowhere), nowhere, "only the root exists");
});

Deno.test("realish throws when a file stands where a folder should be", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  put(`${root}/file`, "x");
  assertThrows(() => realish(real, `${root}/file/below`), Error);
});

Deno.test("checkSource returns the real path of a readable folder, relative to cwd", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src`);
  Deno.symlinkSync(`${root}/src`, `${root}/link`);
  assertEquals(checkSource(real, "src", root), `${root}/src`);
  assertEquals(checkSource(real, "./link/", root), `${root}/src`, "through a symlink");
  assertEquals(checkSource(real, `${root}/other/../src`, "/"), `${root}/src`);
});

Deno.test("checkSource refuses a missing path, a file and an unreadable folder, naming --src", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  put(`${root}/file`, "x");
  Deno.mkdirSync(`${root}/locked`);
  const missing = assertThrows(() => checkSource(real, "gone", root), RootError);
  assertEquals(
    missing.message,
    `Cannot back up "gone": not found; check --src (is the disk mounted?)`,
  );
  assertIncludes(
    assertThrows(() => checkSource(real, "file", root), RootError).message,
    `Cannot back up "file": not a folder; --src must name a folder`,
  );
  const denied = new FaultyFileSystem(real, [{
    point: "readDir",
    path: "/locked",
    error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
  }]);
  assertIncludes(
    assertThrows(() => checkSource(denied, "locked", root), RootError).message,
    `Cannot back up "locked": permission denied`,
  );
});

Deno.test("checkRoots accepts separate folders and a destination that does not exist yet", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src`);
  Deno.mkdirSync(`${root}/dest`);
  Deno.mkdirSync(`${root}/srcx`);
  assertEquals(checkRoots(real, "src", "dest", root), {
    source: `${root}/src`,
    dest: `${root}/dest`,
  });
  assertEquals(checkRoots(real, "src", "new/deeper", root).dest, `${root}/new/deeper`);
  assertEquals(
    checkRoots(real, "src", "srcx", root).dest,
    `${root}/srcx`,
    "a sibling whose name starts like the source is not inside it",
  );
});

Deno.test("checkRoots refuses a destination that is a file or lies below one", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src`);
  put(`${root}/file`, "x");
  assertEquals(
    assertThrows(() => checkRoots(real, "src", "file", root), RootError).message,
    `Cannot back up into "file": it exists and is not a folder`,
  );
  assertIncludes(
    assertThrows(() => checkRoots(real, "src", "file/below", root), RootError).message,
    `Cannot back up into "file/below": `,
  );
});

Deno.test("checkRoots refuses the same folder, also when one name is a symlink to the other", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src`);
  Deno.symlinkSync(`${root}/src`, `${root}/same`);
  for (const dest of ["src", "same", `${root}/src/`, "./src/../src"]) {
    assertIncludes(
      assertThrows(() => checkRoots(real, "src", dest, root), RootError).message,
      `--src and --dest are the same folder ("${root}/src")`,
      dest,
    );
  }
});

Deno.test("checkRoots refuses a destination inside the source, found after resolving symlinks", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src/inner`, { recursive: true });
  Deno.symlinkSync(`${root}/src/inner`, `${root}/looks-outside`);
  for (const dest of ["src/inner", "src/not-yet", "looks-outside", "looks-outside/new"]) {
    const err = assertThrows(() => checkRoots(real, "src", dest, root), RootError);
    assertIncludes(err.message, `--dest "${dest}" is inside --src "src"`, dest);
    assertIncludes(err.message, "pick a --dest outside the source");
  }
});

Deno.test("checkRoots refuses a source inside the destination, found after resolving symlinks", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/dest/src`, { recursive: true });
  Deno.symlinkSync(`${root}/dest/src`, `${root}/src-link`);
  for (const src of ["dest/src", "src-link"]) {
    const err = assertThrows(() => checkRoots(real, src, "dest", root), RootError);
    assertIncludes(err.message, `--src "${src}" is inside --dest "dest" (${root}/dest/src)`, src);
  }
  assertIncludes(
    assertThrows(() => checkRoots(real, "dest/src", "/", root), RootError).message,
    "is inside --dest",
    "the root folder holds every source",
  );
});

Deno.test("checkRoots refuses the root folder as the source", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  const err = assertThrows(() => checkRoots(real, "/", `${root}/dest`, "/"), RootError);
  assertIncludes(err.message, "is inside --src");
});

Deno.test("logFileProblem refuses a log in the source or in the destination outside its reserved folder", async () => {
  await using tmp = await tempDir();
  const root = realPathOf(tmp);
  Deno.mkdirSync(`${root}/src`);
  Deno.mkdirSync(`${root}/dest`);
  Deno.symlinkSync(`${root}/src`, `${root}/src-link`);
  const roots = { source: `${root}/src`, dest: `${root}/dest` };
  assertEquals(
    logFileProblem(real, `${root}/src/backup.log`, roots),
    `it is inside the source ${root}/src: every line would be backed up`,
  );
  assertIncludes(
    logFileProblem(real, `${root}/src-link/logs/backup.log`, roots) ?? "",
    "inside the source",
    "through a symlink",
  );
  assertEquals(
    logFileProblem(real, `${root}/dest/backup.log`, roots),
    `it is inside the destination ${root}/dest, whose passes delete what the source does not hold`,
  );
  assertEquals(logFileProblem(real, `${root}/dest/${RESERVED_DIR}/backup.log`, roots), null);
  assertEquals(logFileProblem(real, `${root}/logs/backup.log`, roots), null);
  assertEquals(
    logFileProblem(real, `${root}/srcfoo.log`, roots),
    null,
    "a name that only starts alike",
  );
});

Deno.test("isMassDelete needs both more than maxCount and more than maxShare of the backup", () => {
  const limits = DEFAULT_DELETE_LIMITS;
  assertEquals(limits, { maxCount: 100, maxShare: 0.5 });
  assertEquals(isMassDelete(100, 100, limits), false, "exactly the count limit");
  assertEquals(isMassDelete(101, 1000, limits), false, "many, but a small share");
  assertEquals(isMassDelete(101, 202, limits), false, "exactly half");
  assertEquals(isMassDelete(101, 201, limits), true);
  assertEquals(isMassDelete(5, 5, { maxCount: 4, maxShare: 0 }), true);
  assertEquals(isMassDelete(0, 0, { maxCount: 0, maxShare: 0 }), false);
});

Deno.test("heldDeletes holds only deletes of entries the destination holds, and all of them or none", () => {
  const limits = { maxCount: 2, maxShare: 0.5 };
  const dest = new Map([["a", 1], ["b", 1], ["c", 1]]);
  const ops = [
    { op: "delete", path: "a" },
    { op: "copy", path: "x" },
    { op: "delete", path: "b" },
    { op: "delete", path: "c" },
    { op: "delete", path: "only-in-state" },
  ];
  assertEquals(heldDeletes(ops, dest, 4, limits).map((o) => o.path), ["a", "b", "c"]);
  assertEquals(heldDeletes(ops, dest, 6, limits), [], "3 of 6 is not more than half");
  assertEquals(heldDeletes(ops.slice(0, 3), dest, 2, limits), [], "2 is not more than maxCount");
});

Deno.test("guardedDeletes finds deletes under a folder moved before them, and leaves out replaced paths", () => {
  const dest = new Map([["p", 1], ["p/big", 1], ["p/big/f", 1], ["k", 1], ["gone", 1]]);
  const ops = [
    { op: "delete", path: "gone" },
    { op: "delete", path: "k" }, // a file that became a folder: replaced, not lost
    { op: "move", path: "p2", from: "p" },
    { op: "delete", path: "p2/big/f" },
    { op: "delete", path: "p2/big" },
    { op: "mkdir", path: "k" },
  ];
  assertEquals(guardedDeletes(ops, dest).map((o) => o.path), ["gone", "p2/big/f", "p2/big"]);
});

Deno.test("withoutHeld drops the held deletes, and a folder-to-file swap that needs one of them", () => {
  const ops = [
    { op: "delete", path: "big/a" },
    { op: "delete", path: "swap/a" },
    { op: "delete", path: "swap" }, // a folder that became a file: needs swap/a gone first
    { op: "delete", path: "k" },
    { op: "mkdir", path: "k" },
    { op: "copy", path: "k/inner" },
    { op: "copy", path: "swap" },
    { op: "copy", path: "new" },
  ];
  const held = ops.filter((o) => o.path === "big/a" || o.path === "swap/a");
  assertEquals(
    withoutHeld(ops, held).map((o) => `${o.op} ${o.path}`),
    ["delete k", "mkdir k", "copy k/inner", "copy new"],
  );
  assertEquals(withoutHeld(ops, []).length, ops.length);
});

Deno.test("guardedDeletes of a plan without a delete is empty", () => {
  const ops = [
    { op: "mkdir" as const, path: "d" },
    { op: "copy" as const, path: "d/a" },
    { op: "move" as const, path: "b", from: "c" },
  ];
  assertEquals(guardedDeletes(ops, new Map([["c", 1]])), []);
});
