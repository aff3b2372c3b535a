import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import ignore from "ignore";
import {
  Excludes,
  IGNORE_FILE as IGNORE,
  ownVerdict,
  parsePatterns,
  passExcludes,
  readExcludeFrom,
} from "./excludes.ts";
import { scanTree } from "../base/scan.ts";
import { UsageError } from "../base/errors.ts";
import { RULES_CAP_BYTES } from "../base/small_file.ts";

const fs = new DenoFileSystem();

function tree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "backup-excludes-" });
  for (const [rel, text] of Object.entries(files)) {
    const abs = `${root}/${rel}`;
    Deno.mkdirSync(abs.slice(0, abs.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(abs, text);
  }
  return root;
}

Deno.test("parsePatterns() drops blank lines and # comments", () => {
  assertEquals(parsePatterns("# c\n*.log\n\n  \nbuild/\r\n!keep.log\n"), [
    "*.log",
    "build/",
    "!keep.log",
  ]);
});

Deno.test("Excludes: command-line patterns in gitignore syntax (globs, anchors, folder-only)", () => {
  const root = tree({});
  try {
    const ex = new Excludes(fs, root, { patterns: ["*.log", "!keep.log", "/top.txt", "out/"] });
    assertEquals(ex.excluded("a.log", "file"), true);
    assertEquals(ex.excluded("deep/er/b.log", "file"), true);
    assertEquals(ex.excluded("keep.log", "file"), false);
    assertEquals(ex.excluded("top.txt", "file"), true);
    assertEquals(ex.excluded("sub/top.txt", "file"), false, "anchored to the root");
    assertEquals(ex.excluded("out", "dir"), true);
    assertEquals(ex.excluded("out", "file"), false, "a trailing / matches folders only");
    assertEquals(ex.excluded("out/inside.txt", "file"), true, "below an excluded folder");
    assertEquals(ex.excluded("a/out", "dir"), true);
    assertEquals(ex.excluded("readme.md", "file"), false);
    // Case matters, as in git on Linux: these are other files.
    assertEquals(ex.excluded("Y.LOG", "file"), false);
    assertEquals(ex.excluded("OUT", "dir"), false);
    assertEquals(ex.excluded("Top.txt", "file"), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("Excludes: a deeper file re-including a folder re-includes what it holds (git's rule)", () => {
  const root = tree({ ".backupignore": "build/\n", "sub/.backupignore": "!build/\n" });
  try {
    const ex = new Excludes(fs, root, { patterns: ["out/", "!sub/out/"] });
    assertEquals(ex.excluded("build", "dir"), true);
    assertEquals(ex.excluded("sub/build", "dir"), false);
    assertEquals(
      ex.excluded("sub/build/f", "file"),
      false,
      "the top file's build/ says nothing of f",
    );
    assertEquals(ex.excluded("sub/build/deep/g", "file"), false);
    assertEquals(ex.excluded("out/h", "file"), true);
    assertEquals(ex.excluded("sub/out/k", "file"), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("Excludes: a command-line pattern starting with # is a pattern, not a comment (git's -x)", () => {
  const root = tree({});
  try {
    const ex = new Excludes(fs, root, { patterns: ["#notes.txt"] });
    assertEquals(ex.excluded("#notes.txt", "file"), true);
    assertEquals(ex.excluded("notes.txt", "file"), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ownVerdict: the package's single-path test is still there (pinned ignore version)", () => {
  const ig = ignore({ ignorecase: false }).add(["build/", "!keep"]);
  const brief = (path: string) => {
    const { ignored, unignored } = ownVerdict(ig, path);
    return { ignored, unignored };
  };
  assertEquals(brief("build/"), { ignored: true, unignored: false });
  assertEquals(brief("build/f"), { ignored: false, unignored: false }, "its folder not asked");
  assertEquals(ig.test("build/f").ignored, true, "where the public test() asks the folder");
  assertEquals(brief("keep"), { ignored: false, unignored: true });
});

Deno.test("Excludes: .backupignore files apply below their folder, deeper ones override", () => {
  const root = tree({
    ".backupignore": "*.tmp\nbuild/\n",
    "a/.backupignore": "!keep.tmp\n/local.txt\n",
    "a/b/.backupignore": "keep.tmp\n",
  });
  try {
    const ex = new Excludes(fs, root);
    assertEquals(ex.excluded("x.tmp", "file"), true);
    assertEquals(ex.excluded("a/x.tmp", "file"), true);
    assertEquals(ex.excluded("a/keep.tmp", "file"), false, "re-included by a/.backupignore");
    assertEquals(ex.excluded("a/c/keep.tmp", "file"), false);
    assertEquals(ex.excluded("a/b/keep.tmp", "file"), true, "excluded again deeper");
    assertEquals(ex.excluded("a/local.txt", "file"), true, "relative to the file's folder");
    assertEquals(ex.excluded("local.txt", "file"), false, "not above it");
    assertEquals(ex.excluded("a/c/local.txt", "file"), false, "anchored: not deeper");
    assertEquals(ex.excluded("a/build", "dir"), true);
    assertEquals(ex.excluded(".backupignore", "file"), false, "rule files are backed up");
    assertEquals(ex.excluded("X.TMP", "file"), false, "case-sensitive, as git on Linux");
    assertEquals(ex.excluded("a/Build", "dir"), false);
    assertEquals(ex.problems.size, 0);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("Excludes: command-line rules take precedence over .backupignore files", () => {
  const root = tree({ ".backupignore": "!*.iso\n" });
  try {
    assertEquals(new Excludes(fs, root, { patterns: ["*.iso"] }).excluded("a.iso", "file"), true);
    assertEquals(new Excludes(fs, root, { ignoreFiles: false }).excluded("a.iso", "file"), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("Excludes: nothing below an excluded folder can be re-included", () => {
  const root = tree({ ".backupignore": "cache/\n!cache/important.txt\n" });
  try {
    const ex = new Excludes(fs, root);
    assertEquals(ex.excluded("cache/important.txt", "file"), true);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("scanTree() with the source skip never sees excluded entries or what is below them", () => {
  const root = tree({
    ".backupignore": "node_modules/\n*.log\n",
    "a/x.log": "",
    "a/y.txt": "",
    "node_modules/p/index.js": "",
  });
  try {
    const ex = passExcludes(fs, root);
    const seen = [...scanTree(fs, root, { skip: ex.sourceSkip }).entries.keys()].sort();
    assertEquals(seen, [".backupignore", "a", "a/y.txt"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("passExcludes(): kept destination entries protect their folders; deleteExcluded keeps nothing", () => {
  const src = tree({ "keep.txt": "" });
  const dest = tree({ "old/cache/a.bin": "", "old/b.txt": "", "c.txt": "" });
  try {
    const ex = passExcludes(fs, src, { patterns: ["cache/"] });
    const seen = [...scanTree(fs, dest, { skip: ex.destSkip! }).entries.keys()].sort();
    assertEquals(seen, ["c.txt", "old", "old/b.txt"]);
    assertEquals(ex.keeps("old/cache"), true);
    assertEquals(ex.keeps("old/cache/a.bin"), true, "below a kept folder");
    assertEquals(ex.keeps("old"), true, "a folder holding a kept entry");
    assertEquals(ex.keeps("old/b.txt"), false);
    assertEquals(ex.keeps("c.txt"), false);
    const del = passExcludes(fs, src, { patterns: ["cache/"], deleteExcluded: true });
    assertEquals(del.destSkip, undefined);
    assertEquals(del.keeps("old/cache"), false);
  } finally {
    Deno.removeSync(src, { recursive: true });
    Deno.removeSync(dest, { recursive: true });
  }
});

Deno.test("readExcludeFrom() names a missing file in a usage error", () => {
  const err = assertThrows(() => readExcludeFrom(fs, "/nonexistent/rules.txt"), UsageError);
  assertEquals(err.message.includes("/nonexistent/rules.txt"), true);
});

Deno.test("Excludes: a .backupignore that is a symlink, a folder or above 1 MiB gives no rules; all but the folder are problems", () => {
  const root = tree({
    "a/x.log": "",
    "b/.backupignore/inside": "",
    "b/x.log": "",
    "c/.backupignore": "*.log\n" + "#".repeat(RULES_CAP_BYTES),
    "c/x.log": "",
    "d/.backupignore": "*.log\n",
    "d/x.log": "",
  });
  try {
    Deno.symlinkSync("/dev/zero", `${root}/a/.backupignore`);
    const ex = new Excludes(fs, root);
    for (const dir of ["a", "b", "c"]) {
      assertEquals(ex.excluded(`${dir}/x.log`, "file"), false, dir);
    }
    assertEquals(ex.excluded("d/x.log", "file"), true, "a regular file still gives its rules");
    assertEquals(Object.fromEntries(ex.problems), {
      "a/.backupignore": "it is a symlink, not a regular file",
      "c/.backupignore": "it is larger than 1 MiB, the cap for rule files",
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("readExcludeFrom() follows the user's symlink to a regular file, refuses a device or a file above 1 MiB whole", () => {
  const root = tree({ "rules.txt": "*.log\n", "big.txt": "*.log\n" + "x".repeat(RULES_CAP_BYTES) });
  try {
    Deno.symlinkSync(`${root}/rules.txt`, `${root}/link.txt`);
    assertEquals(readExcludeFrom(fs, `${root}/link.txt`), ["*.log"]);
    const device = assertThrows(() => readExcludeFrom(fs, "/dev/zero"), UsageError);
    assertEquals(device.message.includes('"/dev/zero": it is a'), true, device.message);
    const big = assertThrows(() => readExcludeFrom(fs, `${root}/big.txt`), UsageError);
    assertEquals(big.message.includes("larger than 1 MiB"), true, big.message);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("Excludes: files asked in any order across folders get the verdict a fresh Excludes gives", () => {
  const root = tree({
    [`a/${IGNORE}`]: "*.tmp\n",
    [`ab/${IGNORE}`]: "x\n",
    [`a/b/${IGNORE}`]: "!keep.tmp\n",
  });
  try {
    const asks: [string, "file" | "dir"][] = [
      ["a/x", "file"],
      ["a/y.tmp", "file"],
      ["ab/x", "file"],
      ["a/b/keep.tmp", "file"],
      ["a/b/z.tmp", "file"],
      ["b/x", "file"],
      ["x", "file"],
      ["a/y.tmp", "file"],
      ["ab/y.tmp", "file"],
      ["ab", "dir"],
      ["ab/x", "file"],
      ["cd/x", "file"],
      ["a/b/keep.tmp", "file"],
    ];
    const shared = new Excludes(fs, root, { patterns: ["/cd"] });
    for (const [rel, kind] of asks) {
      const fresh = new Excludes(fs, root, { patterns: ["/cd"] }).excluded(rel, kind);
      assertEquals(shared.excluded(rel, kind), fresh, rel);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
