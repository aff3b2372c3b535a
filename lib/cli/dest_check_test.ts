import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { RootError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { checkDestination, missingParent, missingParentMessage } from "./dest_check.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const real = new DenoFileSystem();

Deno.test("checkDestination accepts a missing, empty or earlier backup destination", async () => {
  await using tmp = await tempDir();
  checkDestination(real, `${tmp.path}/missing`, "/src");
  Deno.mkdirSync(`${tmp.path}/empty`);
  checkDestination(real, `${tmp.path}/empty`, "/src");
  put(
    `${tmp.path}/backup/${RESERVED_DIR}/source.json`,
    JSON.stringify({ v: 1, source: "/src", dev: 1 }),
  );
  put(`${tmp.path}/backup/file.txt`, "mirrored");
  checkDestination(real, `${tmp.path}/backup`, "/src");
  put(`${tmp.path}/marked/.backup-source`, "only the marker");
  checkDestination(real, `${tmp.path}/marked`, "/src");
});

Deno.test("checkDestination refuses a folder with files that was never a backup, or another source's backup", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/photos/cat.jpg`, "meow");
  assertThrows(
    () => checkDestination(real, `${tmp.path}/photos`, "/src"),
    RootError,
    `"${tmp.path}/photos" is not empty and was never a backup (1 entry, no ${RESERVED_DIR}/ folder)`,
  );
  put(
    `${tmp.path}/other/${RESERVED_DIR}/source.json`,
    JSON.stringify({ v: 1, source: "/elsewhere" }),
  );
  const err = assertThrows(() => checkDestination(real, `${tmp.path}/other`, "/src"), RootError);
  assertIncludes(err.message, `is the backup of "/elsewhere", not of "/src"`);
  assertIncludes(err.message, "--adopt-dest");
});

Deno.test("missingParent names the missing parent of a destination to create, and nothing else", async () => {
  await using tmp = await tempDir();
  assertEquals(missingParent(real, tmp.path), null, "exists");
  assertEquals(missingParent(real, `${tmp.path}/new`), null, "its parent exists");
  assertEquals(missingParent(real, `${tmp.path}/a/b`), `${tmp.path}/a`);
  assertIncludes(missingParentMessage("x/b", `${tmp.path}/a`), `mkdir -p ${tmp.path}/a`);
});
