import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { leftoverTemps, put, snapshot, tempDir, treeDiff } from "../../testing/helpers.ts";
import {
  DenoFileSystem,
  type FileSystem,
  isAlreadyExists,
  isMissing,
  isNotADirectory,
  isNotFound,
  isSymlinkRefused,
} from "../base/fs.ts";
import { destinationHas } from "./destination.ts";
import { LocalDestination } from "./local.ts";
import { ReservedFolder } from "./reserved_folder.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { nativeAvailable } from "../base/native/libc.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const MTIME = 1_700_000_000_000;
const encoder = new TextEncoder();

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

/** Makes a destination at a root, pinned or by path. */
type Make = (root: string) => LocalDestination;

/** The ways a LocalDestination works here: pinned beneath its root (native layer), and by path. */
const WAYS: [string, boolean][] = nativeAvailable()
  ? [["pinned", true], ["by path", false]]
  : [["by path", false]];

/** Registers the test once for each way the destination can work. */
function eachWay(name: string, body: (local: Make) => Promise<void> | void): void {
  for (const [way, pin] of WAYS) {
    Deno.test(`LocalDestination (${way}): ${name}`, () =>
      body((root) => new LocalDestination(new DenoFileSystem(), root, { pin })));
  }
}

eachWay(
  "a staged file is invisible until committed, then whole, with its mode and mtime",
  async (local) => {
    await using t = await tempDir();
    const destination = local(t.path);
    put(`${t.path}/d/a.txt`, "old");
    const staged = await destination.stageFile("d/a.txt", { size: 6 });
    await staged.write(encoder.encode("new"));
    await staged.write(encoder.encode("er!"));
    await staged.seal({ mode: 0o640, mtimeMs: MTIME });
    assertEquals(Deno.readTextFileSync(`${t.path}/d/a.txt`), "old");
    assertEquals(leftoverTemps(t.path).length, 1);
    await staged.sync();
    await staged.commit();
    await destination.sync("d");
    assertEquals(Deno.readTextFileSync(`${t.path}/d/a.txt`), "newer!");
    const info = Deno.lstatSync(`${t.path}/d/a.txt`);
    assertEquals(info.mode! & 0o7777, 0o640);
    assertEquals(info.mtime?.getTime(), MTIME);
    assertEquals(leftoverTemps(t.path), []);
    await staged.discard(); // after a commit: harmless
    assertEquals(Deno.readTextFileSync(`${t.path}/d/a.txt`), "newer!");
  },
);

eachWay("a large staged file is written whole too", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  const chunk = new Uint8Array(300 * 1024).fill(7);
  const staged = await destination.stageFile("big", { size: 2 * chunk.length });
  await staged.write(chunk);
  await staged.write(chunk);
  await staged.seal({ mode: 0o600, mtimeMs: MTIME });
  await staged.sync();
  await staged.commit();
  assertEquals(Deno.statSync(`${t.path}/big`).size, 2 * chunk.length);
});

eachWay(
  "a discarded file leaves nothing; one never committed is a temp to the scan",
  async (local) => {
    await using t = await tempDir();
    const destination = local(t.path);
    const dropped = await destination.stageFile("a.txt", { size: 1 });
    await dropped.write(encoder.encode("x"));
    await dropped.discard();
    await dropped.discard();
    assertEquals(leftoverTemps(t.path), []);
    assertEquals(await destinationHas(destination, "a.txt"), false);
    // A crash between staging and committing: the next scan lists the temp, not an entry.
    const left = await destination.stageFile("b.txt", { size: 1 });
    await left.write(encoder.encode("y"));
    const listing = await destination.list();
    assertEquals([...listing.entries.keys()], []);
    assertEquals(listing.temps.length, 1);
    await left.discard();
  },
);

eachWay("a staged symlink replaces a file in one rename, with its own mtime", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  put(`${t.path}/link`, "a file for now");
  const staged = await destination.stageSymlink("link", "elsewhere", MTIME);
  assertEquals(Deno.readTextFileSync(`${t.path}/link`), "a file for now");
  await staged.commit();
  assertEquals(Deno.readLinkSync(`${t.path}/link`), "elsewhere");
  assertEquals(Deno.lstatSync(`${t.path}/link`).mtime?.getTime(), MTIME);
  const other = await destination.stageSymlink("other", "x", MTIME);
  await other.discard();
  assertEquals(leftoverTemps(t.path), []);
});

