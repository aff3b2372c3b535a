/**
 * Black-box tests of `backup verify`: bytes corrupted in the backup and in the
 * source (same size, mtime put back with `touch -r`), found by content, told
 * apart, listed in text and JSON, sampled, and repaired from the source.
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** Flips byte `at` of `path` in place (same size), then gives it back the mtime of `ref`. */
async function corrupt(path: string, ref: string, at = 0): Promise<void> {
  const bytes = Deno.readFileSync(path);
  bytes[at] = bytes[at]! ^ 0xff;
  const f = Deno.openSync(path, { write: true });
  try {
    f.seekSync(at, Deno.SeekMode.Start);
    f.writeSync(bytes.subarray(at, at + 1));
  } finally {
    f.close();
  }
  const touch = await new Deno.Command("touch", { args: ["-r", ref, path] }).output();
  assert(touch.success, "touch -r failed");
}

/** A source of a few files backed up once into `dest`; the files are old (not racy). */
async function backedUp(root: string): Promise<{ src: string; dest: string }> {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  put(`${src}/a.txt`, "alpha content\n");
  put(`${src}/sub/b.txt`, "bravo content\n");
  put(`${src}/sub/c.bin`, new Uint8Array(400_000).map((_, i) => (i * 7) & 0xff));
  for (const f of ["a.txt", "sub/b.txt", "sub/c.bin"]) {
    Deno.utimeSync(`${src}/${f}`, 1_600_000_000, 1_600_000_000);
  }
  const r = await runCli(["--src", src, "--dest", dest, "--once", "--quiet"]);
  assertEquals(r.code, 0, r.stderr);
  return { src, dest };
}

/** The JSON lines of a `verify --json` run. */
function lines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("verify: an intact backup matches (exit 0)", async () => {
  await using t = await tempDir();
  const { dest, src } = await backedUp(t.path);
  const r = await runCli(["verify", "--dest", dest]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertIncludes(r.stdout, "verified 3 files");
  assertIncludes(r.stdout, `against the journal and the source ${src}: all match`);
});

Deno.test("verify: damage in the backup and in the source is found and told apart", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  await corrupt(`${dest}/sub/c.bin`, `${src}/sub/c.bin`);
  await corrupt(`${src}/a.txt`, `${dest}/a.txt`);

  const text = await runCli(["verify", "--dest", dest]);
  assertEquals(text.code, 7, text.stdout + text.stderr);
  assertIncludes(text.stdout, "MISMATCH sub/c.bin: damaged, the destination is wrong");
  assertIncludes(text.stdout, "MISMATCH a.txt: source-differs, the source is wrong");
  assertIncludes(text.stdout, "2 mismatches (1 in the backup, 1 in the source)");
  assert(!text.stdout.includes("sub/b.txt"), text.stdout);

  const json = await runCli(["verify", "--dest", dest, "--json"]);
  assertEquals(json.code, 7, json.stderr);
  const found = lines(json.stdout);
  const byPath = new Map(found.filter((l) => l.type === "mismatch").map((l) => [l.path, l]));
  const c = byPath.get("sub/c.bin")!;
  assertEquals([c.problem, c.wrong, c.source, c.repairable], [
    "damaged",
    "destination",
    "same",
    true,
  ]);
  assert(typeof c.expected === "string" && typeof c.found === "string" && c.expected !== c.found);
  assertEquals(c.sourceHash, c.expected);
  const a = byPath.get("a.txt")!;
  assertEquals([a.problem, a.wrong, a.source, a.repairable], [
    "source-differs",
    "source",
    "differs",
    false,
  ]);
  assertEquals(a.found, a.expected);
  const summary = found.at(-1)!;
  assertEquals([summary.type, summary.files, summary.mismatches, summary.ok], [
    "summary",
    3,
    2,
    false,
  ]);
  assertEquals(summary.source, src);

  // Without the source, the backup is checked against the journal alone.
  const alone = await runCli(["verify", "--dest", dest, "--src", `${t.path}/nowhere`]);
  assertEquals(alone.code, 2, alone.stdout);
  assertIncludes(alone.stderr, "--src");
});

Deno.test("verify --sample checks a random share of the files", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 20; i++) put(`${src}/f${i}.txt`, `file ${i}\n`);
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once", "--quiet"])).code, 0);
  const r = await runCli(["verify", "--dest", dest, "--sample", "25", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const summary = lines(r.stdout).at(-1)!;
  assertEquals([summary.files, summary.total, summary.sample], [5, 20, 25]);
  const bad = await runCli(["verify", "--dest", dest, "--sample", "0"]);
  assertEquals(bad.code, 2);
  assertIncludes(bad.stderr, "--sample must be a percentage above 0 and at most 100");
});

