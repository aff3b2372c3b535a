/**
 * The dashboard's defences, tried from outside against a running daemon and
 * `backup ui`: the Host header (DNS rebinding), actions without the token or
 * from another site, paths that leave the backup, restores into the source
 * or the destination, read-only mode, and a non-loopback address without a
 * token.
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { startUiDaemon } from "../testing/browser.ts";

/** Sends a raw HTTP/1.1 GET with the given Host header; returns the status code. */
async function getWithHost(url: string, path: string, host: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

/** The action token the page of `url` carries. */
async function pageToken(url: string): Promise<string> {
  const html = await (await fetch(url)).text();
  return /name="backup-token" content="([^"]*)"/.exec(html)?.[1] ?? "";
}

Deno.test("dashboard security: Host header, token, cross-site, path escape, restore targets", async (t) => {
  await using tmp = await tempDir();
  const src = `${tmp.path}/src`;
  const dest = `${tmp.path}/dest`;
  put(`${src}/a.txt`, "a");
  const { daemon, url } = await startUiDaemon(["--src", src, "--dest", dest, "--interval", "60"]);
  try {
    await waitFor(() => daemon.output().includes("PASS 1"), { what: "the first pass" });
    const port = new URL(url).port;
    const token = await pageToken(url);
    assert(token.length >= 32, "the page carries an action token");

    await t.step("a Host header naming another site is refused (DNS rebinding)", async () => {
      assertEquals(await getWithHost(url, "/api/jobs", `evil.example:${port}`), 403);
      assertEquals(await getWithHost(url, "/", `evil.example:${port}`), 403);
      assertEquals(await getWithHost(url, "/api/jobs", `127.0.0.1:${port}`), 200);
      assertEquals(await getWithHost(url, "/api/jobs", `localhost:${port}`), 200);
    });

    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(new URL(path, url), {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });

    await t.step("actions need the token, and a GET is not an action", async () => {
      const none = await post("/api/restore", { path: "a.txt", to: `${tmp.path}/out` }, {});
      assertEquals(none.status, 403);
      await none.body?.cancel();
      const wrong = await post("/api/restore", { path: "a.txt", to: `${tmp.path}/out` }, {
        "x-backup-token": "0".repeat(48),
      });
      assertEquals(wrong.status, 403);
      await wrong.body?.cancel();
      const get = await fetch(new URL("/api/restore", url));
      assertEquals(get.status, 405);
      await get.body?.cancel();
    });

    await t.step("a cross-site POST is refused even with the token", async () => {
      for (
        const headers of [{ origin: "http://evil.example" }, { "sec-fetch-site": "cross-site" }]
      ) {
        const res = await post("/api/restore", { path: "a.txt", to: `${tmp.path}/out` }, {
          "x-backup-token": token,
          ...headers,
        });
        assertEquals(res.status, 403);
        await res.body?.cancel();
      }
      let restored = true;
      try {
        Deno.statSync(`${tmp.path}/out`);
      } catch {
        restored = false;
      }
      assert(!restored, "nothing was restored");
    });

    await t.step("no path in a request leaves the backup", async () => {
      for (
        const path of [
          "/api/why?path=../../etc/passwd",
          "/api/download?path=../x",
          "/api/journal?path=a/../../b",
        ]
      ) {
        const res = await fetch(new URL(path, url));
        assertEquals(res.status, 400, path);
        assert((await res.json()).error.includes("leaves the backup"), path);
      }
      const res = await post("/api/restore", { path: "../../etc", to: `${tmp.path}/out` }, {
        "x-backup-token": token,
      });
      assertEquals(res.status, 400);
      await res.body?.cancel();
    });

    await t.step("a restore never writes inside the source or the destination", async () => {
      for (const to of [src, `${src}/sub`, dest, `${dest}/x`, tmp.path]) {
        const res = await post("/api/restore", { path: "a.txt", to }, { "x-backup-token": token });
        assertEquals(res.status, 400, to);
        assert((await res.json()).error.includes("outside every source and destination"), to);
      }
      const ok = await post("/api/restore", { path: "a.txt", to: `${tmp.path}-out` }, {
        "x-backup-token": token,
      });
      assertEquals(ok.status, 200);
      assertEquals((await ok.json()).code, 0);
      assertEquals(Deno.readTextFileSync(`${tmp.path}-out/a.txt`), "a");
      Deno.removeSync(`${tmp.path}-out`, { recursive: true });
    });
  } finally {
    await daemon.stop();
  }
});

Deno.test("backup ui: read-only from the journal, no actions; other addresses need a private token", async () => {
  await using tmp = await tempDir();
  const src = `${tmp.path}/src`;
  const dest = `${tmp.path}/dest`;
  put(`${src}/a.txt`, "a");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  const ui = startDaemon(["ui", "--dest", dest, "--ui", "0"]);
  try {
    const url = await waitFor(() => /at (http:\/\/\S+)/.exec(ui.output())?.[1] ?? "", {
      what: "the address",
      timeoutMs: 30_000,
    });
    assert(ui.output().includes("read-only"), ui.output());
    const jobs = await (await fetch(new URL("/api/jobs", url))).json();
    assertEquals(jobs.readOnly, true);
    assertEquals(jobs.jobs[0].job.source, src);
    assertEquals(await pageToken(url), "", "a read-only page carries no token");
    const rows = await (await fetch(new URL("/api/journal", url))).json();
    assert(rows.rows.some((r: { path: string }) => r.path === "a.txt"));
    const res = await fetch(new URL("/api/restore", url), {
      method: "POST",
      headers: { "x-backup-token": "x".repeat(48) },
      body: "{}",
    });
    assertEquals(res.status, 403);
    await res.body?.cancel();
  } finally {
    await ui.stop();
  }

  const open = await runCli(["ui", "--dest", dest, "--ui", "0.0.0.0:0"]);
  assertEquals(open.code, 2);
  assert(open.stderr.includes("--ui-token"), open.stderr);
  const tokenFile = `${tmp.path}/token`;
  Deno.writeTextFileSync(tokenFile, "a".repeat(32) + "\n", { mode: 0o644 });
  Deno.chmodSync(tokenFile, 0o644);
  const shared = await runCli([
    "ui",
    "--dest",
    dest,
    "--ui",
    "0.0.0.0:0",
    "--ui-token-file",
    tokenFile,
  ]);
  assertEquals(shared.code, 2);
  assert(shared.stderr.includes("chmod 600"), shared.stderr);
  assertEquals((await runCli(["ui", "--dest", `${tmp.path}/nothing`])).code, 2);
});
