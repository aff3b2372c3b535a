/// <reference lib="dom" />
/**
 * The dashboard of a backup in a bucket, in a real browser (headless Chromium
 * through puppeteer-core) against the Ceph RGW (tools/servers/ceph.sh): the
 * daemon's own dashboard (`--dest s3://... --ui --compress zstd`: overview with free space
 * "n/a", live operations, the journal, history, a restore from the versions
 * page into a local folder, a download streamed from the bucket, the problems
 * page), then `backup ui --dest s3://...` on a "new machine" (an empty cache)
 * read-only from the journal in the bucket, and `backup ui --config` with a
 * bucket job. Screenshots go to test-output/ui/.
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import {
  BROWSER_IGNORE,
  clickTab,
  dashboardJob,
  launchBrowser,
  openDashboard,
  screenshot,
  startUiDaemon,
  texts,
} from "../testing/browser.ts";
import { S3_IGNORE, s3Case, startRemoteDaemon } from "../testing/s3.ts";
import type { Page } from "puppeteer-core";

const opts = {
  ignore: S3_IGNORE || BROWSER_IGNORE,
  sanitizeResources: false,
  sanitizeOps: false,
};

/** Starts `backup ARGS` (a daemon with `--ui 0`, or `ui ... --ui 0`) and waits for its address. */
const startWithUi = (args: string[], cache: string) =>
  startUiDaemon(args, {
    start: (all) => startRemoteDaemon(all, { BACKUP_CACHE_DIR: cache }),
    timeoutMs: 60_000,
  });

/** Opens `url` at `hash` and waits for the page's event stream (live, or read-only). */
const open = (page: Page, url: string, hash: string) =>
  openDashboard(page, url, hash, /^(live|read-only)/);

/** What the page's own origin gets for `path`: the status and the body as text. */
async function fetched(page: Page, path: string, init: RequestInit = {}) {
  return await page.evaluate(
    async (path, init) => {
      const res = await fetch(path, init);
      return { status: res.status, text: await res.text() };
    },
    path,
    init as Record<string, unknown>,
  );
}

/** The download link of `path` on the versions page (lists the versions first). */
async function downloadHref(page: Page, path: string): Promise<string> {
  await clickTab(page, "versions");
  await page.click('#versions-form button[type="submit"]');
  const link = `#versions-rows tr[data-path="${path}"] a`;
  await page.waitForSelector(link, { timeout: 15_000 });
  return await page.$eval(link, (a) => (a as HTMLAnchorElement).href);
}

