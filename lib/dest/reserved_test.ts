import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem, isSymlinkRefused } from "../base/fs.ts";
import { RootError } from "../base/errors.ts";
import { nativeAvailable } from "../base/native/libc.ts";
import { acquireLock, prepareReserved } from "./reserved.ts";
import { ReservedFolder, reservedFsFor } from "./reserved_folder.ts";
import { ReservedFs } from "./reserved_fs.ts";
import { DestinationPin } from "./root_pin.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const fs = new DenoFileSystem();

/** A victim file outside the destination, and what it was. */
function victim(path: string): () => void {
  Deno.writeTextFileSync(path, "victim\n");
  Deno.chmodSync(path, 0o644);
  const before = Deno.lstatSync(path);
  return () => {
    const after = Deno.lstatSync(path);
    assertEquals(Deno.readTextFileSync(path), "victim\n");
    assertEquals(after.mode, before.mode);
    assertEquals(after.mtime?.getTime(), before.mtime?.getTime());
  };
}

/** The folder's file system with the native layer, and the fallback's over the same folder. */
function variants(folder: ReservedFolder): [string, ReservedFs][] {
  const fallback = new ReservedFs(fs, folder.path, null, { dev: folder.dev, ino: folder.ino });
  return [["pinned", folder.fs as ReservedFs], ["fallback", fallback]];
}

Deno.test("ReservedFolder refuses a .backup that is a symlink, and never chmods its target", async () => {
  await using t = await tempDir();
  const target = `${t.path}/root-owned`;
  Deno.mkdirSync(target, { mode: 0o755 });
  Deno.chmodSync(target, 0o755);
  Deno.mkdirSync(`${t.path}/dest`);
  Deno.symlinkSync(target, `${t.path}/dest/${RESERVED_DIR}`);
  const err = assertThrows(() => ReservedFolder.open(fs, `${t.path}/dest`), RootError);
  assert(err.message.includes(`${RESERVED_DIR}" is a symlink`), err.message);
  assertEquals(Deno.statSync(target).mode! & 0o7777, 0o755);
  assertThrows(() => prepareReserved(fs, `${t.path}/dest`), RootError);
  assertEquals(Deno.statSync(target).mode! & 0o7777, 0o755);
});

Deno.test("ReservedFolder creates .backup 0700, fixes a loose mode, and registers for the log", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  const folder = ReservedFolder.open(fs, dest);
  try {
    assertEquals(Deno.lstatSync(`${dest}/${RESERVED_DIR}`).mode! & 0o777, 0o700);
    assert(reservedFsFor(`${dest}/${RESERVED_DIR}/backup.log`) === folder.fs);
  } finally {
    folder.close();
  }
  assertEquals(reservedFsFor(`${dest}/${RESERVED_DIR}/backup.log`), null);
  Deno.chmodSync(`${dest}/${RESERVED_DIR}`, 0o755);
  ReservedFolder.open(fs, dest).close();
  assertEquals(Deno.lstatSync(`${dest}/${RESERVED_DIR}`).mode! & 0o777, 0o700);
});

Deno.test("files planted as symlinks in .backup are never opened through", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  const unchanged = victim(`${t.path}/victim`);
  const folder = ReservedFolder.open(fs, dest);
  try {
    for (const name of ["lock", "backup.log", "status.json.tmp", "source.json"]) {
      Deno.symlinkSync(`${t.path}/victim`, `${dest}/${RESERVED_DIR}/${name}`);
    }
    for (const [variant, files] of variants(folder)) {
      if (variant === "pinned" && !nativeAvailable()) continue;
      const options = { write: true, create: true, append: true, mode: 0o600 };
      for (const name of ["backup.log", "status.json.tmp"]) {
        const err = assertThrows(
          () => files.openSync(`${dest}/${RESERVED_DIR}/${name}`, options),
          Error,
        );
        assert(isSymlinkRefused(err), `${variant} ${name}: ${err}`);
      }
      assertThrows(() => files.readFile(`${dest}/${RESERVED_DIR}/source.json`), Error);
      assertThrows(() => files.chmod(`${dest}/${RESERVED_DIR}/lock`, 0o600), Error);
      assertThrows(() => acquireLock(files, dest), RootError);
      // A symlink itself is removed, never its target.
      files.remove(`${dest}/${RESERVED_DIR}/status.json.tmp`);
      Deno.symlinkSync(`${t.path}/victim`, `${dest}/${RESERVED_DIR}/status.json.tmp`);
      unchanged();
    }
  } finally {
    folder.close();
  }
});

