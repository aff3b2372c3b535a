/**
 * Every name the backup reserves, defined once: the destination's `.backup`
 * folder and what lives in it, and the names it writes next to user files.
 *
 * ```
 * DEST/
 *   .backup-state/                RESERVED_DIR, 0700, never mirrored (a destination made
 *                                 before it was renamed keeps `.backup/`: reservedName())
 *     lock                        LOCK_FILE: flock and owner pid (lib/dest/reserved.ts)
 *     backup.log                  LOG_FILE: default log (rotated as backup.log.1, .2, ...)
 *     status.json                 STATUS_FILE: the last pass, for `backup status`
 *     settings.json               SETTINGS_FILE: what `journal replay` must run with
 *     source.json                 IDENTITY_FILE: the source guard's record of its source
 *     destination.json            DEST_IDENTITY_FILE: the device the backup was made on
 *     verify.json                 VERIFY_FILE: where the rolling verification is (--verify-every)
 *     sweep.json                  SWEEP_FILE: the rolling sweep's round (lib/engine/sweep_round.ts)
 *     journal/                    JOURNAL_DIR
 *       00000001.jsonl ...        segmentName(n)
 *       checkpoint-<seq>.jsonl    checkpointName(seq)
 *     versions/                   VERSIONS_DIR: versioned trash (lib/engine/versions.ts)
 *     staging/                    STAGING_DIR: copies being written, renamed into the mirror
 *       .backup-tmp-<hex>         TEMP_PREFIX: one copy being written (tempName())
 *     <name>.tmp                  TMP_SUFFIX: a file above while it is being replaced
 *   .backup-move-<hex>            PARKING_PREFIX: an entry parked during a swap (parkingName())
 * SRC/
 *   .backup-source                MARKER_NAME: the source guard's marker
 * ```
 *
 * This module imports nothing, so that `lib/base/paths.ts` can take
 * {@link RESERVED_DIR} from it without an import cycle; that is why it joins
 * its paths itself (and looks for a destination's reserved folder with
 * `Deno.lstatSync`).
 *
 * @module
 */

/**
 * Folder at the destination root that holds the journal, log, lock and versions. Never
 * mirrored. A name no user tree is likely to hold, so that a user's own `.backup` folder
 * at the top of a source is backed up like any other.
 */
export const RESERVED_DIR = ".backup-state";

/**
 * The reserved folder's name in destinations made before it was renamed. Such a
 * destination keeps it ({@link reservedName}); while one is in use in this process, a
 * top-level `.backup` is never mirrored nor deleted ({@link isReservedTop}).
 */
export const LEGACY_RESERVED_DIR = ".backup";

/** The reserved folder's name each destination uses, once found (by destination root). */
const detected = new Map<string, string>();

/** True once a destination with a {@link LEGACY_RESERVED_DIR} folder was found. */
let legacyInUse = false;

