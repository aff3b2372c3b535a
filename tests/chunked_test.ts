/**
 * The initial copy in chunks (issue 14, lib/engine/chunked_walk.ts), black box: a first copy
 * of a tree several chunks large (`BACKUP_CHUNK_OPS`, the test knob) is judged by `rsync`
 * (a reference nobody here wrote), folder mtimes included; and a `kill -9` in the middle of
 * it, then a restart, converges without copying again what the killed run finished.
 *
 * @module
 */

import {
  assertMirror,
  type Daemon,
  followDaemon,
  MAIN,
  put,
  ROOT,
  RUN_PERMS,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { MARKER_NAME, RESERVED_DIR } from "../lib/base/layout.ts";

/** The program's permissions, plus reading the chunk-size knob. */
const PERMS = RUN_PERMS.map((p) => p.startsWith("--allow-env=") ? `${p},BACKUP_CHUNK_OPS` : p);

/** Starts `backup ARGS` with `BACKUP_CHUNK_OPS=chunk`. */
function start(args: string[], chunk: number): Daemon {
  return followDaemon(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PERMS, MAIN, ...args],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", BACKUP_CHUNK_OPS: String(chunk) },
    }).spawn(),
  );
}

/** Runs `--once` to its end; returns its exit code and output. */
async function once(src: string, dest: string, chunk: number): Promise<[number, string]> {
  const d = start(["--src", src, "--dest", dest, "--once"], chunk);
  const status = await d.child.status;
  await d.stop();
  return [status.code, d.output()];
}

/** What `rsync -a --dry-run --itemize-changes` would still change (the root, the backup's own names aside). */
function rsyncDiff(src: string, dest: string): string[] {
  const out = new Deno.Command("rsync", {
    args: [
      "-a",
      "--dry-run",
      "--itemize-changes",
      `--exclude=/${RESERVED_DIR}`,
      `--exclude=/${MARKER_NAME}`,
      `${src}/`,
      `${dest}/`,
    ],
  }).outputSync();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l !== "" && !l.endsWith(" ./")
  );
}

/** A tree of `folders` folders (some nested three deep) of `files` files, symlinks, modes, old mtimes. */
function makeTree(root: string, folders: number, files: number): number {
  const dirs: string[] = [];
  for (let i = 0; i < folders; i++) {
    const dir = i % 3 === 0
      ? `d${i}`
      : i % 3 === 1
      ? `d${i - 1}/n${i}`
      : `d${i - 2}/n${i - 1}/m${i}`;
    dirs.push(dir);
    for (let j = 0; j < files; j++) put(`${root}/${dir}/f${j}.txt`, `${dir} ${j} `.repeat(j + 1));
    Deno.chmodSync(`${root}/${dir}/f0.txt`, 0o600);
    Deno.symlinkSync(`f1.txt`, `${root}/${dir}/link`);
  }
  Deno.mkdirSync(`${root}/empty/inner`, { recursive: true });
  dirs.push("empty", "empty/inner");
  Deno.chmodSync(`${root}/d0`, 0o750);
  // Old mtimes, deepest folders last so that nothing moves them again.
  const old = new Date("2024-03-01T10:00:00Z");
  for (const dir of dirs.sort((a, b) => b.split("/").length - a.split("/").length)) {
    Deno.utimeSync(`${root}/${dir}`, old, old);
  }
  return folders * files;
}

/** The journal's records (a torn last line left out). */
function records(dest: string): Record<string, unknown>[] {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    /^\d{8}\.jsonl$/.test(n)
  );
  const out: Record<string, unknown>[] = [];
  for (const name of names.sort()) {
    for (const line of Deno.readTextFileSync(`${dir}/${name}`).split("\n")) {
      try {
        if (line !== "") out.push(JSON.parse(line));
      } catch { /* torn tail */ }
    }
  }
  return out;
}

/** Bytes of the journal's segments so far (0 before there is a journal). */
function journalBytes(dest: string): number {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  let total = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.endsWith(".jsonl")) total += Deno.statSync(`${dir}/${e.name}`).size;
    }
  } catch { /* not there yet */ }
  return total;
}

/** Paths whose copy is `done`, and the copy intents by path. */
function copies(recs: Record<string, unknown>[]): { done: Set<string>; intents: string[] } {
  const byRef = new Map<unknown, Record<string, unknown>>();
  const done = new Set<string>();
  const intents: string[] = [];
  for (const r of recs) {
    if (r.type === "intent") {
      byRef.set(r.seq, r);
      if (r.op === "copy") intents.push(r.path as string);
    }
    const intent = r.type === "done" ? byRef.get(r.ref) : undefined;
    if (intent?.op === "copy") done.add(intent.path as string);
  }
  return { done, intents };
}

Deno.test("chunked initial copy: a tree of many chunks is mirrored as rsync sees it, folder mtimes included", async () => {
  await using t = await tempDir("backup-chunked-");
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const files = makeTree(src, 15, 12);
  const [code, output] = await once(src, dest, 20);
  assertEquals(code, 0, output);
  assertEquals(rsyncDiff(src, dest), [], "rsync finds nothing to change");
  assertMirror(src, dest);
  const recs = records(dest);
  const intents = recs.filter((r) => r.type === "intent");
  // Chunks: a folder's meta is journaled before folders of a later chunk are created.
  const firstMeta = intents.findIndex((r) => r.op === "meta");
  const lastMkdir = intents.findLastIndex((r) => r.op === "mkdir");
  assert(
    firstMeta >= 0 && firstMeta < lastMkdir,
    `one chunk only? meta ${firstMeta}, mkdir ${lastMkdir}`,
  );
  const { done, intents: copyIntents } = copies(recs);
  assertEquals([done.size, copyIntents.length], [files, files], "each file copied once");
  assertEquals(recs.filter((r) => r.type === "failed").length, 0);

  // The next pass finds nothing to do.
  const [again, log] = await once(src, dest, 20);
  assertEquals(again, 0, log);
  assert(log.includes("0 copied"), log);
  assertEquals(copies(records(dest)).intents.length, files, "nothing copied again");
});

Deno.test("chunked initial copy: kill -9 in the middle, then a restart converges without copying what was done", async () => {
  await using t = await tempDir("backup-chunked-kill-");
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const files = makeTree(src, 60, 50);
  const d = start(["--src", src, "--dest", dest, "--once", "--quiet"], 100);
  let exited = false;
  d.child.status.then(() => exited = true);
  // About a third of the way: an intent and a done take about 330 bytes of journal a file.
  await waitFor(() => exited || journalBytes(dest) >= files * 110, {
    timeoutMs: 120_000,
    intervalMs: 2,
    what: "a third of the copies journaled",
  });
  assert(!exited, `the copy ended before the kill:\n${d.output()}`);
  await d.stop("SIGKILL");
  assertEquals((await d.child.status).signal, "SIGKILL", d.output());
  const before = copies(records(dest));
  assert(before.done.size > 0 && before.done.size < files, `${before.done.size} of ${files} done`);
  const lastSeq = Math.max(...records(dest).map((r) => r.seq as number));

  const [code, output] = await once(src, dest, 100);
  assertEquals(code, 0, output);
  assertEquals(rsyncDiff(src, dest), [], "rsync finds nothing to change after the restart");
  assertMirror(src, dest);
  const after = records(dest).filter((r) => (r.seq as number) > lastSeq);
  const again = copies(after).intents.filter((p) => before.done.has(p));
  assertEquals(again, [], "the restart copied again what the killed run had finished");
  assertEquals(copies(records(dest)).done.size, files);
});