Deno.test("a symlinked folder inside .backup is not entered", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  Deno.mkdirSync(`${t.path}/elsewhere`);
  const unchanged = victim(`${t.path}/elsewhere/00000001.jsonl`);
  const folder = ReservedFolder.open(fs, dest);
  try {
    Deno.symlinkSync(`${t.path}/elsewhere`, `${dest}/${RESERVED_DIR}/journal`);
    for (const [variant, files] of variants(folder)) {
      if (variant === "pinned" && !nativeAvailable()) continue;
      const segment = `${dest}/${RESERVED_DIR}/journal/00000001.jsonl`;
      assertThrows(() => files.openSync(segment, { write: true, append: true }), Error);
      assertThrows(() => files.readDir(`${dest}/${RESERVED_DIR}/journal`), Error);
      assertThrows(() => files.rename(segment, `${dest}/${RESERVED_DIR}/x`), Error);
      unchanged();
    }
  } finally {
    folder.close();
  }
});

Deno.test("ReservedFs makes, lists and removes folders through the pinned folder", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  const folder = ReservedFolder.open(fs, dest);
  try {
    const files = folder.fs;
    files.mkdir(`${dest}/${RESERVED_DIR}/journal/deep`, { recursive: true, mode: 0o700 });
    const handle = files.openSync(`${dest}/${RESERVED_DIR}/journal/deep/a`, {
      write: true,
      createNew: true,
      mode: 0o600,
    });
    handle.writeAllSync(new TextEncoder().encode("abc"));
    handle.close();
    assertEquals(
      new TextDecoder().decode(files.readFile(`${dest}/${RESERVED_DIR}/journal/deep/a`)),
      "abc",
    );
    assertEquals(files.readDir(`${dest}/${RESERVED_DIR}/journal`), ["deep"]);
    files.rename(`${dest}/${RESERVED_DIR}/journal`, `${dest}/${RESERVED_DIR}/journal.aside`);
    files.remove(`${dest}/${RESERVED_DIR}/journal.aside`, { recursive: true });
    assertEquals(files.readDir(`${dest}/${RESERVED_DIR}`), []);
  } finally {
    folder.close();
  }
});

Deno.test("DestinationPin sees a root replaced by a symlink or another folder, and its return", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/dest`;
  ReservedFolder.open(fs, dest).close();
  Deno.mkdirSync(`${t.path}/victim`);
  const pin = DestinationPin.take(fs, dest);
  assertEquals(pin.check(), null);
  Deno.renameSync(dest, `${dest}.old`);
  assert(pin.check()!.includes("is gone"));
  Deno.symlinkSync(`${t.path}/victim`, dest);
  assert(pin.check()!.includes("is a symlink now"), pin.check()!);
  Deno.removeSync(dest);
  Deno.mkdirSync(dest);
  assert(pin.check()!.includes("another folder"), pin.check()!);
  Deno.removeSync(dest);
  Deno.renameSync(`${dest}.old`, dest);
  assertEquals(pin.check(), null);
  Deno.renameSync(`${dest}/${RESERVED_DIR}`, `${dest}/.backup.old`);
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`);
  assert(pin.check()!.includes(`${RESERVED_DIR} is another folder`), pin.check()!);
});