/** True when `path` exists (anything, a symlink too; never followed). */
function present(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The name of the reserved folder of destination root `dest`: {@link RESERVED_DIR}, or
 * {@link LEGACY_RESERVED_DIR} for a destination made before the rename (a `.backup`
 * folder holding a journal, lock or source record, and no {@link RESERVED_DIR}). What
 * is found is kept for the life of the process, so a reserved folder that vanishes
 * does not switch names under a running daemon.
 */
export function reservedName(dest: string): string {
  const known = detected.get(dest);
  if (known !== undefined) return known;
  let found: string | null = null;
  if (present(under(dest, RESERVED_DIR))) found = RESERVED_DIR;
  else {
    const legacy = under(dest, LEGACY_RESERVED_DIR);
    let isDir = false;
    try {
      isDir = Deno.lstatSync(legacy).isDirectory;
    } catch { /* missing or unreadable: not a backup's */ }
    if (
      isDir && [JOURNAL_DIR, LOCK_FILE, IDENTITY_FILE].some((n) => present(under(legacy, n)))
    ) {
      found = LEGACY_RESERVED_DIR;
    }
  }
  if (found === null) return RESERVED_DIR; // a new destination: not kept, it is made next
  detected.set(dest, found);
  if (found === LEGACY_RESERVED_DIR) legacyInUse = true;
  return found;
}

/**
 * True for a name at the top of a tree that is never mirrored: {@link RESERVED_DIR},
 * and `.backup` while a destination that still uses it is in use in this process.
 */
export function isReservedTop(name: string): boolean {
  return name === RESERVED_DIR || (legacyInUse && name === LEGACY_RESERVED_DIR);
}

/** File name of the lock inside the reserved folder. */
export const LOCK_FILE = "lock";

/** Default log file name inside the reserved folder. */
export const LOG_FILE = "backup.log";

/** File name of the status file inside the reserved folder. */
export const STATUS_FILE = "status.json";

/** Name of the settings file in the reserved folder. */
export const SETTINGS_FILE = "settings.json";

/** Name of the source guard's identity file in the reserved folder. */
export const IDENTITY_FILE = "source.json";

/** Name of the destination guard's record (lib/engine/dest_guard.ts) in the reserved folder. */
export const DEST_IDENTITY_FILE = "destination.json";
/** Name of the rolling verification's progress file (`--verify-every`) in the reserved folder. */
export const VERIFY_FILE = "verify.json";
/** Name of the destination's rolling sweep's round counter (lib/engine/sweep_round.ts). */
export const SWEEP_FILE = "sweep.json";

/** Name of the journal folder inside the reserved folder. */
export const JOURNAL_DIR = "journal";

/**
 * Name of the staging folder inside the reserved folder: every copy and
 * symlink is written there under a temp name, then renamed into the mirror.
 * What it holds is the backup's own; a user's file named like a temp file
 * lives in the mirror like any other.
 */
export const STAGING_DIR = "staging";

/** Name of the versions folder inside the reserved folder. */
export const VERSIONS_DIR = "versions";

/**
 * Suffix of a file of the reserved folder while it is being written, before it
 * is renamed over its real name (`status.json.tmp`, `checkpoint-<seq>.jsonl.tmp`).
 */
export const TMP_SUFFIX = ".tmp";

/** Marker file the source guard writes into the source root; never mirrored (see lib/engine/source_guard.ts). */
export const MARKER_NAME = ".backup-source";

/** Prefix of the temporary files the backup writes into its staging folder ({@link STAGING_DIR}). */
export const TEMP_PREFIX = ".backup-tmp-";

/** Prefix of the names used to break a cycle of renames (a swap). Not a temp file: it holds data. */
export const PARKING_PREFIX = ".backup-move-";

/** Hex digits after {@link TEMP_PREFIX} and {@link PARKING_PREFIX}. */
const RANDOM_HEX_DIGITS = 16;

const HEX_RE = new RegExp(`^[0-9a-f]{${RANDOM_HEX_DIGITS}}$`);

const SEGMENT_RE = /^(\d{8})\.jsonl$/;

const CHECKPOINT_RE = /^checkpoint-(\d+)\.jsonl$/;

/** `parent/name`, for an absolute `parent` (`/` included). */
function under(parent: string, name: string): string {
  return parent.endsWith("/") ? parent + name : `${parent}/${name}`;
}

/** Random words for {@link randomHex}, refilled once used up (one call to the generator per 64 names). */
const randomWords = new Uint32Array(128);
let randomAt = randomWords.length;

function randomHex(): string {
  if (randomAt === randomWords.length) {
    crypto.getRandomValues(randomWords);
    randomAt = 0;
  }
  const high = randomWords[randomAt++]!.toString(16).padStart(8, "0");
  return high + randomWords[randomAt++]!.toString(16).padStart(8, "0");
}

/** Absolute path of the reserved folder of a destination root. */
export function reservedDir(dest: string): string {
  return under(dest, reservedName(dest));
}

/** Absolute path of the journal folder of a destination root. */
export function journalDir(dest: string): string {
  return under(reservedDir(dest), JOURNAL_DIR);
}

/** File name of journal segment number `n` (1-based). */
export function segmentName(n: number): string {
  return `${String(n).padStart(8, "0")}.jsonl`;
}

/** Segment number of a file name, or `null` when it is not a segment. */
export function segmentNumber(name: string): number | null {
  const match = SEGMENT_RE.exec(name);
  return match ? Number(match[1]) : null;
}

/** File name of the checkpoint taken at `seq`. */
export function checkpointName(seq: number): string {
  return `checkpoint-${String(seq).padStart(12, "0")}.jsonl`;
}

/** The seq of a checkpoint file name, or `null` when the name is not a checkpoint. */
export function checkpointSeq(name: string): number | null {
  const match = CHECKPOINT_RE.exec(name);
  return match ? Number(match[1]) : null;
}

/** A fresh temp file name ({@link TEMP_PREFIX} and 16 random hex digits). */
export function tempName(): string {
  return TEMP_PREFIX + randomHex();
}

/**
 * True for a name shaped like the backup's temp files (see {@link tempName}).
 * Only the staging folder's names are the backup's own: elsewhere such a name
 * is a user's file.
 */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && HEX_RE.test(name.slice(TEMP_PREFIX.length));
}

/** A fresh name at the destination root for parking an entry during a swap. */
export function parkingName(): string {
  return PARKING_PREFIX + randomHex();
}
