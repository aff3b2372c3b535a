import { assert } from "../../testing/assert.ts";
import { ASSETS, pageHtml } from "./assets.ts";

Deno.test("assets: the page, its script and uPlot ship inside the program", () => {
  for (const name of ["app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"]) {
    assert((ASSETS[name]?.text.length ?? 0) > 100, name);
  }
  assert(pageHtml("abc").includes('content="abc"'));
  assert(pageHtml(null).includes('content=""'));
  assert(!pageHtml('"><script>').includes('<script>"'), "the token is never markup");
});
