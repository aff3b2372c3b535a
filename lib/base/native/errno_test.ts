import { assert, assertEquals } from "../../../testing/assert.ts";
import { describeError } from "../errors.ts";
import {
  isAlreadyExists,
  isEscapeRefused,
  isIsADirectory,
  isMissing,
  isNotADirectory,
  isNotFound,
  isPermissionDenied,
  isSymlinkRefused,
} from "../fs.ts";
import { ERRNO, errnoError, errnoName, errorCode } from "./errno.ts";

Deno.test("errnoError: Deno's classes, message shape and code, so the fs.ts predicates hold", () => {
  const missing = errnoError(ERRNO.ENOENT, "openat2", "/dest/a");
  assert(missing instanceof Deno.errors.NotFound);
  assertEquals(missing.message, "No such file or directory (os error 2): openat2 '/dest/a'");
  assertEquals([missing.code, missing.errno, missing.syscall], ["ENOENT", 2, "openat2"]);
  assert(isNotFound(missing) && isMissing(missing));
  assert(isMissing(errnoError(ERRNO.ENOTDIR, "openat2")));
  assert(isNotADirectory(errnoError(ERRNO.ENOTDIR, "openat2")));
  assert(isAlreadyExists(errnoError(ERRNO.EEXIST, "mkdirat")));
  assert(isIsADirectory(errnoError(ERRNO.EISDIR, "openat2")));
  assert(isPermissionDenied(errnoError(ERRNO.EACCES, "openat2")));
  assert(isPermissionDenied(errnoError(ERRNO.EPERM, "unlinkat")));
  assert(isSymlinkRefused(errnoError(ERRNO.ELOOP, "openat2")));
  assert(isEscapeRefused(errnoError(ERRNO.EXDEV, "openat2")));
  assertEquals(isEscapeRefused(errnoError(ERRNO.EXDEV, "renameat2")), false, "cross-device rename");
  const full = errnoError(ERRNO.ENOSPC, "write", "/dest/x");
  assertEquals(Object.getPrototypeOf(full), Error.prototype);
  assertEquals(describeError(full), "no space left on device");
  assertEquals(describeError(errnoError(ERRNO.EROFS, "openat2")), "read-only file system");
  const detailed = errnoError(ERRNO.ELOOP, "fchmodat2", "/d/f", "refused: a symlink");
  assertEquals(
    detailed.message,
    "Too many levels of symbolic links (os error 40): fchmodat2 '/d/f' (refused: a symlink)",
  );
});

Deno.test("errnoName and errorCode: unknown numbers and values without a code", () => {
  assertEquals(errnoName(2), "ENOENT");
  assertEquals(errnoName(999), "E999");
  assertEquals(errnoError(999, "read").code, "E999");
  assertEquals(errorCode(new Error("x")), undefined);
  assertEquals(errorCode("ENOENT"), undefined);
  assertEquals(errorCode(errnoError(ERRNO.EXDEV, "openat2")), "EXDEV");
});
