/**
 * intentFor and completionFor for each kind of operation: what a batch
 * writes to the journal before and after applying it.
 */

import { assertEquals } from "../../testing/assert.ts";
import type { Entry } from "../base/scan.ts";
import { completionFor, intentFor } from "./batch_records.ts";

const file: Entry = { kind: "file", size: 7, mtimeMs: 1_000, mode: 0o644, ino: 42 };
const dir: Entry = { kind: "dir", size: 0, mtimeMs: 2_000, mode: 0o755, ino: 43 };
const link: Entry = {
  kind: "symlink",
  size: 3,
  mtimeMs: 3_000,
  mode: 0o777,
  ino: 44,
  target: "a/b",
};
const fields = { size: 7, mtime: 1_000, mode: 0o644, ino: 42 };
const LONG_AGO = 1_000_000_000;

Deno.test("intentFor a copy carries the source entry's facts and the reason", () => {
  assertEquals(intentFor({ op: "copy", path: "f", src: file }, "scan"), {
    type: "intent",
    op: "copy",
    path: "f",
    kind: "file",
    ...fields,
    reason: "scan",
  });
});

Deno.test("intentFor a copy or delete with versioning names the version", () => {
  assertEquals(intentFor({ op: "copy", path: "f", src: file }, "watch", "f.v1").version, "f.v1");
  assertEquals(intentFor({ op: "delete", path: "f", kind: "file" }, "scan", "f.v2"), {
    type: "intent",
    op: "delete",
    path: "f",
    kind: "file",
    reason: "scan",
    version: "f.v2",
  });
});

Deno.test("intentFor a delete has only path and kind, no version unless given", () => {
  assertEquals(intentFor({ op: "delete", path: "d", kind: "dir" }, "replay"), {
    type: "intent",
    op: "delete",
    path: "d",
    kind: "dir",
    reason: "replay",
  });
});

Deno.test("intentFor a mkdir, symlink, meta and move", () => {
  assertEquals(intentFor({ op: "mkdir", path: "d", src: dir }, "scan"), {
    type: "intent",
    op: "mkdir",
    path: "d",
    kind: "dir",
    size: 0,
    mtime: 2_000,
    mode: 0o755,
    ino: 43,
    reason: "scan",
  });
  const symlink = intentFor({ op: "symlink", path: "l", src: link }, "scan");
  assertEquals([symlink.op, symlink.kind, symlink.target], ["symlink", "symlink", "a/b"]);
  assertEquals(intentFor({ op: "meta", path: "f", src: file, hash: "abc" }, "scan").hash, "abc");
  assertEquals("hash" in intentFor({ op: "meta", path: "f", src: file }, "scan"), false);
  assertEquals(intentFor({ op: "move", path: "to", from: "from", src: file }, "watch"), {
    type: "intent",
    op: "move",
    path: "to",
    kind: "file",
    ...fields,
    reason: "watch",
    from: "from",
  });
});

Deno.test("completionFor a copy records what it wrote", () => {
  assertEquals(
    completionFor({ op: "copy", path: "f", src: file }, 9, null, {
      hash: "h",
      bytes: 7,
      racy: true,
    }, LONG_AGO),
    { type: "done", ref: 9, hash: "h", bytes: 7, racy: true },
  );
});

Deno.test("completionFor a failed operation of any kind records why", () => {
  const denied = new Deno.errors.PermissionDenied("EACCES");
  for (
    const op of [
      { op: "copy", path: "f", src: file },
      { op: "delete", path: "f", kind: "file" },
      { op: "mkdir", path: "d", src: dir },
    ] as const
  ) {
    assertEquals(completionFor(op, 3, denied, {}, LONG_AGO), {
      type: "failed",
      ref: 3,
      error: "permission denied",
    });
  }
  assertEquals(
    completionFor({ op: "mkdir", path: "d", src: dir }, 4, new Error("boom\nmore"), {}, 0),
    {
      type: "failed",
      ref: 4,
      error: "boom",
    },
  );
});

Deno.test("completionFor other kinds is a bare done; a meta of a file still in the racy window stays racy", () => {
  for (
    const op of [
      { op: "delete", path: "f", kind: "file" },
      { op: "mkdir", path: "d", src: dir },
      { op: "symlink", path: "l", src: link },
      { op: "move", path: "to", from: "from", src: file },
      { op: "meta", path: "f", src: file, hash: "h" },
    ] as const
  ) {
    assertEquals(completionFor(op, 5, null, { hash: "ignored" }, LONG_AGO), {
      type: "done",
      ref: 5,
    });
  }
  const fresh = { op: "meta", path: "f", src: file } as const;
  assertEquals(completionFor(fresh, 6, null, {}, file.mtimeMs + 1), {
    type: "done",
    ref: 6,
    racy: true,
  });
  const freshDir = { op: "meta", path: "d", src: dir } as const;
  assertEquals(completionFor(freshDir, 7, null, {}, dir.mtimeMs + 1), { type: "done", ref: 7 });
});
