import { assertEquals, assertNotEquals } from "./assert.ts";
import { sameParking } from "./plan_ops.ts";

Deno.test("sameParking names parking names by first use, and leaves other strings alone", () => {
  const a = [{ path: ".backup-move-83b2", from: "b" }, { path: "a", from: ".backup-move-83b2" }];
  const b = [{ path: ".backup-move-3df1", from: "b" }, { path: "a", from: ".backup-move-3df1" }];
  assertNotEquals(a, b);
  assertEquals(sameParking(a), sameParking(b));
  assertEquals(sameParking(a)[0]!.path, ".backup-move-0");
  assertEquals(sameParking([{ path: "x/.backup-moved" }]), [{ path: "x/.backup-moved" }]);
});
