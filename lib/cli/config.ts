/**
 * The config file (`backup --config FILE`): JSON with comments holding a
 * list of jobs (source, destination, interval, excludes, options) and the
 * global log settings.
 *
 * A job is turned into the daemon's own command-line arguments and checked
 * by the same parser as the command line, so a key and its flag can never
 * mean different things. Every problem is reported at once, each on one line
 * naming the file, the line, the job and the key.
 *
 * @module
 */

import {
  createScanner,
  findNodeAtLocation,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { UsageError } from "../base/errors.ts";
import { absolute } from "../base/paths.ts";
import {
  convertLegacy,
  isLegacyConfig,
  type LegacyConversion,
  legacyOrigin,
  legacyWords,
} from "./config_legacy.ts";
import { isRemoteDest } from "../dest/s3_client.ts";

/** One job of the config file, ready for the daemon's argument parser. */
export interface ConfigJob {
  /** The job's name (unique in the file; used in logs, events and `--job`). */
  name: string;
  /** False when the file switches the job off (`"enabled": false`). */
  enabled: boolean;
  /** Absolute source folder. */
  source: string;
  /** Absolute destination folder. */
  destination: string;
  /** The job as daemon arguments (`--src=... --dest=... --interval=...`). */
  argv: string[];
}

/** Global log settings of the config file. */
export interface ConfigLog {
  /** Shared log file (absolute); each job also logs into its own `DEST/.backup/backup.log`. */
  file?: string;
  /** Write log files as JSON lines. */
  json: boolean;
  /** Shared log of warnings and errors only (absolute). */
  errorFile?: string;
}

/** A parsed, valid config file. */
export interface BackupConfig {
  /** Absolute path of the file. */
  path: string;
  /** Global log settings. */
  log: ConfigLog;
  /** Jobs, in file order. */
  jobs: ConfigJob[];
  /** Set when the file is in the checksum script's format (see config_legacy.ts). */
  legacy?: LegacyConversion;
}

/** A config file with problems: every problem, one line each. */
export class ConfigError extends UsageError {
  override name = "ConfigError";
  /** The problems, each `FILE:LINE: job "x": key: what is wrong`. */
  readonly problems: string[];

  /** Builds the error from its problems (the message is the first, plus a count). */
  constructor(problems: string[], path: string) {
    const more = problems.length > 1
      ? ` (and ${problems.length - 1} more: see \`backup config check ${path}\`)`
      : "";
    super(`${problems[0]}${more}`);
    this.problems = problems;
  }
}

type KeyKind = "path" | "paths" | "number" | "boolean" | "string" | "strings" | "text";

/** A job key: its JSON type and the daemon flag it becomes. */
interface KeySpec {
  kind: KeyKind;
  flag?: string;
  /** For a boolean whose `false` sets a flag (`watch: false` is `--no-watch`). */
  whenFalse?: string;
}

/**
 * The keys a job (and `defaults`) may hold. Keys are the flags' names in
 * camelCase; `source` and `destination` are `--src` and `--dest`.
 */
const JOB_KEYS: Record<string, KeySpec> = {
  source: { kind: "path", flag: "--src" },
  destination: { kind: "path", flag: "--dest" },
  interval: { kind: "number", flag: "--interval" },
  watch: { kind: "boolean", whenFalse: "--no-watch" },
  exclude: { kind: "strings", flag: "--exclude" },
  excludeFrom: { kind: "paths", flag: "--exclude-from" },
  deleteExcluded: { kind: "boolean", flag: "--delete-excluded" },
  maxDelete: { kind: "number", flag: "--max-delete" },
  maxDeletePercent: { kind: "number", flag: "--max-delete-percent" },
  keepSetuid: { kind: "boolean", flag: "--keep-setuid" },
  journalMaxMb: { kind: "number", flag: "--journal-max-mb" },
  keepVersions: { kind: "text", flag: "--keep-versions" },
  onPass: { kind: "string", flag: "--on-pass" },
  onError: { kind: "string", flag: "--on-error" },
  hookTimeout: { kind: "number", flag: "--hook-timeout" },
  schedule: { kind: "string", flag: "--schedule" },
  scheduleTz: { kind: "string", flag: "--schedule-tz" },
  verifyEvery: { kind: "text", flag: "--verify-every" },
  destSweep: { kind: "number", flag: "--dest-sweep" },
};

/** Flags that only qualify another one: checked again without it, they would be refused too. */
const QUALIFIERS: Readonly<Record<string, readonly string[]>> = { "--schedule": ["--schedule-tz"] };

/** Keys of a job that are not options. */
const JOB_ONLY = ["name", "enabled"];

const TOP_KEYS = ["log", "defaults", "jobs", "$schema"];
const LOG_KEYS = ["file", "json", "errorFile"];

const NO_TILDE = `starts with "~", which is not expanded here; write the full path`;

/** A job name: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type Location = (string | number)[];

/** Collects problems with their line numbers. */
class Problems {
  readonly list: string[] = [];
  /** The problems already listed, for the check that lists each once. */
  readonly #seen = new Set<string>();
  /** Offsets where lines start, made on first use (finding a line is then a binary search). */
  #lineStarts: number[] | null = null;
  /** Maps a location of the object checked to one in the file (the old format's keys). */
  relocate: (where: Location) => Location = (where) => where;
  constructor(readonly file: string, readonly text: string, readonly tree: Node | undefined) {}

  lineOf(offset: number): number {
    if (this.#lineStarts === null) {
      this.#lineStarts = [0];
      for (let i = 0; i < this.text.length; i++) {
        if (this.text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
      }
    }
    const starts = this.#lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  add(at: Location, message: string): void {
    const where = this.relocate(at);
    let node = this.tree ? findNodeAtLocation(this.tree, where) : undefined;
    // A missing key: point at the object that lacks it.
    for (let up = where.length - 1; !node && up >= 0 && this.tree; up--) {
      node = findNodeAtLocation(this.tree, where.slice(0, up));
    }
    const line = node
      ? `:${this.lineOf(node.parent?.type === "property" ? node.parent.offset : node.offset)}`
      : "";
    const text = `${this.file}${line}: ${message}`;
    // A problem in "defaults" is met once per job: report it once.
    if (this.#seen.has(text)) return;
    this.#seen.add(text);
    this.list.push(text);
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function closest(key: string, known: string[]): string {
  const lower = key.toLowerCase().replace(/[-_]/g, "");
  const hit = known.find((k) => k.toLowerCase() === lower);
  return hit ? `; did you mean "${hit}"?` : `; known keys: ${known.join(", ")}`;
}

/** One option of a job, from the job itself or from `defaults`. */
interface Option {
  key: string;
  value: unknown;
  /** `job "name"` or `defaults`, for messages. */
  label: string;
  /** Where it is in the file. */
  where: Location;
}

/**
 * The options of job `i`: each key of `defaults` the job does not set, then
 * the job's own keys. A job's value replaces the default's (so a `false`
 * switches a default `true` off), except lists (`exclude`, `excludeFrom`),
 * which add to the defaults' list.
 */
function jobOptions(
  defaults: Record<string, unknown>,
  job: Record<string, unknown>,
  i: number,
  label: string,
): Option[] {
  const isList = (k: string) => JOB_KEYS[k]?.kind === "strings" || JOB_KEYS[k]?.kind === "paths";
  const inherited = Object.entries(defaults).filter(([k]) => !(k in job) || isList(k));
  return [
    ...inherited.map(([key, value]) => ({
      key,
      value,
      label: "defaults",
      where: ["defaults", key],
    })),
    ...Object.entries(job).map(([key, value]) => ({ key, value, label, where: ["jobs", i, key] })),
  ];
}

/**
 * A flag with its value as one argument (`--interval=-3`), so a value that
 * starts with "-" (a negative number, an exclude like `-draft.txt`) is taken
 * as the value, never as another flag.
 */
function withValue(flag: string, value: unknown): string {
  return `${flag}=${String(value)}`;
}

/** The value of the last `flag=value` argument of `argv` (the one the parser keeps). */
function valueOf(argv: string[], flag: string): string {
  return argv.findLast((a) => a.startsWith(`${flag}=`))!.slice(flag.length + 1);
}

/**
 * Turns a job's options into daemon arguments, adding a problem for each key
 * of the wrong type.
 */
function optionArgs(options: Option[], base: string, problems: Problems): string[] {
  const argv: string[] = [];
  for (const { key, value, label, where: at } of options) {
    if (JOB_ONLY.includes(key)) continue;
    const spec = JOB_KEYS[key];
    if (!spec) {
      problems.add(
        at,
        `${label}: unknown key "${key}"${closest(key, [...JOB_ONLY, ...Object.keys(JOB_KEYS)])}`,
      );
      continue;
    }
    const bad = (want: string) =>
      problems.add(at, `${label}: "${key}" must be ${want}, not ${typeName(value)}`);
    switch (spec.kind) {
      case "path":
      case "string":
      case "text": {
        const ok = typeof value === "string" ||
          (spec.kind === "text" && typeof value === "number");
        if (!ok || value === "") {
          bad(spec.kind === "text" ? "a string or a number" : "a non-empty string");
          break;
        }
        if (spec.kind === "path" && String(value).startsWith("~")) {
          problems.add(
            at,
            `${label}: "${key}" ${NO_TILDE}`,
          );
          break;
        }
        argv.push(
          withValue(
            spec.flag!,
            // A bucket URL (s3://, issue 16) is not a path.
            spec.kind === "path" && !isRemoteDest(String(value))
              ? absolute(String(value), base)
              : value,
          ),
        );
        break;
      }
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) bad("a number");
        else argv.push(withValue(spec.flag!, value));
        break;
      case "boolean":
        if (typeof value !== "boolean") bad("true or false");
        else if (value && spec.flag) argv.push(spec.flag);
        else if (!value && spec.whenFalse) argv.push(spec.whenFalse);
        break;
      case "strings":
      case "paths": {
        const list = typeof value === "string" && spec.kind === "paths" ? [value] : value;
        if (!Array.isArray(list) || list.some((s) => typeof s !== "string" || s === "")) {
          bad(spec.kind === "paths" ? "a path or a list of paths" : "a list of strings");
          break;
        }
        if (spec.kind === "paths" && (list as string[]).some((s) => s.startsWith("~"))) {
          problems.add(at, `${label}: "${key}" ${NO_TILDE}`);
          break;
        }
        for (const s of list as string[]) {
          argv.push(withValue(spec.flag!, spec.kind === "paths" ? absolute(s, base) : s));
        }
        break;
      }
    }
  }
  return argv;
}

/**
 * Checks one job's arguments with the daemon's own parser, turning its
 * one-line errors into problems that name the job and the key.
 */
export type ArgsCheck = (argv: string[]) => void;

function flagKey(message: string): string | undefined {
  for (const [key, spec] of Object.entries(JOB_KEYS)) {
    if (spec.flag && message.startsWith(`${spec.flag} `)) return key;
  }
  return undefined;
}

/**
 * Parses and validates a config file's text. `check` is the daemon's
 * argument parser (it throws {@link UsageError} for a bad value); `more`
 * adds the caller's problems about the jobs that parsed.
 *
 * @throws ConfigError with every problem found.
 */
export function parseConfig(
  text: string,
  path: string,
  checkArgs: ArgsCheck,
  more?: (config: BackupConfig) => string[],
): BackupConfig {
  let check = checkArgs;
  const deep = tooDeep(text);
  if (deep !== null) {
    const line = new Problems(path, text, undefined).lineOf(deep);
    throw new ConfigError([
      `${path}:${line}: nested more than ${MAX_DEPTH} levels deep; a config file needs 4 ` +
      `(the file's object, its "jobs" list, a job, an "exclude" list)`,
    ], path);
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
    allowEmptyContent: false,
  });
  const problems = new Problems(path, text, tree);
  if (errors.length > 0 || !tree) {
    for (const e of errors.slice(0, 5)) {
      problems.list.push(
        `${path}:${problems.lineOf(e.offset)}: not valid JSON: ${
          readable(printParseErrorCode(e.error))
        }`,
      );
    }
    if (problems.list.length === 0) {
      problems.list.push(`${path}: empty file; see \`backup --help\``);
    }
    throw new ConfigError(problems.list, path);
  }
  // Relative paths in the file are relative to the file's own folder.
  const base = path.slice(0, path.lastIndexOf("/")) || "/";
  const value: unknown = nodeValue(tree);
  if (!isObject(value)) {
    throw new ConfigError([`${path}:1: the file must hold an object with a "jobs" list`], path);
  }
  let root: Record<string, unknown> = value;
  let legacy: LegacyConversion | undefined;
  if (isLegacyConfig(root)) {
    // The checksum script's file: read as the jobs file it stands for, checked like one, with
    // each problem pointed back at the old key.
    legacy = convertLegacy(root, base, (where, message) => problems.add(where, message));
    if (problems.list.length > 0) throw new ConfigError(problems.list, path);
    root = legacy.config as unknown as Record<string, unknown>;
    problems.relocate = legacyOrigin;
    check = (argv) => {
      try {
        checkArgs(argv);
      } catch (err) {
        if (err instanceof UsageError) throw new UsageError(legacyWords(err.message));
        throw err;
      }
    };
  }
  for (const key of Object.keys(root)) {
    if (!TOP_KEYS.includes(key)) {
      problems.add([key], `unknown key "${key}"${closest(key, TOP_KEYS)}`);
    }
  }
  const log = parseLog(root.log, base, problems);
  let defaults: Record<string, unknown> = {};
  if (root.defaults !== undefined) {
    if (!isObject(root.defaults)) problems.add(["defaults"], `"defaults" must be an object`);
    else {
      defaults = root.defaults;
      for (const k of JOB_ONLY.filter((k) => k in defaults)) {
        problems.add(["defaults", k], `defaults: "${k}" belongs in a job, not in "defaults"`);
      }
    }
  }
  const jobs: ConfigJob[] = [];
  if (!Array.isArray(root.jobs) || root.jobs.length === 0) {
    problems.add(["jobs"], `"jobs" must be a list of at least one job`);
  } else {
    const names = new Set<string>();
    root.jobs.forEach((raw: unknown, i: number) => {
      const job = parseJob(raw, i, defaults, base, problems, check);
      if (!job) return;
      if (names.has(job.name)) {
        problems.add(["jobs", i, "name"], `job "${job.name}": the name is used by another job`);
      }
      names.add(job.name);
      jobs.push(job);
    });
    checkOverlaps(jobs, root.jobs as unknown[], problems);
  }
  // What the caller checks on the jobs that parsed (their folders), reported with the rest:
  // one run of `config check` lists every problem of the file.
  const config: BackupConfig = { path, log, jobs, ...(legacy ? { legacy } : {}) };
  const all = [...problems.list, ...(more?.(config) ?? [])];
  if (all.length > 0) throw new ConfigError(legacy ? all.map(legacyWords) : all, path);
  return config;
}

/** How deep objects and lists may nest in a config file; the parser recurses once per level. */
const MAX_DEPTH = 64;

/** jsonc-parser's `SyntaxKind` values used here (a `const enum`, not importable at run time). */
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, eof: 17 } as const;

/**
 * The offset where `text` nests objects or lists past {@link MAX_DEPTH}, or null. A token scan,
 * not recursive: it runs before the (recursive) parser, which a file of 100,000 `[` overflowed.
 */
function tooDeep(text: string): number | null {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== TOKEN.eof; token = scanner.scan()) {
    if (token === TOKEN.openBrace || token === TOKEN.openBracket) {
      if (++depth > MAX_DEPTH) return scanner.getTokenOffset();
    } else if (token === TOKEN.closeBrace || token === TOKEN.closeBracket) {
      depth = Math.max(0, depth - 1);
    }
  }
  return null;
}

function readable(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The plain value of a parse tree (jsonc-parser's `getNodeValue`, without prototype keys). */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = Object.create(null);
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) out[String(k.value)] = nodeValue(v);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function parseLog(raw: unknown, base: string, problems: Problems): ConfigLog {
  const log: ConfigLog = { json: false };
  if (raw === undefined) return log;
  if (!isObject(raw)) {
    problems.add(["log"], `"log" must be an object like { "file": "/var/log/backup.log" }`);
    return log;
  }
  for (const key of Object.keys(raw)) {
    if (!LOG_KEYS.includes(key)) {
      problems.add(["log", key], `log: unknown key "${key}"${closest(key, LOG_KEYS)}`);
    }
  }
  if (raw.file !== undefined) {
    if (typeof raw.file !== "string" || raw.file === "") {
      problems.add(["log", "file"], `log: "file" must be a path, not ${typeName(raw.file)}`);
    } else if (raw.file.startsWith("~")) problems.add(["log", "file"], `log: "file" ${NO_TILDE}`);
    else log.file = absolute(raw.file, base);
  }
  if (raw.errorFile !== undefined) {
    const bad = typeof raw.errorFile !== "string" || raw.errorFile === "";
    if (bad) {
      problems.add(
        ["log", "errorFile"],
        `log: "errorFile" must be a path, not ${typeName(raw.errorFile)}`,
      );
    } else if (String(raw.errorFile).startsWith("~")) {
      problems.add(["log", "errorFile"], `log: "errorFile" ${NO_TILDE}`);
    } else log.errorFile = absolute(String(raw.errorFile), base);
  }
  if (log.errorFile !== undefined && log.errorFile === log.file) {
    problems.add(
      ["log", "errorFile"],
      `log: "errorFile" is the same file as "file"; pick another file for the errors`,
    );
  }
  if (raw.json !== undefined) {
    if (typeof raw.json !== "boolean") {
      problems.add(["log", "json"], `log: "json" must be true or false, not ${typeName(raw.json)}`);
    } else log.json = raw.json;
  }
  return log;
}

function parseJob(
  raw: unknown,
  i: number,
  defaults: Record<string, unknown>,
  base: string,
  problems: Problems,
  check: ArgsCheck,
): ConfigJob | null {
  if (!isObject(raw)) {
    problems.add(
      ["jobs", i],
      `jobs[${i}] must be an object with "name", "source" and "destination"`,
    );
    return null;
  }
  const name = raw.name;
  // A bad name is one problem: the job's other keys are still checked (under jobs[i]).
  let ok = true;
  if (typeof name !== "string" || !JOB_NAME.test(name)) {
    const what = name === undefined ? "is missing" : `cannot be ${typeName(name)}`;
    problems.add(
      ["jobs", i, "name"],
      `jobs[${i}]: "name" ${what}; give each job a short name of letters, digits, ".", "_" or "-"`,
    );
    ok = false;
  }
  const label = ok ? `job "${name}"` : `jobs[${i}]`;
  for (const key of ["source", "destination"]) {
    if (raw[key] === undefined) {
      problems.add(["jobs", i], `${label}: "${key}" is missing`);
      ok = false;
    }
  }
  let enabled = true;
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled !== "boolean") {
      problems.add(["jobs", i, "enabled"], `${label}: "enabled" must be true or false`);
      ok = false;
    } else enabled = raw.enabled;
  }
  const argv = optionArgs(jobOptions(defaults, raw, i, label), base, problems);
  // The daemon's parser stops at the first bad value: check again without it, and again, so
  // that every bad value is listed (it needs the folders, or it only says they are missing).
  const hasFlag = (flag: string) => argv.some((a) => a.startsWith(`${flag}=`));
  const hasFolders = hasFlag("--src") && hasFlag("--dest");
  let rest = argv;
  for (let round = 0; hasFolders && round <= Object.keys(JOB_KEYS).length; round++) {
    try {
      check(rest);
      break;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      const key = flagKey(err.message);
      const spec = key ? JOB_KEYS[key] : undefined;
      const message = key && spec?.flag ? err.message.slice(spec.flag.length + 1) : err.message;
      const where: Location = key && key in raw ? ["jobs", i, key] : key ? ["defaults", key] : [
        "jobs",
        i,
      ];
      problems.add(where, `${label}: ${key ? `"${key}" ` : ""}${message}`);
      if (!spec?.flag) break;
      // A flag that only qualifies the bad one goes with it (a zone without its schedule).
      const dropped = [spec.flag, ...(QUALIFIERS[spec.flag] ?? [])];
      const next = rest.filter((a) => !dropped.some((f) => a === f || a.startsWith(`${f}=`)));
      if (next.length === rest.length) break;
      rest = next;
    }
  }
  // A job with bad values still has its folders checked (overlaps, a destination inside its
  // source): the file is refused anyway, with every problem listed.
  if (!ok || !hasFolders) return null;
  return {
    name: name as string,
    enabled,
    source: valueOf(argv, "--src"),
    destination: valueOf(argv, "--dest"),
    argv,
  };
}

