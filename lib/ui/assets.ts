/**
 * The dashboard's page and assets, embedded in the program by text imports
 * (compile-safe: nothing is read from disk at run time). uPlot comes from
 * its npm package, locked in deno.lock.
 *
 * @module
 */

import indexHtml from "./page/index.html" with { type: "text" };
import appJs from "./page/app.js" with { type: "text" };
import appCss from "./page/app.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };

/** An asset: its text and media type. */
export interface Asset {
  /** Content. */
  text: string;
  /** Content-Type header. */
  type: string;
}

/** The assets under `/assets/NAME`. */
export const ASSETS: Readonly<Record<string, Asset>> = {
  "app.js": { text: appJs, type: "text/javascript; charset=utf-8" },
  "app.css": { text: appCss, type: "text/css; charset=utf-8" },
  "uPlot.iife.min.js": { text: uplotJs, type: "text/javascript; charset=utf-8" },
  "uPlot.min.css": { text: uplotCss, type: "text/css; charset=utf-8" },
};

/** The page, with the action token in its `backup-token` meta tag (empty: no actions). */
export function pageHtml(token: string | null): string {
  const safe = (token ?? "").replace(/[^A-Za-z0-9_-]/g, "");
  return indexHtml.replace("%TOKEN%", safe);
}
