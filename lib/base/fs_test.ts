import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { nativeAvailable } from "./native/libc.ts";
import {
  DenoFileSystem,
  exists,
  isAlreadyExists,
  isBrokenPipe,
  isIsADirectory,
  isMissing,
  isNotADirectory,
  isNotCapable,
  isNotFound,
  isPermissionDenied,
  readWhole,
} from "./fs.ts";

const PREDICATES = {
  isNotFound,
  isAlreadyExists,
  isNotADirectory,
  isIsADirectory,
  isPermissionDenied,
  isNotCapable,
  isBrokenPipe,
} as const;

/** The error each predicate recognises, and only that one. */
const MATCHING: Record<keyof typeof PREDICATES, () => Error> = {
  isNotFound: () => new Deno.errors.NotFound("gone"),
  isAlreadyExists: () => new Deno.errors.AlreadyExists("taken"),
  isNotADirectory: () => new Deno.errors.NotADirectory("a file on the way"),
  isIsADirectory: () => new Deno.errors.IsADirectory("a folder"),
  isPermissionDenied: () => new Deno.errors.PermissionDenied("no"),
  isNotCapable: () => new Deno.errors.NotCapable("Requires read access"),
  isBrokenPipe: () => new Deno.errors.BrokenPipe("closed"),
};

/** Catches what `fn` throws; fails when it throws nothing. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

Deno.test("error predicates: each recognises its own error and no other", () => {
  for (const [name, predicate] of Object.entries(PREDICATES)) {
    for (const [other, make] of Object.entries(MATCHING)) {
      assertEquals(predicate(make()), name === other, `${name}(${other})`);
    }
    assertEquals(predicate(new Error("plain")), false, `${name}(Error)`);
    assertEquals(predicate("not an error"), false, `${name}(string)`);
    assertEquals(predicate(undefined), false, `${name}(undefined)`);
  }
});

Deno.test("isMissing: not found, or a parent that is not a folder; nothing else", () => {
  assertEquals(isMissing(MATCHING.isNotFound()), true);
  assertEquals(isMissing(MATCHING.isNotADirectory()), true);
  for (
    const make of [MATCHING.isPermissionDenied, MATCHING.isIsADirectory, () => new Error("io")]
  ) {
    assertEquals(isMissing(make()), false);
  }
});

Deno.test("error predicates: recognise what the real file system throws", async () => {
  await using dir = await tempDir();
  const fs = new DenoFileSystem();
  const file = `${dir.path}/file`;
  Deno.writeTextFileSync(file, "x");
  assertEquals(isNotFound(thrownBy(() => fs.lstat(`${dir.path}/nothing`))), true);
  assertEquals(isNotADirectory(thrownBy(() => fs.lstat(`${file}/below`))), true);
  assertEquals(isAlreadyExists(thrownBy(() => fs.mkdir(file))), true);
  assertEquals(isIsADirectory(thrownBy(() => fs.readFile(dir.path))), true);
});

Deno.test("exists: true for anything, a dangling symlink too; false when missing", async () => {
  await using dir = await tempDir();
  const fs = new DenoFileSystem();
  const file = `${dir.path}/file`;
  Deno.writeTextFileSync(file, "x");
  Deno.symlinkSync(`${dir.path}/nowhere`, `${dir.path}/dangling`);
  assertEquals(exists(fs, dir.path), true);
  assertEquals(exists(fs, file), true);
  assertEquals(exists(fs, `${dir.path}/dangling`), true);
  assertEquals(exists(fs, `${dir.path}/nothing`), false);
  assertEquals(exists(fs, `${dir.path}/nothing/below`), false);
  assertEquals(exists(fs, `${file}/below`), false, "below a file");
});

Deno.test("exists: 'cannot tell' is thrown, never taken for 'not there'", async () => {
  await using dir = await tempDir();
  const fs = new FaultyFileSystem(new DenoFileSystem(), [{
    point: "lstat",
    path: "locked",
    error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
  }, {
    point: "lstat",
    path: "broken",
    error: () => new Error("Input/output error (os error 5)"),
  }]);
  assertThrows(() => exists(fs, `${dir.path}/locked/a`), Deno.errors.PermissionDenied);
  assertThrows(() => exists(fs, `${dir.path}/broken`), Error, "Input/output");
});

Deno.test("DenoFileSystem reaches a name that is not UTF-8 by its text form, never through Deno", async () => {
  if (!nativeAvailable()) return; // without --allow-ffi such names are skipped by the scan
  await using t = await tempDir();
  const made = new Deno.Command("bash", {
    args: [
      "-c",
      `printf 'raw' > "$1"/$'f\\xff' && printf 'real' > "$1"/$'f\\xef\\xbf\\xbd'`,
      "bash",
      t.path,
    ],
  }).outputSync();
  assert(made.success);
  const fs = new DenoFileSystem();
  const names = fs.readDir(t.path).sort();
  assertEquals(
    names,
    ["f\udcff", "f\uFFFD"], // sorted by UTF-16 units: U+DCFF before U+FFFD
    "listed by bytes: the real U+FFFD name and the escaped one",
  );
  assertEquals(fs.lstat(`${t.path}/f\udcff`).size, 3);
  assertEquals(new TextDecoder().decode(fs.readFile(`${t.path}/f\udcff`)), "raw");
  fs.rename(`${t.path}/f\udcff`, `${t.path}/g\udcff`);
  assertEquals(Deno.readTextFileSync(`${t.path}/f\uFFFD`), "real", "the look-alike is untouched");
  assertThrows(() => fs.remove(`${t.path}/g\udcff`, { recursive: true }), Deno.errors.NotSupported);
  assertThrows(() => fs.realPath(`${t.path}/g\udcff`), Deno.errors.NotSupported);
  fs.remove(`${t.path}/g\udcff`);
  assertEquals(fs.readDir(t.path), ["f\uFFFD"]);
});

Deno.test("readWhole reads an open file to its end across many reads, and closes it", async () => {
  await using t = await tempDir();
  const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
  Deno.writeFileSync(`${t.path}/f`, bytes);
  const fs = new DenoFileSystem();
  const handle = fs.openSync(`${t.path}/f`);
  let reads = 0;
  let closed = false;
  const counted = {
    ...handle,
    readSync: (buf: Uint8Array) => (reads++, handle.readSync(buf)),
    close: () => (closed = true, handle.close()),
  };
  assertEquals(readWhole(counted), bytes);
  assertEquals([reads, closed], [5, true], "four 64 KiB reads and the end");
  assertEquals(readWhole(fs.openSync(`${t.path}/f`)).length, 200_000);
  let closedAfterFailure = false;
  const failing = {
    ...handle,
    readSync: (): number | null => {
      throw new Error("EIO");
    },
    close: () => void (closedAfterFailure = true),
  };
  assertThrows(() => readWhole(failing), Error, "EIO");
  assert(closedAfterFailure, "closed after a failed read too");
});
