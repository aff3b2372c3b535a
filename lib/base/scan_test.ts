import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem, type FileSystem, type Kind } from "./fs.ts";
import { MARKER_NAME, RESERVED_DIR, tempName } from "./layout.ts";
import { emptyScan, type Entry, scanTree } from "./scan.ts";
import { PackedEntries } from "./packed_entries.ts";
import { nativeAvailable } from "./native/libc.ts";

const real = new DenoFileSystem();
const kinds = (entries: Map<string, { kind: Kind }>) =>
  Object.fromEntries(
    [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, e]) => [
      p,
      e.kind,
    ]),
  );

/** Creates an empty file whose name is not valid UTF-8 (`bad<0xff>name`) in `dir`. */
function putBadName(dir: string, byte = "\\xff"): void {
  // Through bash: Deno (and its node:fs) can only name files with valid UTF-8.
  const script = `touch "$1"/bad$'${byte}'name`;
  const made = new Deno.Command("bash", { args: ["-c", script, "bash", dir] }).outputSync();
  assert(made.success, new TextDecoder().decode(made.stderr));
}

Deno.test("scanTree lists files, folders and symlinks with what lstat reports, the root left out", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a.txt`, "hello");
  put(`${tmp.path}/sub/deep/b.bin`, new Uint8Array(1000));
  Deno.mkdirSync(`${tmp.path}/empty`);
  Deno.chmodSync(`${tmp.path}/a.txt`, 0o640);
  Deno.utimeSync(`${tmp.path}/a.txt`, 1_600_000_000, 1_600_000_000.123);
  Deno.symlinkSync("a.txt", `${tmp.path}/link`);
  const scan = scanTree(real, tmp.path);
  assertEquals(kinds(scan.entries), {
    "a.txt": "file",
    "empty": "dir",
    "link": "symlink",
    "sub": "dir",
    "sub/deep": "dir",
    "sub/deep/b.bin": "file",
  });
  const stat = Deno.lstatSync(`${tmp.path}/a.txt`);
  assertEquals(scan.entries.get("a.txt"), {
    kind: "file",
    size: 5,
    mtimeMs: 1_600_000_000_123,
    mode: 0o640,
    ino: stat.ino!,
  });
  assertEquals(scan.entries.get("sub/deep/b.bin")?.size, 1000);
  assertEquals(scan.entries.get("sub")?.size, 0, "a folder has size 0");
  assertEquals(scan.entries.get("link")?.target, "a.txt");
  assertEquals(scan.unreadable.size + scan.badNames.size + scan.temps.length + scan.skipped, 0);
  assertEquals(scan.reservedSkipped, false);
});

Deno.test("scanTree never follows a symlink, to a folder or to nowhere", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/outside/secret.txt`, "not part of the tree");
  put(`${tmp.path}/root/real/f.txt`, "f");
  Deno.symlinkSync(`${tmp.path}/outside`, `${tmp.path}/root/to-outside`);
  Deno.symlinkSync("real", `${tmp.path}/root/to-real`);
  Deno.symlinkSync("missing/target", `${tmp.path}/root/dangling`);
  Deno.symlinkSync(".", `${tmp.path}/root/real/loop`);
  const scan = scanTree(real, `${tmp.path}/root`);
  assertEquals(kinds(scan.entries), {
    "dangling": "symlink",
    "real": "dir",
    "real/f.txt": "file",
    "real/loop": "symlink",
    "to-outside": "symlink",
    "to-real": "symlink",
  });
  assertEquals(scan.entries.get("to-outside")?.target, `${tmp.path}/outside`);
  assertEquals(scan.entries.get("dangling")?.target, "missing/target");
});

Deno.test("scanTree reports a FIFO as `other` and does not open it", async () => {
  await using tmp = await tempDir();
  const made = new Deno.Command("mkfifo", { args: [`${tmp.path}/pipe`] }).outputSync();
  assert(made.success, "mkfifo");
  // Opening a FIFO for reading would block forever: a finished scan proves it was not opened.
  assertEquals(kinds(scanTree(real, tmp.path).entries), { pipe: "other" });
});

