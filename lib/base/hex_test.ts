/** HEX_DIGIT: the value of each lowercase hex digit, -1 for anything else. */

import { assertEquals } from "../../testing/assert.ts";
import { HEX_DIGIT } from "./hex.ts";

Deno.test("HEX_DIGIT gives 0-15 for 0-9 and a-f, and -1 for every other byte", () => {
  const digits = "0123456789abcdef";
  for (let b = 0; b < 256; b++) {
    assertEquals(HEX_DIGIT[b], digits.indexOf(String.fromCharCode(b)), `byte ${b}`);
  }
});