Deno.test(
  "dashboard of a backup in a bucket: the daemon's pages, restore and download from the bucket, then backup ui read-only on a new machine",
  opts,
  async (t) => {
    await using tmp = await s3Case("home/docs", "backup-ui-s3-");
    const { src, cache, url: dest } = tmp;
    const out = `${tmp.path}/restored`;
    // Objects stored compressed: restore and download decompress on the way.
    const job = dashboardJob(src, dest, ["--compress", "zstd"]);
    const { daemon, url } = await startWithUi(job, cache);
    const browser = await launchBrowser();
    try {
      await waitFor(() => daemon.output().includes("PASS 1"), {
        what: "the first pass",
        timeoutMs: 60_000,
      });
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });

      await t.step(
        "overview: the job watching, the bucket as destination, free space n/a",
        async () => {
          await open(page, url, "overview");
          await page.waitForSelector('.job-card[data-state="watching"]', { timeout: 15_000 });
          const card = (await texts(page, ".job-card"))[0]!;
          assert(card.includes(src) && card.includes(dest), card);
          assert(/free space\s*n\/a/.test(card.replace(/\n/g, " ")), card);
          await screenshot(page, "remote-overview");
        },
      );

      await t.step(
        "a file created in the source shows on the live page and the journal",
        async () => {
          const journal = await browser.newPage();
          await open(journal, url, "journal");
          await open(page, url, "live");
          put(`${src}/new.txt`, "hello");
          await page.waitForSelector('#live-ops li[data-path="new.txt"]', { timeout: 10_000 });
          await journal.waitForSelector('#journal-rows tr[data-path="new.txt"]', {
            timeout: 10_000,
          });
          await screenshot(journal, "remote-journal");
          await journal.close();
          const keys = await tmp.keys("home/docs/");
          assert(keys.includes("home/docs/new.txt"), keys.join(", "));
        },
      );

      await t.step("history charts the passes, problems has none", async () => {
        await clickTab(page, "history");
        await page.waitForSelector("#history-chart canvas", { timeout: 10_000 });
        await clickTab(page, "problems");
        await page.waitForFunction(
          () => document.getElementById("problems-reason")?.dataset.state === "watching",
          { timeout: 10_000 },
        );
      });

      await t.step(
        "a restore from the versions page brings the old bytes back from the bucket",
        async () => {
          put(`${src}/keep/v.txt`, "new bytes!");
          await clickTab(page, "versions");
          // The list is drawn again when a pass ends: pick the version once it is there and stays.
          await waitFor(async () => {
            try {
              await page.click('#versions-form button[type="submit"]');
              await page.click('#versions-rows tr[data-path="keep/v.txt"] button.pick');
            } catch {
              return false; // not listed yet, or drawn again under the click
            }
            return await page.$eval("#restore-path", (e) => (e as HTMLInputElement).value) ===
              "keep/v.txt";
          }, { what: "the version of keep/v.txt on the versions page", timeoutMs: 20_000 });
          await page.type("#restore-to", out);
          await page.click("#restore-go");
          await page.waitForFunction(
            () => /^restored/.test(document.getElementById("restore-result")?.textContent ?? ""),
            { timeout: 20_000 },
          );
          assertEquals(Deno.readTextFileSync(`${out}/v.txt`), "old bytes");
          await screenshot(page, "remote-versions");
        },
      );

      await t.step("a download streams one file's old bytes from the bucket", async () => {
        const href = await downloadHref(page, "keep/v.txt");
        const res = await fetched(page, new URL(href).pathname + new URL(href).search);
        assertEquals(res, { status: 200, text: "old bytes" });
        const now = await fetched(page, "/api/download?path=keep/v.txt");
        assertEquals(now, { status: 200, text: "new bytes!" });
        const gone = await fetched(page, "/api/download?path=nothing.txt");
        assertEquals(gone.status, 400, gone.text);
      });

      await t.step(
        "backup ui --dest s3://... on a new machine: read-only, from the bucket",
        async () => {
          const fresh = `${tmp.path}/cache-new-machine`;
          const ui = await startWithUi(["ui", "--dest", dest], fresh);
          try {
            const ro = await browser.newPage();
            await open(ro, ui.url, "overview");
            await ro.waitForSelector('.job-card[data-state="not run here"]', { timeout: 15_000 });
            const card = (await texts(ro, ".job-card"))[0]!;
            assert(card.includes(src), `the source, from the journal: ${card}`);
            assert(card.includes(dest) && /free space\s*n\/a/.test(card.replace(/\n/g, " ")), card);
            await screenshot(ro, "remote-readonly-overview");
            await clickTab(ro, "journal");
            await ro.waitForSelector('#journal-rows tr[data-path="new.txt"]', { timeout: 10_000 });
            // A change made after the page opened shows once the journal is read again.
            put(`${src}/later.txt`, "later");
            await ro.waitForSelector('#journal-rows tr[data-path="later.txt"]', {
              timeout: 30_000,
            });
            const href = await downloadHref(ro, "keep/v.txt");
            const res = await fetched(ro, new URL(href).pathname + new URL(href).search);
            assertEquals(res, { status: 200, text: "old bytes" });
            const restore = await fetched(ro, "/api/restore", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ path: "keep/v.txt", to: `${tmp.path}/nope` }),
            });
            assertEquals(restore.status, 403, restore.text);
            await screenshot(ro, "remote-readonly-versions");
            await ro.close();
          } finally {
            await ui.daemon.stop();
          }
        },
      );

      await t.step("backup ui --config with a job whose destination is a bucket", async () => {
        const config = `${tmp.path}/jobs.jsonc`;
        Deno.writeTextFileSync(
          config,
          JSON.stringify({ jobs: [{ name: "offsite", source: src, destination: dest }] }),
        );
        const ui = await startWithUi(["ui", "--config", config], `${tmp.path}/cache-config`);
        try {
          const cfg = await browser.newPage();
          await open(cfg, ui.url, "journal");
          await cfg.waitForSelector('#journal-rows tr[data-path="new.txt"]', { timeout: 10_000 });
          const jobs = JSON.parse((await fetched(cfg, "/api/jobs")).text);
          assertEquals(jobs.jobs[0].job.name, "offsite");
          assertEquals(jobs.jobs[0].destination, dest);
          await cfg.close();
        } finally {
          await ui.daemon.stop();
        }
      });
    } finally {
      await browser.close();
      await daemon.stop();
    }
  },
);

