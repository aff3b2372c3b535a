/// <reference lib="dom" />
/**
 * The dashboard in a real browser (headless Chromium through puppeteer-core)
 * against real daemons: live operations and the journal within a second,
 * the progress bar during a large copy, `why` through a folder rename, a
 * restore from the versions page, a held mass delete on the problems page,
 * and a phone-width page. Screenshots go to test-output/ui/.
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { put, tempDir, waitFor } from "../testing/helpers.ts";
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

Deno.test({
  name: "dashboard in a real browser: live, journal, progress, why, versions, phone width",
  ignore: BROWSER_IGNORE,
}, async (t) => {
  await using tmp = await tempDir();
  const src = `${tmp.path}/src`;
  const dest = `${tmp.path}/dest`;
  const out = `${tmp.path}/restored`;
  const { daemon, url } = await startUiDaemon(dashboardJob(src, dest));
  const browser = await launchBrowser();
  try {
    await waitFor(() => daemon.output().includes("PASS 1"), { what: "the first pass" });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });

    await t.step("overview shows the job watching, with its roots and free space", async () => {
      await openDashboard(page, url, "overview");
      await page.waitForSelector('.job-card[data-state="watching"]', { timeout: 10_000 });
      const card = (await texts(page, ".job-card"))[0]!;
      assert(card.includes(src) && card.includes(dest), card);
      assert(/free space\s*\d/.test(card.replace(/\n/g, " ")), card);
      await screenshot(page, "overview");
    });

    await t.step(
      "a file created in the source shows on the live page and the journal within a second",
      async () => {
        const journal = await browser.newPage();
        await openDashboard(journal, url, "journal");
        await openDashboard(page, url, "live");
        const started = performance.now();
        put(`${src}/new.txt`, "hello");
        await page.waitForSelector('#live-ops li[data-path="new.txt"]', { timeout: 5_000 });
        const live = performance.now() - started;
        await journal.waitForSelector('#journal-rows tr[data-path="new.txt"]', { timeout: 5_000 });
        const inJournal = performance.now() - started;
        assert(live < 1000, `live page after ${Math.round(live)} ms`);
        assert(inJournal < 1000, `journal page after ${Math.round(inJournal)} ms`);
        await screenshot(journal, "journal");
        await journal.close();
      },
    );

    await t.step("why finds a file through a folder rename", async () => {
      await Deno.rename(`${src}/docs`, `${src}/papers`);
      await waitFor(() => Deno.statSync(`${dest}/papers/a.txt`).isFile, { what: "the rename" });
      await clickTab(page, "journal");
      await page.type("#why-path", "papers/a.txt");
      await page.click('#why-form button[type="submit"]');
      await page.waitForSelector('#why-rows tr[data-op="move"]', { timeout: 10_000 });
      const paths = await texts(page, "#why-rows td.path");
      assert(paths.includes("docs/a.txt"), paths.join(" | "));
      assert(paths.includes("papers"), paths.join(" | "));
    });

    await t.step("a restore from the versions page brings back the old bytes", async () => {
      put(`${src}/keep/v.txt`, "new bytes!");
      await waitFor(
        () => new TextDecoder().decode(Deno.readFileSync(`${dest}/keep/v.txt`)) === "new bytes!",
        { what: "the update" },
      );
      await clickTab(page, "versions");
      await page.click('#versions-form button[type="submit"]');
      await page.waitForSelector('#versions-rows tr[data-path="keep/v.txt"] button.pick', {
        timeout: 10_000,
      });
      await page.click('#versions-rows tr[data-path="keep/v.txt"] button.pick');
      await page.type("#restore-to", out);
      await page.click("#restore-go");
      await page.waitForFunction(
        () => /^restored/.test(document.getElementById("restore-result")?.textContent ?? ""),
        { timeout: 10_000 },
      );
      assertEquals(new TextDecoder().decode(Deno.readFileSync(`${out}/v.txt`)), "old bytes");
    });

    await t.step("the progress bar moves during a 300 MB copy", async () => {
      await clickTab(page, "live");
      const staged = `${tmp.path}/big.bin`;
      const file = await Deno.open(staged, { write: true, create: true });
      const chunk = new Uint8Array(4 << 20);
      for (let i = 0; i < 75; i++) {
        crypto.getRandomValues(chunk.subarray(0, 65536));
        await file.write(chunk);
      }
      file.close();
      // The page records the bar's value at every frame (no round trip per sample).
      await page.evaluate(() => {
        const w = window as unknown as { seen: number[] };
        w.seen = [];
        const bar = document.getElementById("live-progress") as HTMLProgressElement;
        const frame = () => {
          w.seen.push(bar.value);
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      });
      await Deno.rename(staged, `${src}/big.bin`);
      await waitFor(() => Deno.statSync(`${dest}/big.bin`).size === 300 << 20, {
        what: "the big copy",
        timeoutMs: 60_000,
      }).catch((err) => {
        throw new Error(`${err.message}\n${daemon.output().slice(-3000)}`);
      });
      await waitFor(() => daemon.output().includes("copied (314.6 MB)"), {
        what: "the pass that copied it",
        timeoutMs: 30_000,
      });
      const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
      assert(seen.some((v) => v > 0 && v < 100), `progress values seen: ${[...new Set(seen)]}`);
    });

    await t.step("the history page charts the passes", async () => {
      await clickTab(page, "history");
      await page.waitForSelector("#history-chart canvas", { timeout: 10_000 });
      const legend = await texts(page, "#history-chart .u-legend");
      assert(legend.join(" ").includes("copied"), legend.join(" "));
    });

    await t.step("the page works at a phone's width", async () => {
      await page.setViewport({ width: 390, height: 844, isMobile: true });
      for (const name of ["overview", "journal", "versions", "problems"]) {
        await clickTab(page, name);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert(overflow <= 0, `${name} is ${overflow} px wider than the phone`);
      }
      await clickTab(page, "overview");
      await screenshot(page, "overview-phone");
    });
  } finally {
    await browser.close();
    await daemon.stop();
  }
});

Deno.test({
  name:
    "dashboard in a real browser: a held mass delete shows on the problems page; confirm releases it, not without the token",
  ignore: BROWSER_IGNORE,
}, async () => {
  await using tmp = await tempDir();
  const src = `${tmp.path}/src`;
  const dest = `${tmp.path}/dest`;
  for (let i = 0; i < 20; i++) put(`${src}/f${i}.txt`, `file ${i}`);
  const { daemon, url } = await startUiDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "1",
    "--max-delete",
    "5",
    // Full passes only: the 15 deletions are judged in one pass (a watcher would slice them).
    "--no-watch",
  ]);
  const browser = await launchBrowser();
  try {
    await waitFor(() => daemon.output().includes("PASS 1"), { what: "the first pass" });
    for (let i = 0; i < 15; i++) Deno.removeSync(`${src}/f${i}.txt`);
    const page = await browser.newPage();
    await openDashboard(page, url, "problems");
    await page.waitForSelector('#problems-reason[data-state="deletions held"]', {
      timeout: 20_000,
    });
    const reason = (await texts(page, "#problems-reason"))[0]!;
    assert(reason.includes("15"), reason);
    await page.waitForSelector("#problems-held li", { timeout: 10_000 });
    await screenshot(page, "problems-held");
    // The page's own origin, without the token: refused.
    const status = await page.evaluate(async () =>
      (await fetch("/api/confirm", { method: "POST", body: "{}" })).status
    );
    assertEquals(status, 403);
    const kept = () =>
      Deno.readDirSync(dest).filter((e) => e.name.startsWith("f")).toArray().length;
    assertEquals(kept(), 20);
    // The button (with the page's token) releases the hold: the daemon deletes at its next pass.
    await page.waitForSelector("#confirm-button:not([hidden])", { timeout: 10_000 });
    await page.click("#confirm-button");
    await page.waitForFunction(
      () => /^confirmed/.test(document.getElementById("confirm-result")?.textContent ?? ""),
      { timeout: 10_000 },
    );
    await waitFor(() => kept() === 5, { what: "the confirmed deletions", timeoutMs: 30_000 });
  } finally {
    await browser.close();
    await daemon.stop();
  }
});