Deno.test("scanTree throws when the root itself cannot be listed", async () => {
  await using tmp = await tempDir();
  assertThrows(() => scanTree(real, `${tmp.path}/missing`), Deno.errors.NotFound);
  put(`${tmp.path}/file`, "x");
  assertThrows(() => scanTree(real, `${tmp.path}/file`), Error);
  const fs = new FaultyFileSystem(real, [
    { point: "readDir", error: () => new Deno.errors.PermissionDenied("denied") },
  ]);
  assertThrows(() => scanTree(fs, tmp.path), Deno.errors.PermissionDenied);
});

Deno.test("scanTree records an unreadable folder, keeps it as an entry and scans its siblings", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/locked/inside.txt`, "hidden");
  put(`${tmp.path}/open/f.txt`, "f");
  const fs = new FaultyFileSystem(real, [
    {
      point: "readDir",
      path: "/locked",
      error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    },
  ]);
  const scan = scanTree(fs, tmp.path);
  assertEquals(kinds(scan.entries), { locked: "dir", open: "dir", "open/f.txt": "file" });
  assertEquals([...scan.unreadable], [["locked", "permission denied"]]);
});

Deno.test({
  name: "scanTree records a folder without read permission as unreadable (as a non-root user)",
  ignore: Deno.uid() === 0, // root reads every folder whatever its mode
  fn: async () => {
    await using tmp = await tempDir();
    put(`${tmp.path}/locked/inside.txt`, "hidden");
    Deno.chmodSync(`${tmp.path}/locked`, 0o000);
    try {
      const scan = scanTree(real, tmp.path);
      assertEquals(kinds(scan.entries), { locked: "dir" });
      assertEquals([...scan.unreadable], [["locked", "permission denied"]]);
    } finally {
      Deno.chmodSync(`${tmp.path}/locked`, 0o700);
    }
  },
});

Deno.test("scanTree records an entry it cannot lstat, or a symlink it cannot read, as unreadable", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a`, "a");
  put(`${tmp.path}/b`, "b");
  Deno.symlinkSync("a", `${tmp.path}/l`);
  const fs = new FaultyFileSystem(real, [
    { point: "lstat", path: /\/b$/, error: () => new Error("Input/output error") },
    { point: "readLink", path: /\/l$/, error: () => new Deno.errors.PermissionDenied("denied") },
  ]);
  const scan = scanTree(fs, tmp.path);
  assertEquals(kinds(scan.entries), { a: "file" });
  assertEquals(Object.fromEntries(scan.unreadable), {
    b: "Input/output error",
    l: "permission denied",
  });
});

Deno.test("scanTree skips what vanishes between listing and lstat, without calling it unreadable", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/stays`, "s");
  put(`${tmp.path}/goes/f`, "g");
  put(`${tmp.path}/gone-file`, "g");
  const fs = new FaultyFileSystem(real, [
    {
      point: "readDir",
      path: "/goes",
      effect: () => Deno.removeSync(`${tmp.path}/goes`, { recursive: true }),
    },
    { point: "lstat", path: "/gone-file", effect: (path) => Deno.removeSync(path) },
  ]);
  const scan = scanTree(fs, tmp.path);
  assertEquals(kinds(scan.entries), { goes: "dir", stays: "file" });
  assertEquals(scan.unreadable.size, 0);
  assertEquals(scan.badNames.size, 0, "a plain name that vanished is not a bad name");
});

Deno.test("scanTree lists names that are not UTF-8 escaped (native layer), or counts them by folder", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/dir/good.txt`, "good");
  putBadName(`${tmp.path}/dir`);
  putBadName(tmp.path);
  putBadName(`${tmp.path}/dir`, "\\xfe");
  const scan = scanTree(real, tmp.path);
  assertEquals(scan.unreadable.size, 0);
  if (nativeAvailable()) {
    // By their bytes, in the text form of lib/base/native/names.ts.
    // (Entries, not an object literal: the linter reads the escapes lossily as duplicate keys.)
    assertEquals(
      kinds(scan.entries),
      Object.fromEntries([
        ["bad\udcffname", "file"],
        ["dir", "dir"],
        ["dir/bad\udcfename", "file"],
        ["dir/bad\udcffname", "file"],
        ["dir/good.txt", "file"],
      ]),
    );
    assertEquals(scan.badNames.size, 0);
  } else {
    assertEquals(kinds(scan.entries), { dir: "dir", "dir/good.txt": "file" });
    assertEquals(Object.fromEntries(scan.badNames), { "": 1, dir: 2 });
  }
});

