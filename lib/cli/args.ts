/**
 * Shared command-line parsing on top of `node:util` parseArgs, turning its
 * errors into one-line {@link UsageError}s.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../base/errors.ts";

/** Option table in `node:util` parseArgs form. */
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/** Parsed values and positionals. */
export interface Parsed {
  /** Values by option name. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/** A negative number, which a flag may take as its value (`--interval -3`). */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * `argv` with each long flag that takes a value joined to a following
 * negative number (`--interval -3` becomes `--interval=-3`): parseArgs
 * would refuse it as "ambiguous", where the flag's own check says what is
 * wrong with the value. Nothing after `--` is touched.
 */
function joinNegativeValues(argv: string[], options: OptionTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const takesValue = arg.startsWith("--") && options[arg.slice(2)]?.type === "string";
    if (takesValue && next !== undefined && NEGATIVE.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
      // A value is never a flag: `--on-pass --interval` leaves `--interval` to parseArgs.
      if (takesValue && next !== undefined) out.push(argv[++i]!);
    }
  }
  return out;
}

/**
 * Parses `argv` strictly against `options`. A flag that takes a value may be
 * given a negative number (`--interval -3`), which its own check then refuses
 * or accepts.
 *
 * @throws UsageError naming the bad flag and pointing at `--help`.
 */
export function parseStrict(
  argv: string[],
  options: OptionTable,
  command: string,
  allowPositionals = false,
): Parsed {
  const args = joinNegativeValues(argv, options);
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
    const values = r.values as Parsed["values"];
    refuseTilde(values);
    return { values, positionals: r.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // parseArgs refuses `--exclude -x` (or a forgotten value: `--exclude --once`).
    const ambiguous = /^Option '(--[^']+)' argument is ambiguous/.exec(message)?.[1];
    const at = args.findIndex((a, i) => a === ambiguous && args[i + 1]?.startsWith("-"));
    if (ambiguous && at >= 0) {
      throw new UsageError(
        `${ambiguous} needs a value, not "${args[at + 1]}"; ` +
          `to give a value that starts with "-", write it as ${ambiguous}=VALUE`,
        { cause: err },
      );
    }
    const msg = message.split("\n")[0]!.replace(/\.$/, "");
    throw new UsageError(`${msg}; see \`${command} --help\``, { cause: err });
  }
}

/** Flags whose value is a path, in every command. */
const PATH_FLAGS = ["src", "dest", "log-file", "exclude-from", "config", "to"];

/**
 * Refuses a path flag whose value starts with `~`: the shell expands `~` only
 * as a word of its own (`--dest ~/bk`), not after `=` (`--dest=~/bk`) nor in
 * quotes, and the backup does not expand it (as in the config file), so it
 * would be a folder named `~` in the current folder.
 *
 * @throws UsageError naming the flag and the way to write it.
 */
function refuseTilde(values: Parsed["values"]): void {
  for (const name of PATH_FLAGS) {
    const value = values[name];
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "string" && v.startsWith("~")) {
        throw new UsageError(
          `--${name} "${v}" starts with "~", which is not expanded here (the shell expands it ` +
            `only as a word of its own: --${name} ~/...); write --${name} ~/... or the full path`,
        );
      }
    }
  }
}

/**
 * Refuses a flag that takes one value given twice (`--src A --src B` would
 * silently take B). Flags declared `multiple` (`--exclude`, `--job`) may repeat.
 *
 * @throws UsageError naming the flag and both values.
 */
export function refuseRepeated(argv: string[], options: OptionTable, command: string): void {
  const seen = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = options[name];
    if (spec === undefined || spec.multiple) continue;
    let value = "";
    if (spec.type === "string") value = eq < 0 ? argv[++i] ?? "" : arg.slice(eq + 1);
    const before = seen.get(name);
    if (before !== undefined) {
      const values = spec.type === "string" ? ` ("${before}", then "${value}")` : "";
      throw new UsageError(
        `--${name} is given twice${values}; give it once; see \`${command} --help\``,
      );
    }
    seen.set(name, value);
  }
}

/** The string value of an option, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

/** The boolean value of a flag. */
export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** The values of a repeatable string option (`multiple: true`), in order. */
export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
