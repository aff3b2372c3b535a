/**
 * Shared command-line parsing on top of `node:util` parseArgs, turning its
 * errors into one-line {@link UsageError}s.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

/** Option table in `node:util` parseArgs form. */
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/** Parsed values and positionals. */
export interface Parsed {
  /** Values by option name. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parses `argv` strictly against `options`.
 *
 * @throws UsageError naming the bad flag and pointing at `--help`.
 */
export function parseStrict(
  argv: string[],
  options: OptionTable,
  command: string,
  allowPositionals = false,
): Parsed {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0]!.replace(/\.$/, "") : String(err);
    throw new UsageError(`${msg}; see \`${command} --help\``, { cause: err });
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
