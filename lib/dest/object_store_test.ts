import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { headOrNull, md5Hex } from "./object_store.ts";

Deno.test("headOrNull reads the reply into the key's info", async () => {
  const info = await headOrNull("a/b", () => Promise.resolve({ tag: "e1" }), (res) => ({
    etag: res.tag,
    size: 3,
  }));
  assertEquals(info, { key: "a/b", etag: "e1", size: 3 });
});

Deno.test("headOrNull is null for a missing key and rethrows other failures", async () => {
  const missing = () => Promise.reject(new Deno.errors.NotFound("gone"));
  assertEquals(await headOrNull("k", missing, () => ({ etag: "", size: 0 })), null);
  const denied = () => Promise.reject(new Deno.errors.PermissionDenied("no"));
  await assertRejects(
    () => headOrNull("k", denied, () => ({ etag: "", size: 0 })),
    Deno.errors.PermissionDenied,
  );
});

Deno.test("md5Hex is the hex MD5 an S3 part's ETag carries", () => {
  assertEquals(md5Hex(new TextEncoder().encode("abc")), "900150983cd24fb0d6963f7d28e17f72");
});
