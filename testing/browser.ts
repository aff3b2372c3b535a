/// <reference lib="dom" />
/**
 * A real browser for the dashboard's tests: the system's Chromium (Debian's
 * `chromium`, installed by .ci/run) driven by puppeteer-core, which never
 * downloads a browser. A missing browser fails the test loudly: the browser
 * tests are part of the suite, not optional.
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { type Daemon, put, startDaemon, waitFor } from "./helpers.ts";

/** Where Chromium is, or null when none of `$CHROMIUM` and the usual places exists. */
function findChromium(): string | null {
  const candidates = [
    Deno.env.get("CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* next */ }
  }
  return null;
}

/**
 * Whether the browser tests are ignored: no Chromium, and not in CI (`BACKUP_CI=1`, set by
 * .ci/run, which installs it), where a missing browser must fail them instead.
 */
export const BROWSER_IGNORE = findChromium() === null && Deno.env.get("BACKUP_CI") !== "1";

/** Where Chromium is: `$CHROMIUM`, else the first of the usual places that exists. */
export function chromiumPath(): string {
  const found = findChromium();
  if (found !== null) return found;
  throw new Error(
    "no Chromium for the browser tests: install Debian's `chromium` (bash .ci/run does) or set CHROMIUM",
  );
}

/** Starts headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** Where screenshots go: `$UI_SCREENSHOTS`, else `test-output/ui` in the project. */
export function screenshotDir(): string {
  const dir = Deno.env.get("UI_SCREENSHOTS") ??
    new URL("../test-output/ui", import.meta.url).pathname;
  Deno.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a full-page screenshot as `NAME.png` in {@link screenshotDir}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screenshotDir()}/${name}.png`, fullPage: true });
}

/** A daemon started with `--ui 0`, and its dashboard's address. */
export interface UiDaemon {
  /** The daemon. */
  daemon: Daemon;
  /** `http://127.0.0.1:PORT/`. */
  url: string;
}

/** How {@link startUiDaemon} starts the daemon and how long it waits for the address. */
export interface UiDaemonOptions {
  /** Starts `backup ARGS` (default {@link startDaemon}; e.g. a remote daemon with its env). */
  start?: (args: string[]) => Daemon;
  /** How long to wait for the dashboard's address (default 30 s). */
  timeoutMs?: number;
}

/**
 * Starts `backup ARGS --ui 0` and waits for its dashboard's address; stops the daemon and
 * throws with the end of its output when none shows.
 */
export async function startUiDaemon(
  args: string[],
  options: UiDaemonOptions = {},
): Promise<UiDaemon> {
  const daemon = (options.start ?? startDaemon)([...args, "--ui", "0"]);
  const url: string = await waitFor(
    () => /dashboard(?: \(read-only\))? at (http:\/\/\S+)/.exec(daemon.output())?.[1] ?? "",
    { what: "the dashboard's address", timeoutMs: options.timeoutMs ?? 30_000 },
  ).catch(async (err) => {
    await daemon.stop();
    throw new Error(`${err.message}\n${daemon.output().slice(-3000)}`);
  });
  return { daemon, url };
}

/**
 * Opens the dashboard at `url` on the page `hash` and waits until its connection line matches
 * `connection` (default: exactly "live").
 */
export async function openDashboard(
  page: Page,
  url: string,
  hash: string,
  connection: RegExp = /^live$/,
): Promise<void> {
  await page.goto(`${url}#${hash}`);
  await page.waitForFunction(
    (source: string) =>
      new RegExp(source).test(document.getElementById("connection")?.textContent ?? ""),
    { timeout: 15_000 },
    connection.source,
  );
}

/** Clicks the dashboard's tab `name`. */
export async function clickTab(page: Page, name: string): Promise<void> {
  await page.click(`#nav button[data-page="${name}"]`);
}

/**
 * The job of the dashboard's page tests: puts `docs/a.txt` and `keep/v.txt` in `src` and returns
 * the daemon's arguments (`--src`, `--dest`, an interval of 60 s, versions kept 30 days, then
 * `extra`).
 */
export function dashboardJob(src: string, dest: string, extra: string[] = []): string[] {
  put(`${src}/docs/a.txt`, "first words");
  put(`${src}/keep/v.txt`, "old bytes");
  return ["--src", src, "--dest", dest, "--interval", "60", "--keep-versions", "30d", ...extra];
}

/** The text of every element matching `selector`. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return await page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));
}
