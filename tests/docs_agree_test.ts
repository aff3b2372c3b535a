/**
 * The README and `backup --help` against the code: every flag the daemon parses is in both (the
 * help's options and the README's flag table), every exit code of `EXIT` is in both, every
 * command in the README that runs the program carries the V8 flags of `deno task backup`, and
 * every relative link of README.md and docs/*.md points at a file (and heading) that exists.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { ROOT } from "../testing/helpers.ts";
import { OPTIONS } from "../lib/cli/run_args.ts";
import { HELP } from "../lib/cli/run.ts";
import { EXIT } from "../lib/base/errors.ts";

const README = Deno.readTextFileSync(`${ROOT}/README.md`);

/** The flags of the daemon: its parser's, `--config`/`--job` and the dashboard's. */
const FLAGS = [
  ...Object.keys(OPTIONS),
  "config",
  "job",
  "ui",
  "ui-token",
  "ui-token-file",
].map((name) => `--${name}`);

/** The text of the section of `text` under the heading `title`, up to the next heading. */
function section(text: string, title: string): string {
  const at = text.indexOf(`\n${title}\n`);
  assert(at >= 0, `no section ${title}`);
  const rest = text.slice(at + title.length + 2);
  const next = rest.search(/\n#{1,3} /);
  return next < 0 ? rest : rest.slice(0, next);
}

Deno.test("docs: every flag of the daemon is in backup --help and in the README's flag table", () => {
  const options = HELP.slice(HELP.indexOf("\nOptions:\n"));
  const table = section(README, "## Usage").split("\n").filter((line) => line.startsWith("| `-"));
  const missing = FLAGS.flatMap((flag) => {
    const named = new RegExp(`(^|[\\s\`/|])${flag}(?![\\w-])`);
    return [
      ...(named.test(options) ? [] : [`${flag} not in --help`]),
      ...(table.some((row) => named.test(row)) ? [] : [`${flag} not in the README's table`]),
    ];
  });
  assertEquals(missing, []);
});

Deno.test("docs: every exit code is in backup --help and in the README's table", () => {
  const help = HELP.slice(HELP.indexOf("\nExit codes:")).replace(/\s+/g, " ");
  const table = section(README, "### Exit codes");
  for (const code of Object.values(EXIT)) {
    assert(
      new RegExp(`(: |, )${code} `).test(help),
      `exit code ${code} is not in --help: ${help}`,
    );
    assert(new RegExp(`^\\| ${code} +\\|`, "m").test(table), `exit code ${code} not in README`);
  }
});

Deno.test("docs: the README's commands that run the program carry the V8 flags of deno task backup", () => {
  const task = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks.backup as string;
  const v8 = /--v8-flags=\S+/.exec(task)?.[0];
  assert(v8, "deno task backup has no --v8-flags");
  const commands = [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.replace(/\\\n/g, " ").split("\n"))
    .filter((line) => /^(sudo .*)?deno (run|install|compile) .*--allow/.test(line.trim()));
  assert(commands.length >= 4, `only ${commands.length} commands found`);
  for (const command of commands) assert(command.includes(v8), `no ${v8} in: ${command}`);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
}

/** The anchors of the headings of a Markdown file (outside code blocks). */
function anchorsOf(text: string): Set<string> {
  const prose = text.replace(/```[\s\S]*?```/g, "");
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
}

Deno.test("docs: every relative link of README.md and docs/*.md resolves, heading included", () => {
  const files = [
    "README.md",
    ...[...Deno.readDirSync(`${ROOT}/docs`)].filter((e) => e.name.endsWith(".md")).map((e) =>
      `docs/${e.name}`
    ),
  ];
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    const prose = Deno.readTextFileSync(`${ROOT}/${file}`).replace(/```[\s\S]*?```/g, "");
    for (const [, link] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link!)) continue;
      checked++;
      const [path, fragment] = link!.split("#", 2) as [string, string | undefined];
      const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
      const target = path === "" ? `${ROOT}/${file}` : `${ROOT}/${folder}/${path}`;
      let text: string;
      try {
        text = Deno.statSync(target).isFile ? Deno.readTextFileSync(target) : "";
      } catch {
        broken.push(`${file}: ${link} (no such file)`);
        continue;
      }
      if (fragment && target.endsWith(".md") && !anchorsOf(text).has(fragment)) {
        broken.push(`${file}: ${link} (no such heading)`);
      }
    }
  }
  assert(checked > 10, `only ${checked} links found`);
  assertEquals(broken, []);
});
