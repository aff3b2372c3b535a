/**
 * The interactive start of the watchdog script: `backup` run on a terminal with no `--src`,
 * `--dest` or `--config` asks for the two folders, checks each as the flags are checked (with
 * the same messages), shows the command line it is going to run, and runs it.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { RootError, UsageError } from "../base/errors.ts";
import { checkRoots, checkSource } from "../engine/guard.ts";
import { checkDestination } from "./dest_check.ts";

/** What {@link promptRoots} needs. */
export interface PromptDeps {
  /** File system port (only read). */
  fs: FileSystem;
  /** Current folder, for relative answers. */
  cwd: string;
  /** Shows `question` and reads one line; null at the end of the input (Ctrl+D). */
  ask: (question: string) => string | null;
  /** Prints one line. */
  say: (line: string) => void;
}

/** The flags that name the folders (or a config file): given any, nothing is asked. */
const ROOT_FLAGS = ["--src", "--dest", "--config"];

/** True when `backup ARGS` on a terminal should ask for its folders: none of them is given. */
export function wantsPrompt(args: string[], terminal: boolean): boolean {
  if (
    !terminal || args.length > 0 && ["config", "journal", "status", "restore"].includes(args[0]!)
  ) {
    return false;
  }
  return !args.some((a) => ROOT_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
}

/** A word quoted for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-.,/:=@%+]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Why an answer cannot be a folder's path before it is looked at, or null. */
function answerProblem(answer: string, flag: string): string | null {
  if (answer === "") return `a folder is needed (as ${flag} DIR)`;
  if (answer.startsWith("~")) {
    return `"${answer}": "~" is not expanded here (no shell reads it); type the full path`;
  }
  return null;
}

/**
 * Asks "Source folder:" until the answer passes the `--src` checks, then "Backup folder:" until
 * the pair passes the `--dest` checks; prints the command line and returns its arguments
 * (`args` with `--src` and `--dest` added).
 *
 * @throws UsageError when the input ends before both are given (as the missing flag would).
 */
export function promptRoots(args: string[], deps: PromptDeps): string[] {
  const read = (question: string, flag: string, check: (answer: string) => void): string => {
    for (;;) {
      const line = deps.ask(question);
      if (line === null) {
        throw new UsageError(
          `missing ${flag} DIR: no folder was given; see \`backup --help\``,
        );
      }
      const answer = line.trim();
      const problem = answerProblem(answer, flag);
      if (problem !== null) {
        deps.say(`backup: ${problem}`);
        continue;
      }
      try {
        check(answer);
        return answer;
      } catch (err) {
        if (!(err instanceof RootError)) throw err;
        deps.say(`backup: ${err.message}`);
      }
    }
  };
  const src = read("Source folder:", "--src", (answer) => checkSource(deps.fs, answer, deps.cwd));
  const adopt = args.includes("--adopt-dest");
  const dest = read("Backup folder:", "--dest", (answer) => {
    const roots = checkRoots(deps.fs, src, answer, deps.cwd);
    if (!adopt) checkDestination(deps.fs, roots.dest, roots.source);
  });
  const argv = ["--src", src, "--dest", dest, ...args];
  deps.say(`backup ${argv.map(shellQuote).join(" ")}`);
  return argv;
}
