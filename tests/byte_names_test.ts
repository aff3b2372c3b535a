/**
 * Black-box test of issue 12 (names that are not UTF-8): files, folders and
 * symlinks whose names (and a link's target) are not valid UTF-8 are backed
 * up by their bytes, as rsync does; moved, changed and deleted like any
 * other; restored by their bytes; and never confused with a real name that
 * holds U+FFFD (what Deno's listing shows in their place). Without
 * `--allow-ffi` they are skipped, and `--once` exits 6.
 *
 * The names are made by bash's `printf`, and trees are compared with GNU
 * `diff -r --no-dereference`, both working on bytes.
 */

import { RESERVED_DIR } from "../lib/base/layout.ts";
import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { RUN_PERMS, runCli, tempDir } from "../testing/helpers.ts";

/** Runs a bash script in `cwd`; its exit code. */
async function bash(script: string, cwd: string): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("bash", { args: ["-c", script], cwd }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** True when the two trees hold the same names (bytes), kinds, contents and link targets. */
async function sameTrees(a: string, b: string): Promise<string | null> {
  const r = await bash(
    `diff -r --no-dereference -x ${RESERVED_DIR} -x .backup-source '${a}' '${b}'`,
    "/",
  );
  return r.code === 0 ? null : r.out;
}

/** A source tree with names that are not UTF-8, and a real U+FFFD name beside one. */
async function makeTree(src: string): Promise<void> {
  Deno.mkdirSync(`${src}/sub`, { recursive: true });
  const made = await bash(
    [
      `printf 'latin-1 e\\n' > $'sub/caf\\xe9.txt'`,
      `printf 'real replacement char\\n' > $'sub/caf\\xef\\xbf\\xbd.txt'`, // valid UTF-8 U+FFFD
      `mkdir $'sub/dir\\xff'`,
      `printf 'inner\\n' > $'sub/dir\\xff/in\\xfe'`,
      `ln -s $'caf\\xe9.txt' $'sub/link\\x80'`,
      `printf 'plain\\n' > sub/plain.txt`,
    ].join(" && "),
    src,
  );
  assertEquals(made.code, 0, made.out);
}

Deno.test("byte names: backed up by their bytes, moved, deleted and restored", async () => {
  await using t = await tempDir();
  const [src, dest, out] = [`${t.path}/src`, `${t.path}/dest`, `${t.path}/out`];
  await makeTree(src);
  const run = () => runCli(["--src", src, "--dest", dest, "--once", "--no-watch"]);
  let r = await run();
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(await sameTrees(src, dest), null);
  // The two look-alike names stayed apart: each has its own content.
  assertEquals((await bash(`cat $'sub/caf\\xe9.txt'`, dest)).out, "latin-1 e\n");
  assertEquals(
    (await bash(`cat $'sub/caf\\xef\\xbf\\xbd.txt'`, dest)).out,
    "real replacement char\n",
  );

  // A second pass has nothing to do: the journal's text form reads back to the same names.
  r = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch", "--json"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assert(!/"op":"(copy|delete|move)"/.test(r.stdout), r.stdout);

  // Changed, moved (a folder renamed to another bad name) and deleted.
  const changed = await bash(
    [
      `printf 'changed\\n' > $'sub/caf\\xe9.txt'`,
      `mv $'sub/dir\\xff' $'sub/dir\\xfd'`,
      `rm $'sub/link\\x80'`,
    ].join(" && "),
    src,
  );
  assertEquals(changed.code, 0, changed.out);
  r = await run();
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(await sameTrees(src, dest), null);

  // journal show prints them (escaped in JSON), and restore writes them back by their bytes.
  const shown = await runCli(["journal", "show", "--dest", dest, "--json"]);
  assertEquals(shown.code, 0, shown.stderr);
  assertIncludes(shown.stdout, "caf\\udce9.txt");
  const restored = await runCli(["restore", "--dest", dest, "sub", "--to", out]);
  assertEquals(restored.code, 0, restored.stdout + restored.stderr);
  assertEquals(await sameTrees(`${src}/sub`, `${out}/sub`), null);
});

Deno.test("byte names: without --allow-ffi they are skipped and --once exits 6", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  await makeTree(src);
  const perms = RUN_PERMS.filter((perm) => perm !== "--allow-ffi");
  const r = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch"], { perms });
  assertEquals(r.code, 6, r.stdout + r.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/sub/plain.txt`), "plain\n");
  assertEquals(Deno.readTextFileSync(`${dest}/sub/caf\uFFFD.txt`), "real replacement char\n");
  const listed = (await bash(`ls sub | LC_ALL=C grep -c $'\\xe9' || true`, dest)).out.trim();
  assertEquals(listed, "0", "the latin-1 name is not in the copy");
});
