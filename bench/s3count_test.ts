import { assertEquals } from "../testing/assert.ts";
import { fmtRequests, kindOf, startCounter } from "./s3count.ts";

Deno.test("kindOf: copies, listings and object requests", () => {
  assertEquals(kindOf("PUT", "/b/k", { "x-amz-copy-source": "b/a" }), "COPY");
  assertEquals(kindOf("PUT", "/b/k", {}), "PUT");
  assertEquals(kindOf("GET", "/b?list-type=2&prefix=p%2F", {}), "LIST");
  assertEquals(kindOf("GET", "/b/", {}), "LIST");
  assertEquals(kindOf("GET", "/b/dir/k", {}), "GET");
  assertEquals(kindOf("HEAD", "/b/k", {}), "HEAD");
});

Deno.test(
  "startCounter: passes requests on with their Host, counts bodies apart for reserved keys",
  { sanitizeResources: false, sanitizeOps: false },
  async () => {
    const seen: { method: string; host: string; body: number }[] = [];
    let release = () => {};
    const gate = new Promise<void>((r) => release = r);
    const upstream = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const body = new Uint8Array(await req.arrayBuffer());
        seen.push({
          method: req.method,
          host: req.headers.get("host") ?? "",
          body: body.byteLength,
        });
        if (new URL(req.url).pathname === "/b/slow") await gate;
        return new Response(req.method === "HEAD" ? null : "ok", {
          headers: { connection: "close" },
        });
      },
    );
    const counter = await startCounter(`http://127.0.0.1:${upstream.addr.port}`, "/.state/");
    try {
      const host = new URL(counter.url).host;
      const put = (path: string, bytes: number) =>
        fetch(`${counter.url}${path}`, { method: "PUT", body: new Uint8Array(bytes) })
          .then((r) => r.text());
      await put("/b/file", 1000);
      await put("/b/p/.state/journal", 30);
      await fetch(`${counter.url}/b/file`, { method: "HEAD" }).then((r) => r.body?.cancel());
      const slow = fetch(`${counter.url}/b/slow`).then((r) => r.text());
      const fast = fetch(`${counter.url}/b/other`).then((r) => r.text());
      assertEquals(await fast, "ok");
      release();
      assertEquals(await slow, "ok");
      const c = counter.counts();
      assertEquals(c.dataBytes, 1000);
      assertEquals(c.reservedBytes, 30);
      assertEquals(c.bodyBytes, 1030);
      assertEquals(c.requests, { PUT: 2, HEAD: 1, GET: 2 });
      assertEquals(c.peakInFlight, 2);
      assertEquals(fmtRequests(c), "PUT 2 · HEAD 1 · GET 2");
      assertEquals(counter.trace().length, 5);
      // The server sees the Host the client signed, not its own address.
      assertEquals(seen.every((s) => s.host === host), true);
      counter.reset();
      assertEquals(counter.counts().bodyBytes, 0);
      assertEquals(counter.trace().length, 0);
    } finally {
      await counter.close();
      await upstream.shutdown();
    }
  },
);