eachWay(
  "list is the destination scan (reserved folder left out, staged temps apart, under, shallow)",
  async (local) => {
    await using t = await tempDir();
    const destination = local(t.path);
    put(`${t.path}/a/b/c.txt`, "c");
    put(`${t.path}/a/d.txt`, "d");
    put(`${t.path}/${RESERVED_DIR}/journal/00000001.jsonl`, "");
    put(`${t.path}/${RESERVED_DIR}/staging/.backup-tmp-0123456789abcdef`, "leftover");
    put(`${t.path}/a/.backup-tmp-0123456789abcdef`, "a user's file named like a temp file");
    Deno.symlinkSync("a/d.txt", `${t.path}/s`);
    const all = await destination.list();
    const user = "a/.backup-tmp-0123456789abcdef";
    assertEquals([...all.entries.keys()].sort(), ["a", user, "a/b", "a/b/c.txt", "a/d.txt", "s"]);
    assertEquals(all.entries.get("s")?.target, "a/d.txt");
    assertEquals(all.temps, [`${RESERVED_DIR}/staging/.backup-tmp-0123456789abcdef`]);
    const shallow = await destination.list({ under: "a", shallow: true });
    assertEquals([...shallow.entries.keys()].sort(), [user, "a/b", "a/d.txt"]);
    assertEquals(shallow.temps, [], "the staging folder is reported with the root only");
    const skipped = await destination.list({ skip: (rel) => rel === "a/b" });
    assertEquals([...skipped.entries.keys()].sort(), ["a", user, "a/d.txt", "s"]);
    assert(isMissing(await rejection(destination.list({ under: "nowhere" }))));
    assert(isMissing(await rejection(local(`${t.path}/gone`).list())));
  },
);

eachWay("stat never follows a symlink, and tells a missing path by isMissing", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  put(`${t.path}/f`, "12345");
  Deno.chmodSync(`${t.path}/f`, 0o604);
  Deno.symlinkSync("f", `${t.path}/s`);
  const file = await destination.stat("f");
  assertEquals({ kind: file.kind, size: file.size, mode: file.mode }, {
    kind: "file",
    size: 5,
    mode: 0o604,
  });
  assertEquals(file.ino, Deno.lstatSync(`${t.path}/f`).ino);
  assertEquals((await destination.stat("s")).kind, "symlink");
  assertEquals((await destination.stat("")).kind, "dir");
  assert(isNotFound(await rejection(destination.stat("missing"))));
  assert(isMissing(await rejection(destination.stat("f/below-a-file"))));
  Deno.symlinkSync("nowhere", `${t.path}/dangling`);
  assertEquals(await destinationHas(destination, "dangling"), true);
  assertEquals(await destinationHas(destination, "f/below-a-file"), false);
});

eachWay("rename replaces a file, remove takes a file or an empty folder only", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  put(`${t.path}/a`, "A");
  put(`${t.path}/b`, "B");
  put(`${t.path}/full/x`, "x");
  await destination.rename("a", "b");
  assertEquals(Deno.readTextFileSync(`${t.path}/b`), "A");
  assert(isMissing(await rejection(destination.rename("a", "c"))));
  await destination.remove("b");
  assert(isNotFound(await rejection(destination.remove("b"))));
  const notEmpty = await rejection(destination.remove("full"));
  assert(!isMissing(notEmpty), String(notEmpty));
  assertEquals(Deno.readTextFileSync(`${t.path}/full/x`), "x");
  await destination.remove("full/x");
  await destination.remove("full");
  assertEquals(await destinationHas(destination, "full"), false);
});

eachWay("mkdir makes one folder with its mode; a taken name is isAlreadyExists", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  await destination.mkdir("d", 0o700);
  assertEquals(Deno.lstatSync(`${t.path}/d`).mode! & 0o7777, 0o700);
  assert(isAlreadyExists(await rejection(destination.mkdir("d", 0o700))));
  assert(isMissing(await rejection(destination.mkdir("no/parent", 0o700))));
  await destination.sync("d");
  await destination.sync("");
  assert(isMissing(await rejection(destination.sync("gone"))));
});

eachWay("setMeta sets a symlink's own mtime, a file's mode then mtime", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  put(`${t.path}/f`, "f");
  Deno.symlinkSync("f", `${t.path}/s`);
  const before = Deno.lstatSync(`${t.path}/f`).mtime?.getTime();
  await destination.setMeta("s", "symlink", { mtimeMs: MTIME });
  assertEquals(Deno.lstatSync(`${t.path}/s`).mtime?.getTime(), MTIME);
  assertEquals(Deno.lstatSync(`${t.path}/f`).mtime?.getTime(), before);
  await destination.setMeta("f", "file", { mode: 0o640, mtimeMs: MTIME + 1000 });
  const info = Deno.lstatSync(`${t.path}/f`);
  assertEquals([info.mode! & 0o7777, info.mtime?.getTime()], [0o640, MTIME + 1000]);
  await destination.setMeta("f", "file", { mode: 0o600 }); // the mtime is left as it is
  assertEquals(Deno.lstatSync(`${t.path}/f`).mtime?.getTime(), MTIME + 1000);
  assert(isNotFound(await rejection(destination.setMeta("missing", "file", { mode: 0o600 }))));
});

