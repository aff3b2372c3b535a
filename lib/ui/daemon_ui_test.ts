import { assert, assertEquals } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import { startDaemonUi } from "./daemon_ui.ts";

const quiet = { info() {}, error() {}, warn() {}, debug() {} } as unknown as Logger;

Deno.test("startDaemonUi: serves on a free loopback port, feeds the hub, stops", async () => {
  const ui = await startDaemonUi(
    { listen: { host: "127.0.0.1", port: 0 }, token: null, tokenFile: null },
    [{ name: "j", source: "/s", dest: "/nonexistent-dest", interval: 5 }],
    { fs: new DenoFileSystem(), cwd: "/", log: quiet },
  );
  try {
    assert(/^http:\/\/127\.0\.0\.1:\d+\/$/.test(ui.url), ui.url);
    const progress = ui.progressFor("j");
    progress.planned(1, "scan", []);
    const jobs = await (await fetch(new URL("/api/jobs", ui.url))).json();
    assertEquals(jobs.jobs[0].state, "copying");
  } finally {
    await ui.stop();
  }
});
