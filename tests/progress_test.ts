/**
 * Black-box tests of the progress output for scripts: `--json` events on
 * stdout (one JSON object per line) and `--quiet`.
 *
 * The terminal bar needs a terminal on stderr, which a subprocess with piped
 * output does not have; it is tested at unit level (lib/report/progress_test.ts:
 * TerminalBar and formatBar; lib/report/progress_report_test.ts: when it is drawn).
 * So is the periodic `PROGRESS:` line, which only appears in passes longer
 * than 10 s: lib/report/progress_report_test.ts drives it with a fake clock instead
 * of a slow test.
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { MAIN, put, ROOT, RUN_PERMS, runCli, tempDir, waitFor } from "../testing/helpers.ts";

type Event = Record<string, unknown> & { event: string };

/** Parses stdout as JSON lines, failing on any line that is not one JSON object. */
function events(stdout: string): Event[] {
  return stdout.trimEnd().split("\n").filter((l) => l !== "").map((l) => {
    const e = JSON.parse(l);
    assertEquals(typeof e.event, "string", l);
    assertEquals(typeof e.time, "string", l);
    return e;
  });
}

Deno.test("progress: --once --json prints start, pass-start, pass and stop events whose counts match the files", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    put(`${src}/a.txt`, "aaaa");
    put(`${src}/docs/b.txt`, "bb");
    put(`${src}/docs/big.bin`, new Uint8Array(1_000_000));
    const r = await runCli(["--src", src, "--dest", `${t.path}/dest`, "--once", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const ev = events(r.stdout);
    assertEquals(ev.map((e) => e.event), ["start", "pass-start", "pass", "stop"]);
    const [start, planned, pass, stop] = ev as [Event, Event, Event, Event];
    assertEquals([start.source, start.dest, start.once], [
      Deno.realPathSync(src),
      `${Deno.realPathSync(t.path)}/dest`,
      true,
    ]);
    assertEquals([planned.pass, planned.trigger, planned.files, planned.bytes], [
      1,
      "scan",
      3,
      1_000_006,
    ]);
    const summary = pass.summary as Record<string, unknown>;
    assertEquals([summary.copied, summary.bytes, summary.dirs, summary.failed], [
      3,
      1_000_006,
      1,
      0,
    ]);
    assertEquals(stop.code, 0);
    assert(!("job" in start), "no job field unless a job name was given");
    // The human log goes to stderr only: stdout is for the events.
    assertIncludes(r.stderr, "PASS 1 (scan): 3 copied");

    // --verbose adds one op event per operation.
    put(`${src}/c.txt`, "c");
    const v = await runCli([
      "--src",
      src,
      "--dest",
      `${t.path}/dest`,
      "--once",
      "--json",
      "--verbose",
    ]);
    assertEquals(v.code, 0, v.stderr);
    const ops = events(v.stdout).filter((e) => e.event === "op" && e.op === "copy");
    assert(ops.some((e) => e.path === "c.txt" && e.ok === true && e.bytes === 1), v.stdout);
  } finally {
    await t.cleanup();
  }
});

Deno.test("progress: --json reports a held mass delete as an error event and a fatal error before stop", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    for (let i = 0; i < 120; i++) put(`${src}/f${i}.txt`, "x");
    assertEquals((await runCli(["--src", src, "--dest", dest, "--once", "--json"])).code, 0);
    for (let i = 0; i < 120; i++) Deno.removeSync(`${src}/f${i}.txt`);
    put(`${src}/keep.txt`, "k"); // the source is not empty: the mass-delete guard is what holds
    const r = await runCli(["--src", src, "--dest", dest, "--once", "--json"]);
    assertEquals(r.code, 6, r.stderr);
    const ev = events(r.stdout);
    const held = ev.find((e) => e.event === "error");
    assert(held && String(held.message).includes("MASS DELETE HELD"), r.stdout);
    const pass = ev.find((e) => e.event === "pass")!;
    assertEquals((pass.summary as Record<string, unknown>).held, 120);
    assertEquals(ev.at(-1), { ...ev.at(-1)!, event: "stop", code: 6 });

    // A run that cannot start at all still ends with an error and a stop event.
    put(`${t.path}/not-a-folder`, "x");
    const bad = await runCli([
      "--src",
      src,
      "--dest",
      `${t.path}/not-a-folder`,
      "--once",
      "--json",
    ]);
    assertEquals(bad.code, 2);
    const badEv = events(bad.stdout);
    assertEquals(badEv.map((e) => e.event), ["error", "stop"]);
    assertEquals(badEv[0]!.fatal, true);
    assertIncludes(String(badEv[0]!.message), "not a folder");
    assertIncludes(bad.stderr, "not a folder");
  } finally {
    await t.cleanup();
  }
});

Deno.test("progress: --quiet --once prints nothing for a clean pass", async () => {
  const t = await tempDir();
  try {
    put(`${t.path}/src/a.txt`, "a");
    const r = await runCli([
      "--src",
      `${t.path}/src`,
      "--dest",
      `${t.path}/dest`,
      "--once",
      "--quiet",
    ]);
    assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
    assertEquals(Deno.readTextFileSync(`${t.path}/dest/a.txt`), "a");
  } finally {
    await t.cleanup();
  }
});

Deno.test("progress: the daemon with --json streams each pass as it happens, and stop on SIGTERM", async () => {
  const t = await tempDir();
  const src = `${t.path}/src`;
  put(`${src}/a.txt`, "a");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...RUN_PERMS,
      MAIN,
      "--src",
      src,
      "--dest",
      `${t.path}/dest`,
      "--json",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pumps = Promise.all([
    (async () => {
      const dec = new TextDecoder();
      for await (const chunk of child.stdout) out += dec.decode(chunk, { stream: true });
    })(),
    child.stderr.pipeTo(new WritableStream()),
  ]);
  try {
    await waitFor(() => events(out).some((e) => e.event === "pass"), { what: "the first pass" });
    assertEquals(events(out).map((e) => e.event).slice(0, 3), ["start", "pass-start", "pass"]);
    const before = events(out).filter((e) => e.event === "pass").length;
    put(`${src}/b.txt`, "bb");
    await waitFor(
      () =>
        events(out).filter((e) => e.event === "pass").slice(before).some((e) =>
          (e.summary as Record<string, number>).copied === 1
        ),
      { what: "a pass copying b.txt" },
    );
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await pumps;
    await t.cleanup();
    assertEquals(status.code, 0);
  }
  assertEquals(events(out).at(-1)!.event, "stop");
  assertEquals(events(out).at(-1)!.code, 0);
});
