/**
 * The dashboard's HTTP server: Hono on `Deno.serve`. Pages and assets ship
 * inside the program (text imports, compile-safe); the data routes answer
 * JSON built by lib/ui/data.ts; `/api/events` pushes live events to the page
 * (Server-Sent Events); the two actions are POSTs checked by lib/ui/guard.ts.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { FileSystem } from "../base/fs.ts";
import { describeError, exitFor, UsageError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { readStatus } from "../report/status.ts";
import type { LiveEvent, LiveHub } from "./hub.ts";
import { statusDir, type UiJob } from "./jobs.ts";
import { type GuardConfig, refusal, sameSecret, TOKEN_COOKIE } from "./guard.ts";
import { isLoopback, type Listen } from "./listen.ts";
import { journalPage, journalQuery, overview, problems, versionsBelow, whyPath } from "./data.ts";
import { restoreInto } from "./actions.ts";
import { openDownload } from "./download.ts";
import { JobDestinations } from "./job_destination.ts";
import { ASSETS, pageHtml } from "./assets.ts";

/** Confirms the held deletions of a job; returns what to tell the user. */
export type ConfirmAction = (job: UiJob) => Promise<string>;

/** What the server needs. */
export interface UiServerOptions {
  /** The backups shown. */
  jobs: UiJob[];
  /** Where to listen. */
  listen: Listen;
  /** The token (actions always need it; reads too off loopback). */
  token: string;
  /** File system port. */
  fs: FileSystem;
  /** Live events of this process's jobs (none: read-only `backup ui`). */
  hub?: LiveHub;
  /** Confirms held deletions (none: no confirm action). */
  confirm?: ConfirmAction;
  /** Read-only: no actions at all. */
  readOnly: boolean;
  /**
   * Reads again what may have changed elsewhere (the journals of buckets, for `backup ui`);
   * resolves true when something did. Called while a page is connected.
   */
  refresh?: () => Promise<boolean>;
  /** Where the server logs. */
  log: Logger;
  /** Stops the server. */
  signal: AbortSignal;
}

/** A running dashboard. */
export interface UiServer {
  /** Its address, as `http://HOST:PORT/`. */
  url: string;
  /** Resolves when it has stopped. */
  finished: Promise<void>;
}

/** How often the server looks at status files for pages of `backup ui` (no live hub). */
const STATUS_EVERY_MS = 1000;