eachWay("openFile reads a file of the destination", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  put(`${t.path}/${RESERVED_DIR}/versions/v~20260101T000000.000Z`, "kept");
  const reader = await destination.openFile(`${RESERVED_DIR}/versions/v~20260101T000000.000Z`);
  const buf = new Uint8Array(16);
  const n = await reader.read(buf);
  reader.close();
  assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "kept");
  assert(isNotFound(await rejection(destination.openFile("missing"))));
});

eachWay("openFile reads a large file whole, in chunks", async (local) => {
  await using t = await tempDir();
  const destination = local(t.path);
  const bytes = new Uint8Array(600 * 1024).map((_, i) => (i * 7) & 0xff);
  Deno.writeFileSync(`${t.path}/big`, bytes);
  const reader = await destination.openFile("big");
  const read: Uint8Array[] = [];
  const buf = new Uint8Array(256 * 1024);
  for (let n = await reader.read(buf); n !== null; n = await reader.read(buf)) {
    read.push(buf.slice(0, n));
  }
  reader.close();
  reader.close(); // safe twice
  const whole = new Uint8Array(read.reduce((sum, chunk) => sum + chunk.length, 0));
  read.reduce((at, chunk) => (whole.set(chunk, at), at + chunk.length), 0);
  assertEquals(whole, bytes);
});

eachWay("a path that could leave the root is refused, as a rejection", async (local) => {
  await using t = await tempDir();
  const destination = local(`${t.path}/dest`);
  Deno.mkdirSync(`${t.path}/dest`);
  put(`${t.path}/outside`, "keep");
  for (const bad of ["../outside", "/etc/passwd", "a//b", "a/./b", "a/", "x\0y"]) {
    const pending = destination.remove(bad);
    assert(pending instanceof Promise); // never thrown synchronously
    await assertRejects(() => pending, Error, "outside the destination");
  }
  await assertRejects(() => destination.list({ under: ".." }), Error, "outside the destination");
  assertEquals(Deno.readTextFileSync(`${t.path}/outside`), "keep");
  // Names that merely look odd are fine.
  put(`${t.path}/dest/...`, "dots");
  assertEquals((await destination.stat("...")).kind, "file");
});

eachWay("says what it can do and where it is", (local) => {
  const destination = local("/somewhere/dest");
  assertEquals(destination.capabilities, { renames: "atomic", folders: "real" });
  assertEquals(destination.location, "/somewhere/dest");
});

/** A pinned destination beside a victim folder; `sub` is a symlink to the victim, `f` to its file. */
async function pinnedArena() {
  const t = await tempDir();
  const [root, victim] = [`${t.path}/dest`, `${t.path}/victim`];
  put(`${victim}/x`, "victim's x");
  put(`${victim}/inner/y`, "victim's y");
  Deno.utimeSync(`${victim}/x`, new Date(MTIME), new Date(MTIME));
  put(`${root}/real/z`, "z");
  Deno.symlinkSync(victim, `${root}/sub`);
  Deno.symlinkSync(`${victim}/x`, `${root}/f`);
  const before = snapshot(victim, []);
  const destination = new LocalDestination(new DenoFileSystem(), root);
  return {
    t,
    root,
    destination,
    assertVictimUntouched: () => assertEquals(treeDiff(before, snapshot(victim, [])), []),
  };
}

Deno.test({
  name:
    "LocalDestination (pinned): no operation goes through a symlinked folder, and none follows a final symlink",
  ignore: !nativeAvailable(),
  async fn() {
    const arena = await pinnedArena();
    await using _t = arena.t;
    const { destination } = arena;
    assert(destination.pinned);
    const refused = [
      destination.stat("sub/x"),
      destination.openFile("sub/x"),
      destination.openFile("f"),
      destination.stageFile("sub/new", { size: 1 }),
      destination.stageSymlink("sub/link", "x", MTIME),
      destination.rename("sub/x", "real/x"),
      destination.rename("real/z", "sub/z"),
      destination.remove("sub/x"),
      destination.remove("sub/inner/y"),
      destination.mkdir("sub/made", 0o700),
      destination.setMeta("sub/x", "file", { mode: 0o777, mtimeMs: 0 }),
      destination.setMeta("f", "file", { mode: 0o777 }),
      destination.list({ under: "sub" }),
    ];
    for (const [index, pending] of refused.entries()) {
      const err = await rejection(pending);
      assert(isSymlinkRefused(err) || isNotADirectory(err), `call ${index}: ${String(err)}`);
    }
    // Acting on the links themselves stays inside the destination.
    await destination.setMeta("f", "file", { mtimeMs: MTIME + 5000 }); // the link's own time
    const listed = await destination.list();
    assertEquals(listed.entries.get("sub")?.kind, "symlink");
    assert(!listed.entries.has("sub/x"), "the listing never enters a symlinked folder");
    await destination.remove("sub");
    assertEquals(Deno.readTextFileSync(`${arena.root}/real/z`), "z");
    arena.assertVictimUntouched();
    destination.close();
    destination.close(); // safe twice
  },
});

