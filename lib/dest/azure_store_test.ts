import { assert, assertEquals } from "../../testing/assert.ts";
import { blockId, parseBlockId } from "./azure_store.ts";
import { md5Hex } from "./object_store.ts";

Deno.test("a block id names its upload, its number and its MD5, at one length", () => {
  const md5 = md5Hex(new TextEncoder().encode("part"));
  const a = blockId("0a1b2c3d", 1, md5);
  const b = blockId("0a1b2c3d", 123456, md5Hex(new Uint8Array(0)));
  assertEquals(a.length, b.length);
  assert(atob(a).length <= 64, "within Azure's 64 bytes before base64");
  assertEquals(parseBlockId(a), { id: "0a1b2c3d", n: 1 });
  assertEquals(parseBlockId(b), { id: "0a1b2c3d", n: 123456 });
});

Deno.test("a block id of another form is not ours to resume", () => {
  assertEquals(parseBlockId(btoa("0a1b2c3d-000001")), null);
  assertEquals(parseBlockId("not base64!"), null);
});
