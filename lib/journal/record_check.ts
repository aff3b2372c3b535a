/**
 * What a journal record's fields must be, beyond its checksum: the type and
 * range of every field this program reads, and whether an intent's paths stay
 * inside the destination.
 *
 * A checksum only says the line is as it was written. A record written by
 * hand (or by a hostile owner of the destination) can carry a valid checksum
 * and `"size": "big"`, which crashed `journal show` and `why`. Two kinds of
 * problem, two answers:
 * - {@link recordFieldProblem}: a field of the wrong type or out of range. No
 *   version of this program writes that, so the journal is corrupt (exit 3,
 *   `journal verify` says where), never guessed around.
 * - {@link intentUnsafeReason}: a well-formed intent whose `path`, `from` or
 *   `version` could lead outside the destination (`..`, absolute, NUL, the
 *   reserved folder). Replay refuses such an intent (it is never applied) and
 *   `journal verify` lists it; the rest of the journal stays usable.
 *
 * Fields this program does not know are allowed (a later format may add some);
 * a `null` is a wrong type (JSON has no `undefined`; writers leave a field out).
 *
 * @module
 */

import { unsafeReason } from "../base/paths.ts";

/** Error text of the `failed` record that closes a refused intent (see `replay.ts`). */
export const REFUSED_PREFIX = "refused, never applied";

/** True for the `failed` record that closes a refused intent (its `ref`). */
export function isRefusalClose(record: { type: string; error?: unknown }): boolean {
  return record.type === "failed" && String(record.error).startsWith(REFUSED_PREFIX);
}

/** The paths of an intent (`IntentRecord`'s, named here so that record.ts can import this module). */
export interface IntentPaths {
  /** Destination path. */
  path: unknown;
  /** A move's old path. */
  from?: unknown;
  /** Where the replaced file goes, relative to `.backup/versions/`. */
  version?: unknown;
}

/** A field check: the test, and what the field must be, in words. */
interface FieldRule {
  test: (value: unknown) => boolean;
  want: string;
  required?: boolean;
}

const oneOf = (values: readonly string[]) => (value: unknown) =>
  typeof value === "string" && values.includes(value);

const STRING: FieldRule = { test: (value) => typeof value === "string", want: "a string" };
const TEXT_REQUIRED: FieldRule = { ...STRING, required: true };
const COUNT: FieldRule = {
  test: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
  want: "a whole number of at least 0",
};
const SEQ_REF: FieldRule = {
  test: (value) => Number.isSafeInteger(value) && (value as number) >= 1,
  want: "a record's seq (a whole number of at least 1)",
  required: true,
};
const TIME_MS: FieldRule = {
  test: (value) => typeof value === "number" && Number.isFinite(value),
  want: "a time in milliseconds",
};
const MODE: FieldRule = {
  test: (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0o7777,
  want: "permission bits (0 to 0o7777)",
};
const INODE: FieldRule = {
  test: (value) => Number.isInteger(value) && (value as number) >= 0,
  want: "an inode number",
};
const FLAG: FieldRule = { test: (value) => typeof value === "boolean", want: "true or false" };
const PATHS: FieldRule = {
  test: (value) => Array.isArray(value) && value.every((path) => typeof path === "string"),
  want: "a list of paths",
  required: true,
};

/** The fields of each record type (besides `seq` and `ts`, checked for all). */
const RULES: Record<string, Record<string, FieldRule>> = {
  header: {
    v: {
      test: (value) => Number.isSafeInteger(value) && (value as number) >= 1,
      want: "a format version",
      required: true,
    },
    segment: TEXT_REQUIRED,
    source: TEXT_REQUIRED,
  },
  intent: {
    op: {
      test: oneOf(["copy", "mkdir", "symlink", "delete", "meta", "move"]),
      want: "copy, mkdir, symlink, delete, meta or move",
      required: true,
    },
    path: TEXT_REQUIRED,
    from: STRING,
    kind: { test: oneOf(["file", "dir", "symlink", "other"]), want: "file, dir, symlink or other" },
    size: COUNT,
    mtime: TIME_MS,
    mode: MODE,
    ino: INODE,
    hash: STRING,
    target: STRING,
    version: STRING,
    reason: {
      test: oneOf(["scan", "watch", "replay"]),
      want: "scan, watch or replay",
      required: true,
    },
  },
  done: { ref: SEQ_REF, hash: STRING, bytes: COUNT, racy: FLAG },
  failed: { ref: SEQ_REF, error: TEXT_REQUIRED },
  held: {
    count: { ...COUNT, required: true },
    tracked: { ...COUNT, required: true },
    sample: PATHS,
  },
  confirmed: { ref: SEQ_REF, count: { ...COUNT, required: true } },
};

/** {@link RULES} as lists, made once (not an `Object.entries` per record). */
const RULE_LISTS: ReadonlyMap<string, readonly (readonly [string, FieldRule])[]> = new Map(
  Object.entries(RULES).map(([type, rules]) => [type, Object.entries(rules)]),
);

/** A value for a message: short, on one line. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * What is wrong with the fields of a decoded record (its `seq` and `type`
 * already checked), or null when every field this program reads is of its type.
 */
export function recordFieldProblem(value: Record<string, unknown>): string | null {
  if (typeof value.ts !== "string") return `"ts" is ${shown(value.ts)}, not a time`;
  const rules = RULE_LISTS.get(String(value.type));
  if (rules === undefined) return `unknown type ${shown(value.type)}`;
  for (let i = 0; i < rules.length; i++) {
    const [field, rule] = rules[i]!;
    if (value[field] === undefined && !Object.hasOwn(value, field)) {
      if (rule.required) return `"${field}" is missing`;
      continue;
    }
    if (!rule.test(value[field])) return `"${field}" is ${shown(value[field])}, not ${rule.want}`;
  }
  return null;
}

/**
 * Why an intent could act outside the destination: its `path`, the `from` of
 * a move, or the `version` it would move the old file to (relative to
 * `.backup/versions/`); null when all are safe relative paths.
 */
export function intentUnsafeReason(intent: IntentPaths): string | null {
  const path = unsafeReason(intent.path);
  if (path !== null) return path;
  if (intent.from !== undefined) {
    const from = unsafeReason(intent.from);
    if (from !== null) return `from ${JSON.stringify(intent.from)}: ${from}`;
  }
  if (intent.version !== undefined) {
    const version = unsafeReason(intent.version);
    if (version !== null) return `version ${JSON.stringify(intent.version)}: ${version}`;
  }
  return null;
}