Deno.test({
  name:
    "LocalDestination (pinned): a folder swapped for a symlink between stage and commit fails the commit, not the victim",
  ignore: !nativeAvailable(),
  async fn() {
    const arena = await pinnedArena();
    await using _t = arena.t;
    const { destination, root } = arena;
    const staged = await destination.stageFile("real/x", { size: 3 });
    await staged.write(encoder.encode("new"));
    Deno.renameSync(`${root}/real`, `${root}/away`);
    Deno.symlinkSync(`${arena.t.path}/victim`, `${root}/real`);
    await staged.seal({ mode: 0o666, mtimeMs: 0 }); // through the open file: its own inode
    await staged.sync();
    assert(isSymlinkRefused(await rejection(staged.commit())));
    await staged.discard();
    assert(isSymlinkRefused(await rejection(destination.setMeta("real", "dir", { mode: 0o777 }))));
    // A folder replaced by a symlink is gone for a sync, as a removed one is (never followed).
    assert(isMissing(await rejection(destination.sync("real"))));
    assert(isMissing(await rejection(destination.sync("real/deeper"))));
    arena.assertVictimUntouched();
    destination.close();
  },
});

Deno.test({
  name:
    "LocalDestination (pinned): a symlinked versions folder is neither listed nor pruned through",
  ignore: !nativeAvailable(),
  async fn() {
    const arena = await pinnedArena();
    await using _t = arena.t;
    const { destination, root } = arena;
    Deno.mkdirSync(`${root}/${RESERVED_DIR}`);
    Deno.symlinkSync(`${arena.t.path}/victim`, `${root}/${RESERVED_DIR}/versions`);
    assert(
      isSymlinkRefused(await rejection(destination.list({ under: `${RESERVED_DIR}/versions` }))),
    );
    const removal = await rejection(destination.remove(`${RESERVED_DIR}/versions/x`));
    assert(isSymlinkRefused(removal), String(removal));
    arena.assertVictimUntouched();
    destination.close();
  },
});

Deno.test({
  name:
    "LocalDestination over the daemon's reserved-folder port is still pinned (the wrapper passes mirror paths to the disk)",
  ignore: !nativeAvailable(),
  fn: async () => {
    await using tmp = await tempDir();
    const real = new DenoFileSystem();
    const folder = ReservedFolder.open(real, tmp.path);
    try {
      const destination = new LocalDestination(folder.fs, tmp.path);
      assertEquals(destination.pinned, true);
      destination.close();
    } finally {
      folder.close();
    }
  },
});

Deno.test("direct: the real port and the reserved-folder wrapper around it reach the disk; the fault-injecting port does not", async () => {
  await using tmp = await tempDir();
  const real = new DenoFileSystem();
  assertEquals(real.direct, true);
  const folder = ReservedFolder.open(real, tmp.path);
  try {
    assertEquals(folder.fs.direct, true);
  } finally {
    folder.close();
  }
  const faulty: FileSystem = new FaultyFileSystem(real, []);
  assertEquals(faulty.direct === true, false);
});

eachWay(
  "the staging folder is made again when it was removed while the destination was in use",
  async (local) => {
    await using t = await tempDir();
    const destination = local(t.path);
    const first = await destination.stageFile("a.txt", { size: 1 });
    await first.write(encoder.encode("a"));
    await first.sync();
    await first.commit();
    Deno.removeSync(`${t.path}/${RESERVED_DIR}/staging`, { recursive: true });
    const second = await destination.stageFile("b.txt", { size: 1 });
    await second.write(encoder.encode("b"));
    await second.sync();
    await second.commit();
    assertEquals(Deno.readTextFileSync(`${t.path}/b.txt`), "b");
    assertEquals(leftoverTemps(t.path), []);
    destination.close();
  },
);
