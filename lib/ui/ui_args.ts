/**
 * The dashboard's flags, taken out of a daemon's arguments before those are
 * parsed: `--ui` takes an optional value (`--ui`, `--ui 8600`,
 * `--ui 0.0.0.0:8600`, `--ui=HOST:PORT`), which a strict parser cannot
 * express, and the flags are the dashboard's business only.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { absolute } from "../base/paths.ts";
import { isLoopback, type Listen, parseListen } from "./listen.ts";

/** The dashboard's flags. */
export interface UiFlags {
  /** Where to listen (null: no dashboard). */
  listen: Listen | null;
  /** `--ui-token`. */
  token: string | null;
  /** `--ui-token-file`. */
  tokenFile: string | null;
}

const LISTEN_VALUE =
  /^(\d+|\[[^\]]+\](:\d+)?|[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*:\d+|localhost(:\d+)?)$/;

/**
 * Splits `argv` into the dashboard's flags and the rest.
 *
 * @throws UsageError for a bad `--ui` value or a token flag without a value.
 */
export function extractUiArgs(argv: readonly string[]): { ui: UiFlags; rest: string[] } {
  const ui: UiFlags = { listen: null, token: null, tokenFile: null };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === "--ui") {
      const next = argv[i + 1];
      if (next !== undefined && LISTEN_VALUE.test(next)) {
        ui.listen = parseListen(next);
        i++;
      } else ui.listen = parseListen("");
    } else if (arg.startsWith("--ui=")) {
      ui.listen = parseListen(arg.slice("--ui=".length));
    } else if (arg === "--ui-token" || arg === "--ui-token-file") {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`${arg} needs a value; see \`backup --help\``);
      }
      if (arg === "--ui-token") ui.token = value;
      else ui.tokenFile = value;
      i++;
    } else if (arg.startsWith("--ui-token=")) {
      ui.token = arg.slice("--ui-token=".length);
    } else if (arg.startsWith("--ui-token-file=")) {
      ui.tokenFile = arg.slice("--ui-token-file=".length);
    } else rest.push(arg);
  }
  if (ui.listen === null && (ui.token !== null || ui.tokenFile !== null)) {
    throw new UsageError("--ui-token and --ui-token-file go with --ui (the dashboard)");
  }
  if (ui.token !== null && ui.tokenFile !== null) {
    throw new UsageError("give --ui-token or --ui-token-file, not both");
  }
  return { ui, rest };
}

/** A token's shape: long enough to guess never, plain enough for a header and a URL. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * The dashboard's token: `--ui-token`, or the first line of `--ui-token-file`
 * (a regular file readable by its owner only, 0600), or a random one when
 * neither is given and the address is loopback (the page gets it; nobody
 * else needs it).
 *
 * @throws UsageError when a non-loopback address has no token, the file is
 *   not private, or the token is too short or has other characters than
 *   letters, digits, `-` and `_`.
 */
export function resolveToken(flags: UiFlags, fs: FileSystem, cwd: string): string {
  let token = flags.token;
  if (flags.tokenFile !== null) {
    const file = absolute(flags.tokenFile, cwd);
    try {
      const info = fs.lstat(file);
      if (info.kind !== "file") {
        throw new UsageError(`--ui-token-file ${file} is not a regular file`);
      }
      if ((info.mode & 0o077) !== 0) {
        throw new UsageError(
          `--ui-token-file ${file} can be read by others (mode ${
            (info.mode & 0o777).toString(8)
          }); run chmod 600 on it`,
        );
      }
      if (info.size > 4096) {
        throw new UsageError(`--ui-token-file ${file} is not a token (over 4 KiB)`);
      }
      token = new TextDecoder().decode(fs.readFile(file)).split("\n")[0]!.trim();
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(
        `cannot read --ui-token-file ${file}: ${
          isNotFound(err) ? "no such file" : describeError(err)
        }`,
      );
    }
  }
  if (token === null) {
    if (flags.listen !== null && !isLoopback(flags.listen.host)) {
      throw new UsageError(
        `--ui ${flags.listen.host} can be reached from other machines: give --ui-token TOKEN or --ui-token-file FILE`,
      );
    }
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  if (!TOKEN_SHAPE.test(token)) {
    throw new UsageError(
      "the dashboard token must be 16 to 256 letters, digits, - or _ (try: openssl rand -hex 24)",
    );
  }
  return token;
}
