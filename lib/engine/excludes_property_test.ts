/**
 * Property test of the excludes against git itself: random trees with random `.backupignore`
 * files and command-line patterns; the files a scan keeps (what a pass copies) must be exactly
 * what `git ls-files --others --exclude-per-directory=.backupignore -x PATTERN...` lists; a few
 * cases run the real CLI (`--once --exclude PATTERN...`) and compare the files it copied. Git is
 * a Debian package (`.ci/run` installs it); the tests are ignored where it is missing.
 */

import fc from "fast-check";
import { assertEquals } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { scanTree } from "../base/scan.ts";
import { IGNORE_FILE, passExcludes } from "./excludes.ts";
import { MARKER_NAME } from "../base/layout.ts";
import { runCli, snapshot } from "../../testing/helpers.ts";

const fs = new DenoFileSystem();

function hasGit(): boolean {
  try {
    return new Deno.Command("git", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Names for files and folders: some the patterns name, some they do not. */
const NAMES = ["build", "out", "a", "keep", "x.log", "y.tmp", "b", "!keep", "#x.log"];
const FOLDERS = ["", "build", "a", "sub", "a/build", "sub/out", "sub/build", "out", "a/b"];
/** Patterns in the forms people write: plain, folder-only, anchored, globbed, negated. */
const PATTERNS = [
  "build/",
  "!build/",
  "build",
  "!build",
  "out/",
  "!out/",
  "*.log",
  "!*.log",
  "!keep.log",
  "/a",
  "!/a",
  "a/b",
  "a/",
  "!a/",
  "**/x.log",
  "build/*",
  "!build/keep",
  "b/**",
  "*.tmp",
  "!y.tmp",
  "*",
  "!*/",
  "!keep",
  "sub/",
  "/sub/build/",
  "out/x.log",
  "**/build",
  "a/**/b",
  "?.log",
  "[xy].*",
  "!**/keep",
  "sub/**",
  "/*",
  "!/sub",
  "*/build/",
  "x.lo?",
  "\\!keep",
  "#x.log",
  "a/b/",
  "**",
  "!**",
  "build/**/",
  "*.log/",
];

const scenario: fc.Arbitrary<Scenario> = fc.record({
  files: fc.uniqueArray(
    fc.tuple(fc.constantFrom(...FOLDERS), fc.constantFrom(...NAMES)),
    { minLength: 1, maxLength: 14, selector: ([d, n]) => `${d}/${n}` },
  ),
  rules: fc.array(
    fc.tuple(fc.constantFrom(...FOLDERS), fc.array(fc.constantFrom(...PATTERNS), { maxLength: 4 })),
    { maxLength: 4 },
  ),
  cli: fc.array(fc.constantFrom(...PATTERNS), { maxLength: 3 }),
});

/** Writes the tree: files where a folder of that path is not needed, then the rule files. */
/** One generated case. */
interface Scenario {
  files: [string, string][];
  rules: [string, string[]][];
  cli: string[];
}

function build(root: string, s: Scenario): void {
  const folders = new Set<string>();
  for (const f of FOLDERS) {
    for (let p = f; p !== ""; p = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "") {
      folders.add(p);
    }
  }
  for (const [dir, name] of s.files) {
    const rel = dir === "" ? name : `${dir}/${name}`;
    if (folders.has(rel)) continue; // the name is a folder of the tree: make it one
    Deno.mkdirSync(dir === "" ? root : `${root}/${dir}`, { recursive: true });
    Deno.writeTextFileSync(`${root}/${rel}`, rel);
  }
  for (const [dir, patterns] of s.rules) {
    Deno.mkdirSync(dir === "" ? root : `${root}/${dir}`, { recursive: true });
    Deno.writeTextFileSync(
      `${root}/${dir === "" ? "" : dir + "/"}${IGNORE_FILE}`,
      patterns.join("\n") + "\n",
    );
  }
}

/** What git lists as untracked and not ignored, with a git folder outside the tree. */
function gitFiles(gitDir: string, root: string, cli: string[]): string[] {
  const args = [
    "-c",
    "core.excludesFile=/dev/null",
    `--git-dir=${gitDir}`,
    `--work-tree=${root}`,
    "-C",
    root,
    "ls-files",
    "--others",
    "-z",
    `--exclude-per-directory=${IGNORE_FILE}`,
    ...cli.flatMap((p) => ["-x", p]),
  ];
  const out = new Deno.Command("git", { args, stderr: "piped" }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\0").filter((l) => l !== "").sort();
}

/** The files a pass would copy: the source scan with the pass's excludes. */
function backedUp(root: string, cli: string[]): string[] {
  const ex = passExcludes(fs, root, { patterns: cli });
  const scan = scanTree(fs, root, { skip: ex.sourceSkip });
  return [...scan.entries].filter(([, e]) => e.kind === "file").map(([p]) => p).sort();
}

Deno.test({
  name: "excludes: the files kept are exactly the ones git ls-files --others keeps",
  ignore: !hasGit(),
  fn: () => {
    const base = Deno.makeTempDirSync({ prefix: "backup-excludes-git-" });
    try {
      const gitDir = `${base}/git`;
      new Deno.Command("git", { args: ["init", "-q", "--bare", gitDir] }).outputSync();
      let n = 0;
      fc.assert(
        fc.property(scenario, (s) => {
          const root = `${base}/t${n++}`;
          Deno.mkdirSync(root);
          try {
            build(root, s);
            assertEquals(backedUp(root, s.cli), gitFiles(gitDir, root, s.cli));
          } finally {
            Deno.removeSync(root, { recursive: true });
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "excludes: a deeper file or the command line re-including a folder re-includes what it holds, as in git",
  ignore: !hasGit(),
  fn: () => {
    const base = Deno.makeTempDirSync({ prefix: "backup-excludes-git-" });
    try {
      const gitDir = `${base}/git`;
      new Deno.Command("git", { args: ["init", "-q", "--bare", gitDir] }).outputSync();
      const root = `${base}/t`;
      build(root, {
        files: [["sub/build", "f"], ["build", "g"], ["out", "h"], ["sub/out", "k"]],
        rules: [["", ["build/", "out/"]], ["sub", ["!build/"]]],
        cli: [],
      });
      const kept = [".backupignore", "sub/.backupignore", "sub/build/f"];
      assertEquals(backedUp(root, []), kept);
      assertEquals(gitFiles(gitDir, root, []), kept);
      const withCli = [...kept, "out/h", "sub/out/k"].sort();
      assertEquals(backedUp(root, ["!out/"]), withCli);
      assertEquals(gitFiles(gitDir, root, ["!out/"]), withCli);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "excludes: a --once run copies exactly the files git ls-files --others keeps",
  ignore: !hasGit(),
  fn: async () => {
    const base = Deno.makeTempDirSync({ prefix: "backup-excludes-git-" });
    try {
      const gitDir = `${base}/git`;
      new Deno.Command("git", { args: ["init", "-q", "--bare", gitDir] }).outputSync();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const root = `${base}/t${n}`;
          const dest = `${base}/d${n++}`;
          Deno.mkdirSync(root);
          try {
            build(root, s);
            const args = ["--src", root, "--dest", dest, "--once"];
            const r = await runCli([...args, ...s.cli.flatMap((p) => ["--exclude", p])]);
            assertEquals(r.code, 0, r.stderr);
            const copied = [...snapshot(dest)].filter(([, e]) => e.kind === "file").map(([p]) => p);
            // The source guard's marker is the backup's own file in the source, never copied.
            const git = gitFiles(gitDir, root, s.cli).filter((p) => p !== MARKER_NAME);
            assertEquals(copied.sort(), git);
          } finally {
            Deno.removeSync(root, { recursive: true });
            Deno.removeSync(dest, { recursive: true });
          }
        }),
        { numRuns: 10 },
      );
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});