Deno.test(
  "dashboard of a backup in a bucket: a held mass delete shows on the problems page, confirm releases it",
  opts,
  async () => {
    await using tmp = await s3Case("held", "backup-ui-s3-held-");
    const { src, cache, url: dest } = tmp;
    for (let i = 0; i < 20; i++) put(`${src}/f${i}.txt`, `file ${i}`);
    // Full passes only: the 15 deletions are judged in one pass (a watcher would slice them).
    const { daemon, url } = await startWithUi(
      ["--src", src, "--dest", dest, "--interval", "1", "--max-delete", "5", "--no-watch"],
      cache,
    );
    const browser = await launchBrowser();
    const files = async () => (await tmp.keys("held/f")).length;
    try {
      await waitFor(() => daemon.output().includes("PASS 1"), {
        what: "the first pass",
        timeoutMs: 60_000,
      });
      assertEquals(await files(), 20);
      for (let i = 0; i < 15; i++) Deno.removeSync(`${src}/f${i}.txt`);
      const page = await browser.newPage();
      await open(page, url, "problems");
      await page.waitForSelector('#problems-reason[data-state="deletions held"]', {
        timeout: 30_000,
      });
      assert((await texts(page, "#problems-reason"))[0]!.includes("15"));
      assertEquals(await files(), 20);
      await page.waitForSelector("#confirm-button:not([hidden])", { timeout: 10_000 });
      await page.click("#confirm-button");
      await page.waitForFunction(
        () => /^confirmed/.test(document.getElementById("confirm-result")?.textContent ?? ""),
        { timeout: 10_000 },
      );
      await waitFor(async () => await files() === 5, {
        what: "the confirmed deletions in the bucket",
        timeoutMs: 30_000,
      });
    } finally {
      await browser.close();
      await daemon.stop();
    }
  },
);

Deno.test(
  "dashboard of a config daemon with a job in a bucket: the job's overview, journal, versions and download",
  { ignore: S3_IGNORE, sanitizeResources: false, sanitizeOps: false },
  async () => {
    await using tmp = await s3Case("cfg", "backup-ui-s3-config-");
    const { src, cache, url: dest } = tmp;
    put(`${src}/a.txt`, "from the config job");
    const config = `${tmp.path}/jobs.jsonc`;
    Deno.writeTextFileSync(
      config,
      JSON.stringify({ jobs: [{ name: "offsite", source: src, destination: dest, interval: 60 }] }),
    );
    const { daemon, url } = await startWithUi(["--config", config], cache);
    try {
      const get = async (path: string) => {
        const res = await fetch(`${url}${path}`);
        return { status: res.status, text: await res.text() };
      };
      const jobs = await waitFor(async () => {
        const body = JSON.parse((await get("api/jobs")).text);
        return body.jobs[0]?.state === "watching" ? body : null;
      }, { what: "the job watching", timeoutMs: 60_000 });
      assertEquals(jobs.jobs[0].job.name, "offsite");
      assertEquals(jobs.jobs[0].destination, dest);
      assertEquals(jobs.jobs[0].space, null);
      assertEquals(await get("api/download?job=offsite&path=a.txt"), {
        status: 200,
        text: "from the config job",
      });
      const versions = await get("api/versions?job=offsite");
      assertEquals([versions.status, JSON.parse(versions.text).versions], [200, []]);
      const journal = JSON.parse((await get("api/journal?job=offsite")).text);
      assert(
        journal.rows.some((r: { path?: string }) => r.path === "a.txt"),
        JSON.stringify(journal),
      );
    } finally {
      await daemon.stop();
    }
  },
);

Deno.test(
  "backup ui: a download of a local backup is streamed and checked through the same code",
  { sanitizeResources: false, sanitizeOps: false },
  async () => {
    await using tmp = await tempDir("backup-ui-download-");
    const src = `${tmp.path}/src`;
    const dest = `${tmp.path}/dest`;
    put(`${src}/keep/v.txt`, "old bytes");
    const once = ["--src", src, "--dest", dest, "--once", "--keep-versions", "30d"];
    assertEquals((await runCli(once)).code, 0);
    const between = new Date().toISOString();
    put(`${src}/keep/v.txt`, "new bytes!");
    assertEquals((await runCli(once)).code, 0);
    const ui = startDaemon(["ui", "--dest", dest, "--ui", "0"], {
      perms: ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run"],
    });
    try {
      const url = await waitFor(
        () => /dashboard \(read-only\) at (http:\/\/\S+)/.exec(ui.output())?.[1] ?? "",
        { what: "the dashboard's address", timeoutMs: 30_000 },
      );
      const get = async (query: string) => {
        const res = await fetch(`${url}api/download?${query}`);
        return {
          status: res.status,
          text: await res.text(),
          size: res.headers.get("content-length"),
        };
      };
      assertEquals(await get(`path=keep/v.txt&at=${between}`), {
        status: 200,
        text: "old bytes",
        size: "9",
      });
      assertEquals((await get("path=keep/v.txt")).text, "new bytes!");
      assertEquals((await get("path=keep")).status, 400, "a folder is restored, not downloaded");
      assertEquals((await get("path=../etc/passwd")).status, 400);
    } finally {
      await ui.stop();
    }
  },
);