/** What one overlap between two jobs is, from the later job's side. */
type OverlapKind = "dest" | "laterDestInSource" | "earlierDestInSource";

/** The folders at and above an absolute path: `/a/b` gives `/a/b`, `/a`, `/`. */
function selfAndAbove(path: string): string[] {
  const out: string[] = [];
  for (let at = path; at.length > 1; at = at.slice(0, Math.max(1, at.lastIndexOf("/")))) {
    out.push(at);
  }
  out.push("/");
  return out;
}

/** Adds `value` to the list of `key` in `map`. */
function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Two jobs must not share a destination, nor mirror into each other's. Linear in the number of
 * jobs (times the depth of their paths): each job looks up the earlier jobs whose folders are at,
 * above or below its own in maps, instead of being compared with every other job (which made
 * `config check` of 2,000 jobs take 38 s). Each pair is reported on the later job, in the order
 * of the earlier one, as before.
 */
function checkOverlaps(jobs: ConfigJob[], raw: unknown[], problems: Problems): void {
  const firstIndex = new Map<string, number>();
  raw.forEach((job, i) => {
    if (isObject(job) && typeof job.name === "string" && !firstIndex.has(job.name)) {
      firstIndex.set(job.name, i);
    }
  });
  const index = (job: ConfigJob) => firstIndex.get(job.name) ?? -1;
  /** Earlier jobs by destination; by each folder at or above a destination; by source. */
  const destAt = new Map<string, number[]>();
  const destAtOrBelow = new Map<string, number[]>();
  const sourceAt = new Map<string, number[]>();
  const found: { earlier: number; later: number; kind: OverlapKind }[] = [];
  jobs.forEach((job, later) => {
    const pairs = new Map<number, OverlapKind>();
    const note = (earlier: number, kind: OverlapKind) => {
      if (!pairs.has(earlier)) pairs.set(earlier, kind);
    };
    // Destinations first: a pair that shares or nests destinations is reported as that only.
    for (const folder of selfAndAbove(job.destination)) {
      for (const earlier of destAt.get(folder) ?? []) note(earlier, "dest");
    }
    for (const earlier of destAtOrBelow.get(job.destination) ?? []) note(earlier, "dest");
    for (const folder of selfAndAbove(job.destination)) {
      for (const earlier of sourceAt.get(folder) ?? []) note(earlier, "laterDestInSource");
    }
    for (const earlier of destAtOrBelow.get(job.source) ?? []) note(earlier, "earlierDestInSource");
    for (const [earlier, kind] of pairs) found.push({ earlier, later, kind });
    addTo(destAt, job.destination, later);
    for (const folder of selfAndAbove(job.destination)) addTo(destAtOrBelow, folder, later);
    addTo(sourceAt, job.source, later);
  });
  found.sort((one, other) => one.earlier - other.earlier || one.later - other.later);
  for (const { earlier, later, kind } of found) {
    const [first, second] = [jobs[earlier]!, jobs[later]!];
    if (kind === "dest") {
      problems.add(
        ["jobs", index(second), "destination"],
        `job "${second.name}": "destination" ${
          first.destination === second.destination ? "is the same as" : "overlaps"
        } job "${first.name}"'s destination ${first.destination}; each job needs its own folder`,
      );
      continue;
    }
    const [inner, outer] = kind === "laterDestInSource" ? [second, first] : [first, second];
    problems.add(
      ["jobs", index(inner), "destination"],
      `job "${inner.name}": "destination" ${inner.destination} is inside job "${outer.name}"'s source; ` +
        `that job would back up this backup`,
    );
  }
}
