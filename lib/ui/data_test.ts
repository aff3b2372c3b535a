import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { cleanPath, isInside, journalQuery } from "./data.ts";

Deno.test("cleanPath: relative, normalised, never leaving the backup", () => {
  assertEquals(cleanPath(null), null);
  assertEquals(cleanPath("/"), null);
  assertEquals(cleanPath("./a//b/"), "a/b");
  assertThrows(() => cleanPath("a/../../b"), UsageError);
  assertThrows(() => cleanPath("a\0b"), UsageError);
});

Deno.test("journalQuery: the filters of journal show from URL parameters", () => {
  const q = journalQuery(
    new URLSearchParams("path=docs&op=copy,held&failed=1&since=2h&limit=5000"),
  );
  assertEquals(q.path, "docs");
  assertEquals(q.ops, ["copy", "held"]);
  assertEquals(q.failed, true);
  assertEquals(q.since, "2h");
  assertEquals(q.limit, 100, "a page is at most 1000; a bad size means the default");
  assertThrows(() => journalQuery(new URLSearchParams("op=format")), UsageError);
});

Deno.test("isInside: absolute paths, by whole components", () => {
  assertEquals(isInside("/a/b", "/a"), true);
  assertEquals(isInside("/a", "/a"), true);
  assertEquals(isInside("/ab", "/a"), false);
});