Deno.test("verify --repair recopies damaged files, journaled, and lists what it cannot repair", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  await corrupt(`${dest}/sub/c.bin`, `${src}/sub/c.bin`);
  await corrupt(`${dest}/sub/b.txt`, `${src}/sub/b.txt`);
  await corrupt(`${src}/sub/b.txt`, `${dest}/sub/b.txt`, 1); // both sides: nothing to repair from
  const original = Deno.readFileSync(`${src}/sub/c.bin`);

  const r = await runCli(["verify", "--dest", dest, "--repair"]);
  assertEquals(r.code, 7, r.stdout + r.stderr);
  assertIncludes(r.stdout, "REPAIRED sub/c.bin");
  assertIncludes(r.stdout, "NOT REPAIRED sub/b.txt: neither the destination nor the source");
  assertIncludes(r.stdout, "1 repaired, 1 not repaired");
  assertEquals(Deno.readFileSync(`${dest}/sub/c.bin`), original);

  // The recopy is in the journal like any copy.
  const why = await runCli(["journal", "why", "--dest", dest, "sub/c.bin", "--json"]);
  assertEquals(why.code, 0, why.stderr);
  assertEquals(lines(why.stdout).filter((l) => l.op === "copy" && l.outcome === "done").length, 2);

  // Once the source is whole again, the last one is repaired too and all matches.
  await corrupt(`${src}/sub/b.txt`, `${dest}/sub/b.txt`, 1);
  const again = await runCli(["verify", "--dest", dest, "--repair"]);
  assertEquals(again.code, 0, again.stdout + again.stderr);
  assertIncludes(again.stdout, "REPAIRED sub/b.txt");
  assertEquals((await runCli(["verify", "--dest", dest])).code, 0);
});

Deno.test("verify --repair refuses while a daemon runs; verify alone works beside it", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  await corrupt(`${dest}/a.txt`, `${src}/a.txt`);
  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "3600", "--no-watch"]);
  try {
    await waitFor(() => daemon.output().includes("PASS 1"), { what: "the first pass" });
    const repair = await runCli(["verify", "--dest", dest, "--repair"]);
    assertEquals(repair.code, 5, repair.stdout + repair.stderr);
    assertIncludes(repair.stderr, "--repair needs the backup to itself; stop the daemon");
    const look = await runCli(["verify", "--dest", dest]);
    assertEquals(look.code, 7, look.stdout + look.stderr);
    assertIncludes(look.stdout, "MISMATCH a.txt: damaged");
    assertIncludes(look.stdout, "a daemon is running");
  } finally {
    assertEquals(await daemon.stop(), 0);
  }
});

Deno.test("the daemon's rolling verification (--verify-every) finds damage, fires --on-error and repairs", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  const hookFile = `${t.path}/hook.json`;
  const daemon = startDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "3",
    "--no-watch",
    "--verify-every",
    "2s",
    "--on-error",
    `cat > '${hookFile}'`,
  ]);
  try {
    await waitFor(() => daemon.output().includes("VERIFY ROUND DONE"), { what: "a first round" });
    const original = Deno.readFileSync(`${src}/sub/c.bin`);
    await corrupt(`${dest}/sub/c.bin`, `${src}/sub/c.bin`);
    await corrupt(`${src}/a.txt`, `${dest}/a.txt`);
    await waitFor(
      () =>
        daemon.output().includes("VERIFY MISMATCH: sub/c.bin: damaged, the destination is wrong") &&
        daemon.output().includes("VERIFY MISMATCH: a.txt: source-differs, the source is wrong"),
      { what: "both mismatches logged as errors" },
    );
    const payload = await waitFor(() => {
      const text = Deno.readTextFileSync(hookFile);
      return text.includes("sub/c.bin") ? JSON.parse(text) : null;
    }, { what: "the --on-error hook" });
    assertEquals(payload.event, "error");
    assertIncludes(payload.reason, "verification found");
    assert(payload.mismatches.some((m: { path: string }) => m.path === "sub/c.bin"));
    // The damaged copy is recopied by the next full pass; the source's change is left alone.
    await waitFor(() => String(Deno.readFileSync(`${dest}/sub/c.bin`)) === String(original), {
      what: "the repair",
    });
    const progress = JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/verify.json`));
    assertEquals(typeof progress.started, "number");
  } finally {
    assertEquals(await daemon.stop(), 0, daemon.output());
  }
});

Deno.test("verify --config FILE --job NAME takes the job's backup and source", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  await corrupt(`${dest}/sub/b.txt`, `${src}/sub/b.txt`);
  const config = `${t.path}/backup.jsonc`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({ jobs: [{ name: "docs", source: src, destination: dest }] }),
  );
  const r = await runCli(["verify", "--config", config, "--job", "docs", "--json"]);
  assertEquals(r.code, 7, r.stdout + r.stderr);
  const found = lines(r.stdout);
  assertEquals(found.filter((l) => l.type === "mismatch").map((l) => [l.path, l.source]), [
    ["sub/b.txt", "same"],
  ]);
  assertEquals(found.at(-1)!.source, src);
  const unknown = await runCli(["verify", "--config", config, "--job", "pics"]);
  assertEquals(unknown.code, 2);
  assertIncludes(unknown.stderr, `has no job "pics"`);
});
