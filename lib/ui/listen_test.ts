import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DEFAULT_UI_PORT, isLoopback, parseListen } from "./listen.ts";

Deno.test("parseListen: default, port, host, host:port, [v6]:port", () => {
  assertEquals(parseListen(""), { host: "127.0.0.1", port: DEFAULT_UI_PORT });
  assertEquals(parseListen("9000"), { host: "127.0.0.1", port: 9000 });
  assertEquals(parseListen("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
  assertEquals(parseListen("localhost"), { host: "localhost", port: DEFAULT_UI_PORT });
  assertEquals(parseListen("[::1]:8000"), { host: "::1", port: 8000 });
  for (const bad of ["1.2.3.4:99999", "host:x", ":80"]) {
    assertThrows(() => parseListen(bad), UsageError);
  }
});

Deno.test("isLoopback: 127/8, ::1 and localhost only", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assertEquals(isLoopback(h), true, h);
  }
  for (const h of ["0.0.0.0", "192.168.1.2", "::", "example.com"]) {
    assertEquals(isLoopback(h), false, h);
  }
});
