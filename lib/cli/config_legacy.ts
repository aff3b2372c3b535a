/**
 * The checksum script's config file (`backup_config.json`), read as it is:
 *
 * ```json
 * { "run_enabled": "Y", "source_dirs": ["/a", "/b"], "dest_dirs": ["/x/a", "/x/b"],
 *   "log_file": "backup.log", "error_log_file": "errors.log", "sleep_time": 30 }
 * ```
 *
 * The two lists are zipped in order into jobs, `sleep_time` is the interval, `log_file` the
 * shared log and `error_log_file` the errors-only log; `run_enabled` other than "Y" switches
 * every job off; `.stfolder` (Syncthing's marker) is left out, as the script did. The result is
 * a jobs file's object, which `config.ts` then checks like any other, with each problem pointed
 * back at the old key and its line.
 *
 * @module
 */

import { absolute } from "../base/paths.ts";

/** The keys of the checksum script's file. */
export const LEGACY_KEYS = [
  "run_enabled",
  "source_dirs",
  "dest_dirs",
  "log_file",
  "error_log_file",
  "sleep_time",
];

/** What the script left out of every folder: Syncthing's folder marker. */
export const LEGACY_EXCLUDE = ".stfolder";

/** A location in a JSON file: keys and list indexes. */
export type Location = (string | number)[];

/** An old file read as a jobs file. */
export interface LegacyConversion {
  /** The jobs file's object (`log`, `defaults`, `jobs`), with absolute paths. */
  config: {
    log?: { file?: string; errorFile?: string };
    defaults: { interval?: unknown; exclude: string[] };
    jobs: { name: string; source: unknown; destination: unknown; enabled: boolean }[];
  };
  /** What each old key became, one line each, for `config check`. */
  notes: string[];
  /** False when `run_enabled` switches every job off. */
  enabled: boolean;
}

/** True for an object in the script's format: one of its keys, and no `jobs`. */
export function isLegacyConfig(root: Record<string, unknown>): boolean {
  return !("jobs" in root) && Object.keys(root).some((k) => LEGACY_KEYS.includes(k));
}

/**
 * Where a problem found in the converted object is in the old file: a job's keys are its
 * `source_dirs` entry (its destination the `dest_dirs` entry), the interval is `sleep_time`,
 * the logs are `log_file` and `error_log_file`.
 */
export function legacyOrigin(where: Location): Location {
  const [top, index, key] = where;
  if (top === "jobs" && typeof index === "number") {
    return [key === "destination" ? "dest_dirs" : "source_dirs", index];
  }
  if (top === "defaults") return index === "interval" ? ["sleep_time"] : [];
  if (top === "log") return [index === "errorFile" ? "error_log_file" : "log_file"];
  return [];
}

/** A problem message of the jobs format in the old file's words. */
export function legacyWords(message: string): string {
  return message
    .replaceAll('"source"', '"source_dirs" entry')
    .replaceAll('"destination"', '"dest_dirs" entry')
    .replaceAll('"interval"', '"sleep_time"')
    .replaceAll('log: "file"', '"log_file"')
    .replaceAll('log: "errorFile"', '"error_log_file"')
    .replaceAll('"errorFile"', '"error_log_file"')
    .replaceAll('"file"', '"log_file"');
}

/** A job name from a source folder's last part: `/home/ana/My Docs` gives `My-Docs`. */
function nameOf(source: string, taken: Set<string>): string {
  const last = source.replace(/\/+$/, "").split("/").pop() ?? "";
  const base =
    last.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+|[._-]+$/g, "").slice(0, 56) ||
    "folder";
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Reads the script's object as a jobs file. `report` gets each problem of the old keys
 * themselves (an unknown key, a wrong type, lists of different lengths), at its location.
 * Relative paths are relative to `base`, the old file's folder.
 */
