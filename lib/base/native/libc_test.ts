import { assert, assertEquals } from "../../../testing/assert.ts";
import { tempDir } from "../../../testing/helpers.ts";
import { isEscapeRefused, isSymlinkRefused, toFileInfo } from "../fs.ts";
import { AT, O, RESOLVE, SYS } from "./constants.ts";
import { errnoError } from "./errno.ts";
import { decodeName, encodeName } from "./names.ts";
import {
  attempt,
  cString,
  libc,
  nativeAvailable,
  nativeUnavailableReason,
  openHow,
} from "./libc.ts";
import { fstatInfo, statxAt } from "./statx.ts";

const ignore = !nativeAvailable();

Deno.test({
  name: "libc: available with --allow-ffi on this kernel",
  ignore: Deno.permissions.querySync({ name: "ffi" }).state !== "granted",
  fn() {
    assertEquals(nativeUnavailableReason(), null);
    assert(nativeAvailable());
  },
});

/** `openat2` straight from the kernel, without the checks of rel_path.ts. */
function rawOpenat2(dirfd: number, path: string, flags: number, resolve: number): Error | number {
  const how = openHow(flags, 0, resolve);
  const cPath = cString(path);
  const { result, errno } = attempt(() =>
    libc().openat2(BigInt(SYS.openat2), dirfd, cPath, how, BigInt(how.length))
  );
  if (errno !== 0) return errnoError(errno, "openat2", path);
  return result;
}

Deno.test({
  name: "libc: the kernel itself refuses '..' (EXDEV) and symlinks (ELOOP) under the resolve flags",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    Deno.mkdirSync(`${dir.path}/root/sub`, { recursive: true });
    Deno.symlinkSync("..", `${dir.path}/root/sub/up`);
    const rootFd = rawOpenat2(AT.FDCWD, `${dir.path}/root`, O.PATH | O.DIRECTORY, 0);
    assert(typeof rootFd === "number");
    try {
      const flags = O.PATH | O.CLOEXEC;
      const resolve = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS;
      assert(isEscapeRefused(rawOpenat2(rootFd, "..", flags, resolve)));
      assert(isEscapeRefused(rawOpenat2(rootFd, "sub/../..", flags, resolve)));
      assert(isEscapeRefused(rawOpenat2(rootFd, dir.path, flags, resolve)));
      assert(isSymlinkRefused(rawOpenat2(rootFd, "sub/up/sub", flags, resolve)));
      // '..' that stays inside is the kernel's business, and allowed.
      const inside = rawOpenat2(rootFd, "sub/..", flags, resolve);
      assert(typeof inside === "number");
      libc().close(inside);
    } finally {
      libc().close(rootFd);
    }
  },
});

Deno.test({
  name: "statx: the same FileInfo as DenoFileSystem.lstat for a file, a folder, a symlink, a FIFO",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    Deno.writeTextFileSync(`${dir.path}/file`, "content");
    Deno.chmodSync(`${dir.path}/file`, 0o4751);
    Deno.utimeSync(`${dir.path}/file`, 1_234_567_890.987654, 1_234_567_890.987654);
    Deno.mkdirSync(`${dir.path}/dir`);
    Deno.symlinkSync("file", `${dir.path}/link`);
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir.path}/fifo`] }).output();
    assert(fifo.success);
    for (const name of ["file", "dir", "link", "fifo"]) {
      const path = `${dir.path}/${name}`;
      const native = statxAt(AT.FDCWD, path, AT.SYMLINK_NOFOLLOW, path);
      const { type: _type, nlink: _nlink, blocks: _blocks, ...asPort } = native;
      assertEquals(asPort, toFileInfo(Deno.lstatSync(path)), name);
    }
    assertEquals(statxAt(AT.FDCWD, `${dir.path}/fifo`, AT.SYMLINK_NOFOLLOW, "fifo").type, "fifo");
    const fd = libc().openat(AT.FDCWD, cString(`${dir.path}/link`), O.PATH | O.NOFOLLOW, 0);
    try {
      assertEquals(fstatInfo(fd, "link").kind, "symlink", "an O_PATH descriptor of the link");
    } finally {
      libc().close(fd);
    }
  },
});

Deno.test("cString: a name's bytes and one NUL, for well-formed, escaped and byte names; a NUL inside refused", () => {
  const raw = new Uint8Array([0x61, 0xff, 0x62]);
  for (const name of ["", "a/b.txt", "ünï/cödé 😀", decodeName(raw)]) {
    assertEquals(cString(name), new Uint8Array([...encodeName(name), 0]));
  }
  assertEquals(cString(raw), new Uint8Array([...raw, 0]));
  let refused = false;
  try {
    cString("a\0b");
  } catch {
    refused = true;
  }
  assert(refused);
});