Deno.test("scanTree lists files named like the backup's temp files as any other, in both trees", async () => {
  await using tmp = await tempDir();
  const temp = tempName();
  put(`${tmp.path}/${temp}`, "a user's file");
  put(`${tmp.path}/sub/.backup-tmp-0123456789abcdef`, "another");
  put(`${tmp.path}/sub/keep`, "k");
  const expected: Record<string, Kind> = {
    [temp]: "file",
    sub: "dir",
    "sub/.backup-tmp-0123456789abcdef": "file",
    "sub/keep": "file",
  };
  const dest = scanTree(real, tmp.path, { destination: true });
  assertEquals(kinds(dest.entries), expected);
  assertEquals(dest.temps, [], "only the staging folder holds the backup's temps");
  const source = scanTree(real, tmp.path);
  assertEquals(kinds(source.entries), expected);
  assertEquals(source.temps, []);
});

Deno.test("scanTree leaves out the reserved folder and the source marker at the root only", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/${RESERVED_DIR}/journal`, "j");
  put(`${tmp.path}/${MARKER_NAME}`, "m");
  put(`${tmp.path}/sub/${RESERVED_DIR}/x`, "a user's folder of that name");
  put(`${tmp.path}/sub/${MARKER_NAME}`, "a user's file of that name");
  const expected: Record<string, Kind> = {
    sub: "dir",
    [`sub/${RESERVED_DIR}`]: "dir",
    [`sub/${RESERVED_DIR}/x`]: "file",
    [`sub/${MARKER_NAME}`]: "file",
  };
  const source = scanTree(real, tmp.path);
  assertEquals(kinds(source.entries), expected);
  assertEquals(source.reservedSkipped, true, "a source holding the reserved name says so");
  const dest = scanTree(real, tmp.path, { destination: true });
  assertEquals(kinds(dest.entries), expected);
  assertEquals(dest.reservedSkipped, false, "in a destination the reserved folder is expected");
});

Deno.test("scanTree leaves out what `skip` excludes, counts it and does not descend into it", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/keep.txt`, "k");
  put(`${tmp.path}/build/out.o`, "o");
  put(`${tmp.path}/build/deeper/x.o`, "o");
  put(`${tmp.path}/src/a.log`, "log");
  put(`${tmp.path}/src/a.ts`, "ts");
  const asked: string[] = [];
  const scan = scanTree(real, tmp.path, {
    skip: (rel, kind) => {
      asked.push(`${rel}:${kind}`);
      return (rel === "build" && kind === "dir") || rel.endsWith(".log");
    },
  });
  assertEquals(kinds(scan.entries), { "keep.txt": "file", src: "dir", "src/a.ts": "file" });
  assertEquals(scan.skipped, 2);
  assert(asked.includes("build:dir"), "skip is told the kind");
  assert(!asked.some((a) => a.startsWith("build/")), "nothing below an excluded folder is asked");
});

