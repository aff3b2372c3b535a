import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import { cleanRel, findJournal } from "./journal_common.ts";

const real = new DenoFileSystem();

Deno.test("cleanRel drops ./, doubled and trailing slashes from a path a user typed", () => {
  assertEquals(cleanRel("./docs//a.txt"), "docs/a.txt");
  assertEquals(cleanRel("docs/sub/"), "docs/sub");
  assertEquals(cleanRel("/docs/./x"), "docs/x");
  assertEquals(cleanRel("."), "");
  assertEquals(cleanRel("a/../b"), "a/../b", "`..` is left for the safety check to refuse");
});

Deno.test("findJournal resolves --dest against cwd and finds its journal folder", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/b/${RESERVED_DIR}/journal`, { recursive: true });
  assertEquals(findJournal(real, "b", tmp.path), {
    dest: `${tmp.path}/b`,
    dir: `${tmp.path}/b/${RESERVED_DIR}/journal`,
  });
  assertEquals(findJournal(real, `${tmp.path}/x/../b/`, "/").dest, `${tmp.path}/b`);
});

Deno.test("findJournal refuses a folder without a journal, or with a file in its place", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/plain`);
  assertThrows(
    () => findJournal(real, "plain", tmp.path),
    UsageError,
    `no journal in "plain" (looked for ${tmp.path}/plain/${RESERVED_DIR}/journal); is it a backup?`,
  );
  put(`${tmp.path}/odd/${RESERVED_DIR}/journal`, "a file");
  assertThrows(
    () => findJournal(real, "odd", tmp.path),
    UsageError,
    `${tmp.path}/odd/${RESERVED_DIR}/journal is not a folder; is "odd" a backup?`,
  );
});
