import { assert, assertEquals } from "../../../testing/assert.ts";
import { isEscapeRefused } from "../fs.ts";
import { parseRel } from "./rel_path.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function refusal(rel: string | Uint8Array): unknown {
  try {
    parseRel(rel, "/root");
  } catch (err) {
    return err;
  }
  throw new Error(`${String(rel)} was accepted`);
}

Deno.test("parseRel: parent and name, empty and '.' components dropped", () => {
  const cases: [string, string, string, string | null][] = [
    ["a/b/c", "a/b/c", "a/b", "c"],
    ["a//b/./c/", "a/b/c", "a/b", "c"],
    ["name", "name", ".", "name"],
    ["", ".", ".", null],
    [".", ".", ".", null],
    ["./", ".", ".", null],
    ["...", "...", ".", "..."],
    ["a/..b", "a/..b", "a", "..b"],
  ];
  for (const [rel, path, parent, name] of cases) {
    const parsed = parseRel(rel);
    assertEquals(
      [text(parsed.path), text(parsed.parent), parsed.name && text(parsed.name)],
      [path, parent, name],
      rel,
    );
  }
});

Deno.test("parseRel: raw bytes pass through untouched", () => {
  const parsed = parseRel(Uint8Array.of(0x61, 0x2f, 0xff, 0xfe));
  assertEquals(parsed.name, Uint8Array.of(0xff, 0xfe));
  assertEquals(parsed.parent, Uint8Array.of(0x61));
});

Deno.test("parseRel: '..' anywhere and absolute paths are escapes; NUL is invalid", () => {
  for (const rel of ["..", "../x", "a/../b", "a/b/..", "/etc/passwd", "//x"]) {
    const err = refusal(rel);
    assert(isEscapeRefused(err), `${rel}: ${String(err)}`);
    assert(String((err as Error).message).includes("/root/"), "the message names the root");
  }
  const nul = refusal("a\0b");
  assertEquals([(nul as { code?: string }).code, isEscapeRefused(nul)], ["EINVAL", false]);
});