export function convertLegacy(
  root: Record<string, unknown>,
  base: string,
  report: (where: Location, message: string) => void,
): LegacyConversion {
  const notes: string[] = [];
  for (const key of Object.keys(root)) {
    if (!LEGACY_KEYS.includes(key)) {
      report(
        [key],
        `unknown key "${key}" in a file of the checksum script's format (its keys: ${
          LEGACY_KEYS.join(", ")
        }); move it to a jobs file: see \`backup config convert\``,
      );
    }
  }
  const list = (key: string): unknown[] => {
    const v = root[key];
    if (v === undefined) {
      report(
        [],
        `"${key}" is missing: the checksum script's file needs "source_dirs" and "dest_dirs"`,
      );
      return [];
    }
    if (!Array.isArray(v)) {
      report([key], `"${key}" must be a list of folders, not ${describe(v)}`);
      return [];
    }
    v.forEach((item, i) => {
      if (typeof item !== "string" || item === "") {
        report([key, i], `"${key}"[${i}] must be a folder's path, not ${describe(item)}`);
      } else if (item.startsWith("~")) {
        report(
          [key, i],
          `"${key}"[${i}] starts with "~", which is not expanded here; write the full path`,
        );
      }
    });
    return v;
  };
  const sources = list("source_dirs");
  const dests = list("dest_dirs");
  if (
    sources.length !== dests.length && Array.isArray(root.source_dirs) &&
    Array.isArray(root.dest_dirs)
  ) {
    report(
      ["dest_dirs"],
      `"source_dirs" has ${sources.length} folder(s) but "dest_dirs" has ${dests.length}; ` +
        `they are paired in order (the first source into the first destination, ...), ` +
        `so give both lists the same length`,
    );
  }
  const path = (v: unknown) => typeof v === "string" && !v.startsWith("~") ? absolute(v, base) : v;

  let enabled = true;
  const run = root.run_enabled;
  if (run === undefined) notes.push(`"run_enabled" is absent: every job is enabled`);
  else {
    enabled = run === true || (typeof run === "string" && run.trim().toUpperCase() === "Y");
    notes.push(
      `"run_enabled" ${JSON.stringify(run)}: ${
        enabled
          ? "every job is enabled"
          : 'every job is switched off ("enabled": false), as the script did nothing unless it was "Y"'
      }`,
    );
  }

  const taken = new Set<string>();
  const jobs: LegacyConversion["config"]["jobs"] = [];
  for (let i = 0; i < Math.min(sources.length, dests.length); i++) {
    const source = path(sources[i]);
    const destination = path(dests[i]);
    const name = nameOf(typeof source === "string" ? source : "", taken);
    jobs.push({ name, source, destination, enabled });
    notes.push(
      `"source_dirs"[${i}] and "dest_dirs"[${i}]: job "${name}": ${String(source)} -> ${
        String(destination)
      }`,
    );
  }

  const defaults: LegacyConversion["config"]["defaults"] = { exclude: [LEGACY_EXCLUDE] };
  const sleep = root.sleep_time;
  if (sleep !== undefined) {
    // The script read it as a number of seconds; a number written as a string is taken too.
    const seconds = typeof sleep === "string" && /^\s*\d*\.?\d+\s*$/.test(sleep)
      ? Number(sleep)
      : sleep;
    if (typeof seconds !== "number" || !(seconds > 0)) {
      report(
        ["sleep_time"],
        `"sleep_time" must be a number of seconds above 0, not ${describe(sleep)}`,
      );
    } else {
      defaults.interval = seconds;
      notes.push(
        `"sleep_time" ${JSON.stringify(sleep)}: a full pass every ${seconds} s ("interval")`,
      );
    }
  } else notes.push(`"sleep_time" is absent: a full pass every 60 s (the default "interval")`);
  notes.push(
    `"${LEGACY_EXCLUDE}" is left out of every job, as the script did ("exclude": ["${LEGACY_EXCLUDE}"])`,
  );

  const log: NonNullable<LegacyConversion["config"]["log"]> = {};
  for (
    const [key, to, what] of [
      [
        "log_file",
        "file",
        'the shared log ("log.file"), beside each job\'s own DEST/.backup/backup.log',
      ],
      [
        "error_log_file",
        "errorFile",
        'the errors-only log ("log.errorFile"): warnings and errors only',
      ],
    ] as const
  ) {
    const v = root[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") {
      report([key], `"${key}" must be a file's path, not ${describe(v)}`);
      continue;
    }
    if (v.startsWith("~")) {
      report([key], `"${key}" starts with "~", which is not expanded here; write the full path`);
      continue;
    }
    log[to] = absolute(v, base);
    notes.push(`"${key}" ${JSON.stringify(v)}: ${what}`);
  }
  return {
    config: { ...(Object.keys(log).length > 0 ? { log } : {}), defaults, jobs },
    notes,
    enabled,
  };
}
