/**
 * `backup config convert FILE`: prints the jobs file equivalent to the checksum script's
 * `backup_config.json` (see config_legacy.ts), with every path absolute, so it can be saved
 * anywhere and then edited for the options the old format lacks.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { parseStrict } from "./args.ts";
import { loadConfig } from "./config_load.ts";

/** What {@link runConfigConvert} needs. */
export interface ConfigConvertDeps {
  /** File system port (only read). */
  fs: FileSystem;
  /** Current folder, for a relative FILE. */
  cwd: string;
  /** Prints one line. */
  out: (line: string) => void;
}

/**
 * Parses the arguments after `config convert`; returns FILE.
 *
 * @throws UsageError for a missing FILE or an extra argument.
 */
export function parseConvertArgs(argv: string[]): string {
  const p = parseStrict(argv, {}, "backup config", true);
  const [file, extra] = p.positionals;
  if (!file) throw new UsageError("missing FILE: backup config convert backup_config.json");
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return file;
}

/**
 * Prints the jobs file for an old-format FILE (checked first, as `config check` would).
 *
 * @throws ConfigError for a file with problems; UsageError for a file already in the jobs format.
 */
export function runConfigConvert(file: string, deps: ConfigConvertDeps): number {
  const config = loadConfig(deps.fs, file, deps.cwd);
  if (!config.legacy) {
    throw new UsageError(
      `${config.path} is already a jobs file (it has "jobs"); there is nothing to convert`,
    );
  }
  deps.out(`// Converted by \`backup config convert\` from ${config.path}`);
  deps.out(`// (the checksum script's format). What each old key became:`);
  for (const note of config.legacy.notes) deps.out(`//   ${note}`);
  deps.out(`// Save it as backup.jsonc and run: backup --config backup.jsonc`);
  deps.out(JSON.stringify(config.legacy.config, null, 2));
  return EXIT.OK;
}