Deno.test("scanTree walks only the `under` subtree, keeping paths relative to the root", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a/b/c.txt`, "c");
  put(`${tmp.path}/a/d.txt`, "d");
  put(`${tmp.path}/other.txt`, "o");
  const scan = scanTree(real, tmp.path, { under: "a" });
  assertEquals(kinds(scan.entries), { "a/b": "dir", "a/b/c.txt": "file", "a/d.txt": "file" });
  assertThrows(() => scanTree(real, tmp.path, { under: "missing" }), Deno.errors.NotFound);
});

Deno.test("scanTree with `shallow` lists only the direct children of the start folder", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a/b/c.txt`, "c");
  put(`${tmp.path}/a/d.txt`, "d");
  put(`${tmp.path}/top.txt`, "t");
  assertEquals(kinds(scanTree(real, tmp.path, { shallow: true }).entries), {
    a: "dir",
    "top.txt": "file",
  });
  assertEquals(kinds(scanTree(real, tmp.path, { under: "a", shallow: true }).entries), {
    "a/b": "dir",
    "a/d.txt": "file",
  });
});

Deno.test("emptyScan is an empty result, a fresh one each time", () => {
  const first = emptyScan();
  assertEquals(first, {
    entries: new PackedEntries<Entry>(),
    unreadable: new Map(),
    badNames: new Map(),
    temps: [],
    skipped: 0,
    reservedSkipped: false,
  });
  first.temps.push("x");
  assertEquals(emptyScan().temps, []);
});

Deno.test("scanTree through the native layer lists what the port's walk lists, entry for entry", {
  ignore: !nativeAvailable(),
}, async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a.txt`, "hello");
  put(`${tmp.path}/sub/deep/b.bin`, new Uint8Array(1000));
  put(`${tmp.path}/sub/skip.log`, "left out");
  put(`${tmp.path}/${RESERVED_DIR}/x`, "reserved");
  put(`${tmp.path}/${MARKER_NAME}`, "marker");
  Deno.symlinkSync("sub/deep", `${tmp.path}/link`);
  Deno.chmodSync(`${tmp.path}/a.txt`, 0o640);
  putBadName(`${tmp.path}/sub`);
  // Not `direct`: the port's readDir + lstat walk.
  const portOnly: FileSystem = new FaultyFileSystem(real);
  assert(real.direct && !portOnly.direct);
  for (const options of [{}, { under: "sub" }, { shallow: true }]) {
    const skip = (rel: string) => rel.endsWith(".log");
    const native = scanTree(real, tmp.path, { ...options, skip });
    const port = scanTree(portOnly, tmp.path, { ...options, skip });
    assertEquals(new Map(native.entries), new Map(port.entries), JSON.stringify(options));
    assertEquals(
      [native.skipped, native.reservedSkipped, native.unreadable.size],
      [port.skipped, port.reservedSkipped, port.unreadable.size],
    );
  }
});

Deno.test("scanTree hands each folder's listing to `folder`, which keeps or drops it; flawed when an entry could not be read", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/keep/x`, "x");
  put(`${tmp.path}/drop/y`, "y");
  put(`${tmp.path}/drop/bad`, "b");
  const walk = (fs: FileSystem) => {
    const seen: [string, string[], boolean][] = [];
    const scan = scanTree(fs, tmp.path, {
      folder: (dir, entries, flawed) => {
        seen.push([dir, entries.map(([rel]) => rel).sort(), flawed]);
        return dir !== "drop";
      },
    });
    return { seen: seen.sort(([a], [b]) => (a < b ? -1 : 1)), scan };
  };
  const fs = new FaultyFileSystem(real, [
    { point: "lstat", path: /\/drop\/bad$/, error: () => new Error("Input/output error") },
  ]);
  for (const [which, { seen, scan }] of [["generic", walk(fs)], ["native", walk(real)]] as const) {
    const badFlawed = which === "generic"; // the fault is injected through the port only
    assertEquals(seen, [
      ["", ["drop", "keep"], false],
      ["drop", badFlawed ? ["drop/y"] : ["drop/bad", "drop/y"], badFlawed],
      ["keep", ["keep/x"], false],
    ], which);
    assertEquals(Object.keys(kinds(scan.entries)).sort(), ["drop", "keep", "keep/x"], which);
  }
});
