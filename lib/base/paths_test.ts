import { assert, assertEquals } from "../../testing/assert.ts";
import {
  absolute,
  depth,
  isAtOrBelow,
  join,
  joinRel,
  parentOf,
  showPath,
  someAbove,
  unsafeReason,
} from "./paths.ts";
import { isTempName, MARKER_NAME, RESERVED_DIR, TEMP_PREFIX, tempName } from "./layout.ts";

Deno.test("the reserved names are the ones on disk: .backup-state, .backup-source, .backup-tmp-", () => {
  assertEquals([RESERVED_DIR, MARKER_NAME, TEMP_PREFIX], [
    ".backup-state",
    ".backup-source",
    ".backup-tmp-",
  ]);
});

Deno.test("tempName makes fresh names that isTempName recognises", () => {
  const names = new Set(Array.from({ length: 100 }, tempName));
  assertEquals(names.size, 100);
  for (const name of names) {
    assert(/^\.backup-tmp-[0-9a-f]{16}$/.test(name), name);
    assert(isTempName(name), name);
  }
});

Deno.test("isTempName accepts only the exact temp pattern, never a user's look-alike", () => {
  for (
    const name of [
      ".backup-tmp-",
      ".backup-tmp-0123456789abcde",
      ".backup-tmp-0123456789abcdef0",
      ".backup-tmp-0123456789ABCDEF",
      ".backup-tmp-0123456789abcdeg",
      "x.backup-tmp-0123456789abcdef",
      ".backup-tmp-0123456789abcdef.txt",
      "dir/.backup-tmp-0123456789abcdef",
      RESERVED_DIR,
      MARKER_NAME,
    ]
  ) {
    assertEquals(isTempName(name), false, name);
  }
  assertEquals(isTempName(".backup-tmp-0123456789abcdef"), true);
});

Deno.test("join and joinRel put one slash between the parts; the empty path is the root", () => {
  assertEquals(join("/r", ""), "/r");
  assertEquals(join("/r", "a/b"), "/r/a/b");
  assertEquals(join("/r/", "a"), "/r/a");
  assertEquals(join("/", "a"), "/a");
  assertEquals(joinRel("", "a"), "a");
  assertEquals(joinRel("a/b", "c"), "a/b/c");
});

Deno.test("parentOf and depth walk a relative path by its segments", () => {
  assertEquals(parentOf("a"), "");
  assertEquals(parentOf("a/b"), "a");
  assertEquals(parentOf("a/b/c.txt"), "a/b");
  assertEquals([depth("a"), depth("a/b"), depth("a/b/c")], [1, 2, 3]);
});

Deno.test("isAtOrBelow matches a path, what is below it, and everything under the root only", () => {
  assert(isAtOrBelow("a", "a"));
  assert(isAtOrBelow("a/b/c", "a"));
  assert(isAtOrBelow("a/b/c", "a/b"));
  assert(isAtOrBelow("anything", ""));
  assert(!isAtOrBelow("ab", "a"), "a sibling that starts with the same letters");
  assert(!isAtOrBelow("a", "a/b"));
  assert(!isAtOrBelow("b/a", "a"));
});

Deno.test("someAbove tests the folders above a path, nearest first, the path itself only with self", () => {
  const asked: string[] = [];
  const record = (folder: string) => (asked.push(folder), false);
  assertEquals(someAbove("a/b/c", record), false);
  assertEquals(asked, ["a/b", "a"], "the root is never asked");
  asked.length = 0;
  someAbove("a/b/c", record, true);
  assertEquals(asked, ["a/b/c", "a/b", "a"]);
  assertEquals(someAbove("a/b/c", (f) => f === "a"), true);
  assertEquals(someAbove("a/b/c", (f) => f === "a/b/c"), false);
  assertEquals(someAbove("top", () => true), false, "a top-level name has no folder above");
});

Deno.test("unsafeReason accepts plain relative paths", () => {
  for (
    const rel of [
      "a",
      "a/b/c.txt",
      "..a",
      "a..",
      ".hidden",
      "sp ace/é/名前",
      `${RESERVED_DIR}x`,
      `x/${RESERVED_DIR}`,
      "caf\udce9/not-utf8-\udcff", // the text form of names that are not UTF-8
    ]
  ) {
    assertEquals(unsafeReason(rel), null, rel);
  }
});

Deno.test("unsafeReason refuses every path that could leave the root or reach the reserved folder", () => {
  const cases: [unknown, string][] = [
    [42, "not a string"],
    [null, "not a string"],
    ["", "empty"],
    ["a\0b", "contains NUL"],
    ["a/x\ud800", "a lone surrogate that no file name's text form holds"],
    ["/etc/passwd", "absolute"],
    ["..", 'bad segment ".."'],
    ["a/../../b", 'bad segment ".."'],
    ["a/./b", 'bad segment "."'],
    ["a//b", 'bad segment ""'],
    ["a/", 'bad segment ""'],
    [RESERVED_DIR, "inside the reserved folder"],
    [`${RESERVED_DIR}/journal/00000001.jsonl`, "inside the reserved folder"],
  ];
  for (const [rel, why] of cases) assertEquals(unsafeReason(rel), why, JSON.stringify(rel));
});

Deno.test("absolute resolves against cwd and folds . and .. without touching the disk", () => {
  assertEquals(absolute("src", "/home/me"), "/home/me/src");
  assertEquals(absolute("./src/", "/home/me"), "/home/me/src");
  assertEquals(absolute("../other/./x", "/home/me"), "/home/other/x");
  assertEquals(absolute("/abs//path/", "/ignored"), "/abs/path");
  assertEquals(absolute("../../../..", "/a/b"), "/", "never above the root");
  assertEquals(absolute(".", "/"), "/");
});

Deno.test("showPath quotes a name with control characters and leaves the others as they are", () => {
  assertEquals(showPath("plain/name é.txt"), "plain/name é.txt");
  assertEquals(showPath('with "quotes"'), 'with "quotes"');
  assertEquals(showPath("new\nline"), '"new\\nline"');
  assertEquals(showPath("tab\there"), '"tab\\there"');
  assert(showPath("del\x7f").startsWith('"del'), "DEL makes the name quoted");
});

Deno.test({
  name: "showPath escapes DEL too, so the quoted name holds no raw control character",
  fn: () => {
    assertEquals(showPath("del\x7f"), '"del\\u007f"');
  },
});
