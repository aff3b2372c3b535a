import { assert, assertEquals } from "../../testing/assert.ts";
import { crossSite, type GuardConfig, hostAllowed, refusal, sameSecret, tokenOf } from "./guard.ts";

const TOKEN = "t".repeat(32);
const LOOP: GuardConfig = { host: "127.0.0.1", port: 8577, token: TOKEN, readToken: false };
const OPEN: GuardConfig = { host: "0.0.0.0", port: 8577, token: TOKEN, readToken: true };

Deno.test("hostAllowed: own address or a loopback name, on the right port", () => {
  assert(hostAllowed("127.0.0.1:8577", LOOP));
  assert(hostAllowed("localhost:8577", LOOP));
  assert(hostAllowed("[::1]:8577", LOOP));
  assert(!hostAllowed("127.0.0.1:8578", LOOP));
  assert(!hostAllowed("evil.example:8577", LOOP));
  assert(!hostAllowed(null, LOOP));
  assert(hostAllowed("0.0.0.0:8577", OPEN));
  assert(!hostAllowed("localhost:8577", OPEN), "a public bind answers its own name only");
});

Deno.test("refusal: actions need POST, the same origin and the token; reads need it off loopback", () => {
  const h = (o: Record<string, string>) => new Headers({ host: "127.0.0.1:8577", ...o });
  assertEquals(refusal("GET", h({}), LOOP, false), null);
  assertEquals(refusal("GET", h({}), LOOP, true)?.status, 405);
  assertEquals(refusal("POST", h({}), LOOP, true)?.status, 403);
  assertEquals(refusal("POST", h({ "x-backup-token": TOKEN }), LOOP, true), null);
  assertEquals(
    refusal("POST", h({ "x-backup-token": TOKEN, origin: "http://evil.example" }), LOOP, true)
      ?.status,
    403,
  );
  assertEquals(
    refusal("POST", h({ "x-backup-token": TOKEN, origin: "http://127.0.0.1:8577" }), LOOP, true),
    null,
  );
  const open = (o: Record<string, string>) => new Headers({ host: "0.0.0.0:8577", ...o });
  assertEquals(refusal("GET", open({}), OPEN, false)?.status, 403);
  assertEquals(refusal("GET", open({ cookie: `backup_ui=${TOKEN}` }), OPEN, false), null);
  assertEquals(
    refusal("GET", open({ host: "evil:8577", cookie: `backup_ui=${TOKEN}` }), OPEN, false)?.status,
    403,
  );
});

Deno.test("sameSecret, tokenOf, crossSite", () => {
  assert(sameSecret(TOKEN, TOKEN));
  assert(!sameSecret(TOKEN + "x", TOKEN));
  assert(!sameSecret(null, TOKEN));
  assertEquals(tokenOf(new Headers({ cookie: "a=b; backup_ui=xyz" })), "xyz");
  assertEquals(tokenOf(new Headers({ "x-backup-token": "h", cookie: "backup_ui=c" })), "h");
  assert(crossSite(new Headers({ "sec-fetch-site": "cross-site" }), "http://a"));
  assert(
    !crossSite(new Headers({ "sec-fetch-site": "same-origin", origin: "http://a" }), "http://a"),
  );
  assert(!crossSite(new Headers({}), "http://a"));
});
