import { assert, assertEquals } from "../../testing/assert.ts";
import { freeSpace } from "./free_space.ts";

Deno.test("freeSpace: a folder's file system, or null when df cannot tell", async () => {
  const space = await freeSpace(Deno.cwd());
  assert(space !== null && space.size > 0 && space.available >= 0 && space.available <= space.size);
  assertEquals(await freeSpace("/no/such/folder/at/all"), null);
});