/** Builds the Hono app (exported for tests that call it without a socket). */
export function uiApp(options: UiServerOptions, guard: GuardConfig): Hono {
  const app = new Hono();
  const { fs } = options;
  const destinations = new JobDestinations(fs);
  options.signal.addEventListener("abort", () => destinations.close(), { once: true });
  const data = { fs, cwd: "/", destinations, ...(options.hub ? { hub: options.hub } : {}) };
  const actions = !options.readOnly;

  app.onError((err, c) => {
    const { code, message } = exitFor(err);
    return c.json({ error: message, code }, code === 2 ? 400 : 500);
  });
  app.use("*", async (c, next) => {
    const action = c.req.path === "/api/restore" || c.req.path === "/api/confirm";
    const refused = refusal(c.req.method, c.req.raw.headers, guard, action);
    // `/?token=...` is how a browser is given the token off loopback: it becomes a cookie.
    if (refused && !(c.req.path === "/" && sameSecret(c.req.query("token"), guard.token))) {
      return c.json({ error: refused.message }, refused.status);
    }
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    await next();
  });

  app.get("/", (c) => {
    if (sameSecret(c.req.query("token"), guard.token)) {
      c.header(
        "Set-Cookie",
        `${TOKEN_COOKIE}=${encodeURIComponent(guard.token)}; HttpOnly; SameSite=Strict; Path=/`,
      );
      return c.redirect("/", 303);
    }
    return c.html(pageHtml(actions ? guard.token : null));
  });
  app.get("/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.notFound();
    c.header("Cache-Control", "no-cache");
    return c.body(asset.text, 200, { "Content-Type": asset.type });
  });

  const jobOf = (c: Context): UiJob => {
    const name = c.req.query("job") ?? options.jobs[0]?.name;
    const job = options.jobs.find((j) => j.name === name);
    if (!job) throw new UsageError(`no job named "${String(name)}" on this dashboard`);
    return job;
  };
  app.get("/api/jobs", async (c) => {
    const jobs = await Promise.all(options.jobs.map((job) => overview(job, data)));
    return c.json({ readOnly: options.readOnly, confirm: actions && !!options.confirm, jobs });
  });
  app.get("/api/history", (c) => {
    const job = jobOf(c);
    return c.json({ job: job.name, passes: readStatus(fs, statusDir(job))?.recent ?? [] });
  });
  app.get("/api/journal", (c) => {
    const job = jobOf(c);
    const query = journalQuery(new URL(c.req.url).searchParams);
    return c.json({ job: job.name, query, rows: journalPage(job, query, data) });
  });
  app.get("/api/why", (c) => {
    const job = jobOf(c);
    return c.json({ job: job.name, rows: whyPath(job, c.req.query("path") ?? "", data) });
  });
  app.get("/api/versions", async (c) => {
    const job = jobOf(c);
    const under = c.req.query("under") || null;
    return c.json({ job: job.name, versions: await versionsBelow(job, under, data) });
  });
  app.get("/api/problems", async (c) => {
    const job = jobOf(c);
    return c.json({ job: job.name, ...problems(job, data), overview: await overview(job, data) });
  });
  app.get("/api/download", async (c) => {
    const job = jobOf(c);
    const file = await openDownload(job, c.req.query("path") ?? "", c.req.query("at") || null, {
      fs,
      destinations,
    });
    const name = encodeURIComponent(file.name);
    return c.body(file.body, 200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(file.size),
      "Content-Disposition": `attachment; filename*=UTF-8''${name}`,
    });
  });
  app.post("/api/restore", async (c) => {
    if (!actions) return c.json({ error: "this dashboard is read-only" }, 403);
    const job = jobOf(c);
    const body = await c.req.json().catch(() => ({})) as Record<string, unknown>;
    const result = await restoreInto(job, options.jobs, {
      path: String(body.path ?? ""),
      at: typeof body.at === "string" && body.at !== "" ? body.at : null,
      to: String(body.to ?? ""),
    }, fs);
    options.log.info("DASHBOARD RESTORE: {path} -> {to}: exit {code}", {
      path: String(body.path),
      to: String(body.to),
      code: result.code,
    });
    return c.json(result);
  });
  app.post("/api/confirm", async (c) => {
    if (!actions || !options.confirm) return c.json({ error: "no confirm action here" }, 403);
    const job = jobOf(c);
    const message = await options.confirm(job);
    options.log.info("DASHBOARD CONFIRM: {job}: {message}", { job: job.name, message });
    return c.json({ message });
  });

  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      const queue: LiveEvent[] = [];
      let wake: () => void = () => {};
      const unsubscribe = options.hub?.subscribe((e) => {
        queue.push(e);
        wake();
      }) ?? (() => {});
      const seen = new Map<string, string>();
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      try {
        await stream.writeSSE({ event: "hello", data: JSON.stringify({ live: !!options.hub }) });
        while (!stream.aborted && !options.signal.aborted) {
          while (queue.length > 0) {
            const e = queue.shift()!;
            await stream.writeSSE({ event: "live", data: JSON.stringify(e) });
          }
          // A journal read again from a bucket moves the job's dest to a fresh folder.
          if (options.refresh) await options.refresh();
          // Status files change when a pass ends: tell the page, daemon or not.
          for (const job of options.jobs) {
            const at = `${job.dest} ${readStatus(fs, statusDir(job))?.updatedAt ?? ""}`;
            if (seen.get(job.name) !== at) {
              if (seen.has(job.name)) {
                await stream.writeSSE({ event: "status", data: JSON.stringify({ job: job.name }) });
              }
              seen.set(job.name, at);
            }
          }
          await Promise.race([
            new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, STATUS_EVERY_MS);
            }),
            closed,
          ]);
        }
      } finally {
        unsubscribe();
      }
    }));
  return app;
}

/** Starts the dashboard; it runs until `options.signal` aborts. */
export function startUi(options: UiServerOptions): Promise<UiServer> {
  const guard: GuardConfig = {
    host: options.listen.host,
    port: options.listen.port,
    token: options.token,
    readToken: !isLoopback(options.listen.host),
  };
  const app = uiApp(options, guard);
  const server = Deno.serve({
    hostname: options.listen.host,
    port: options.listen.port,
    signal: options.signal,
    onListen: () => {}, // the caller says where it listens
    onError: (err) => {
      options.log.error("DASHBOARD REQUEST FAILED: {reason}", { reason: describeError(err) });
      return new Response("internal error", { status: 500 });
    },
  }, app.fetch);
  const addr = server.addr;
  guard.port = addr.port;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${host}:${addr.port}/`;
  options.log.info("DASHBOARD: {url}{mode}", { url, mode: options.readOnly ? " (read-only)" : "" });
  return Promise.resolve({ url, finished: server.finished });
}
