import { assert, assertEquals } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import type { GuardConfig } from "./guard.ts";
import { uiApp, type UiServerOptions } from "./server.ts";

const TOKEN = "k".repeat(32);
const quiet = { info() {}, error() {}, warn() {}, debug() {} } as unknown as Logger;

function app(readToken: boolean, readOnly = false) {
  const dir = Deno.makeTempDirSync();
  const options: UiServerOptions = {
    jobs: [{ name: "j", source: `${dir}/s`, dest: `${dir}/d`, interval: 5 }],
    listen: { host: readToken ? "0.0.0.0" : "127.0.0.1", port: 9 },
    token: TOKEN,
    fs: new DenoFileSystem(),
    readOnly,
    log: quiet,
    signal: new AbortController().signal,
  };
  const guard: GuardConfig = { host: options.listen.host, port: 9, token: TOKEN, readToken };
  return { app: uiApp(options, guard), dir, host: `${options.listen.host}:9` };
}

Deno.test("uiApp: the page, its assets and the overview of a backup that never ran", async () => {
  const { app: a, dir, host } = app(false);
  try {
    const page = await a.request("/", { headers: { host } });
    assertEquals(page.status, 200);
    assert((await page.text()).includes(`content="${TOKEN}"`));
    assertEquals(page.headers.get("x-frame-options"), "DENY");
    const js = await a.request("/assets/app.js", { headers: { host } });
    assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    await js.body?.cancel();
    assertEquals((await a.request("/assets/nope.js", { headers: { host } })).status, 404);
    const jobs = await (await a.request("/api/jobs", { headers: { host } })).json();
    assertEquals(jobs.jobs[0].state, "never run");
    assertEquals((await a.request("/api/jobs?job=zz", { headers: { host } })).status, 200);
    assertEquals((await a.request("/api/history?job=zz", { headers: { host } })).status, 400);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("uiApp: off loopback, ?token= once sets a private cookie, and reads need it", async () => {
  const { app: a, dir, host } = app(true);
  try {
    assertEquals((await a.request("/", { headers: { host } })).status, 403);
    const login = await a.request(`/?token=${TOKEN}`, { headers: { host } });
    assertEquals(login.status, 303);
    const cookie = login.headers.get("set-cookie") ?? "";
    assert(cookie.includes("HttpOnly") && cookie.includes("SameSite=Strict"), cookie);
    const page = await a.request("/", { headers: { host, cookie: cookie.split(";")[0]! } });
    assertEquals(page.status, 200);
    await page.body?.cancel();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("uiApp: a read-only dashboard has no actions, even with the token", async () => {
  const { app: a, dir, host } = app(false, true);
  try {
    const page = await (await a.request("/", { headers: { host } })).text();
    assert(page.includes('content=""'));
    for (const path of ["/api/restore", "/api/confirm"]) {
      const res = await a.request(path, {
        method: "POST",
        headers: { host, "x-backup-token": TOKEN },
        body: "{}",
      });
      assertEquals(res.status, 403, path);
      await res.body?.cancel();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
