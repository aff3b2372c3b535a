/**
 * The mass-delete guard of a pass: which of its deletions wait for an
 * operator. A pass whose deletions, with those of the guard's window (the last
 * hour's, lib/engine/delete_window.ts), are more than the limits allow keeps
 * everything else but deletes none of them, journals a `held` record and says
 * what to type to confirm. A held deletion stays held until confirmed or no
 * longer planned. A full pass first takes a confirmation `backup confirm` left
 * (lib/engine/confirm_request.ts) and lets the deletions it confirms through.
 *
 * @module
 */

import type { Entry } from "../base/scan.ts";
import type { FileOp } from "./pass_plan.ts";
import type { PassOwner } from "./pass_owner.ts";
import { foldRecord } from "../journal/state.ts";
import { DEFAULT_DELETE_LIMITS, guardedDeletes, isMassDelete, withoutHeld } from "./guard.ts";
import { DELETE_WINDOW_MS } from "./delete_window.ts";
import { confirmPath, takeConfirmRequest } from "./confirm_request.ts";

/** What the guard decided for a pass. */
export interface GuardOutcome {
  /** The operations to run (the held deletions, and what needs them, left out). */
  ops: FileOp[];
  /** The deletes the guard judged (see `guardedDeletes`), by path. */
  guarded: Set<string>;
  /** Deletes an operator confirmed in this pass: not counted in the guard's window. */
  confirmed: Set<string>;
  /** Entries the backup held when the pass was planned. */
  trackedBefore: number;
  /** Deletions held. */
  held: number;
}

/** `text` as one shell word: as it is when it is plain, else in single quotes. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Judges the deletions of a pass planned as `ops` against what the destination held (`dest`);
 * `full` for a pass over everything (only those take confirmations and end holds).
 *
 * @throws JournalIoError when the `held` or `confirmed` record cannot be journaled.
 */
export async function guardDeletes(
  owner: PassOwner,
  ops: FileOp[],
  scope: { dest: ReadonlyMap<string, Entry>; full: boolean },
): Promise<GuardOutcome> {
  const { settings, state, writer, memory } = owner;
  const { full } = scope;
  const guarded = guardedDeletes(ops, scope.dest);
  const outcome: GuardOutcome = {
    ops,
    guarded: new Set(guarded.map((op) => op.path)),
    confirmed: new Set(),
    trackedBefore: state.entries.size,
    held: 0,
  };
  if (settings.confirmDeletes) return outcome;
  if (full && guarded.length === 0 && memory.hold !== null) {
    settings.logs.daemon.info("MASS DELETE NO LONGER HELD: the source holds what was held back");
    memory.hold = null;
    memory.heldCount = 0;
  }
  if (full) outcome.confirmed = await takeConfirmation(owner);
  let judged = guarded.filter((op) => !outcome.confirmed.has(op.path));
  if (judged.length === 0) return outcome;
  const limits = settings.deleteLimits ?? DEFAULT_DELETE_LIMITS;
  const now = (settings.now ?? Date.now)();
  const window = memory.window.view(now, state.entries.size, (p) => state.entries.has(p));
  if (!isMassDelete(window.deleted + judged.length, window.baseline, limits)) {
    // A held deletion never leaks out unconfirmed, even once fewer remain than the limits
    // allow (`npm ci` bringing most of a deleted node_modules back): it waits for a
    // confirmation, or for the source to bring it back too.
    const hold = memory.hold;
    judged = hold === null ? [] : judged.filter((op) => hold.paths.has(op.path));
    if (judged.length === 0) return outcome;
  }

  outcome.held = judged.length;
  const sample = judged.slice(0, 10).map((op) => op.path);
  const tracked = window.baseline;
  const records = await writer.append([{ type: "held", count: judged.length, tracked, sample }]);
  for (const record of records) foldRecord(state, record);
  const seq = records[0]!.seq;
  const paths = new Set(judged.map((op) => op.path));
  if (!full && memory.hold) { for (const path of memory.hold.paths) paths.add(path); }
  // Said when a hold begins, and when a full pass finds another number held (a watcher's
  // pass sees only its folders' share).
  const say = memory.hold === null || (full && memory.heldCount !== judged.length);
  memory.hold = { first: memory.hold?.first ?? seq, last: seq, paths };
  if (say) {
    settings.logs.daemon.error(
      "MASS DELETE HELD: this pass would delete {count} of {tracked} entries (e.g. {sample}){before}: more than --max-delete {max} and --max-delete-percent {share}; none of them was deleted, everything else is backed up. If that is what you want, run: {confirm}",
      {
        count: judged.length,
        sample: sample.slice(0, 3).join(", "),
        before: window.deleted > 0
          ? `, after ${window.deleted} deleted in the last ${
            Math.round((settings.deleteWindowMs ?? DELETE_WINDOW_MS) / 60_000)
          } min`
          : "",
        max: limits.maxCount,
        share: Math.round(limits.maxShare * 100),
        tracked,
        confirm: `backup confirm --dest ${shellWord(settings.dest)}`,
      },
    );
    memory.heldCount = judged.length;
  }
  outcome.ops = withoutHeld(ops, judged);
  return outcome;
}

/**
 * Takes the request `backup confirm` left, if any: when it names the hold in force, journals
 * a `confirmed` record, empties the guard's window and returns the paths it lets through.
 * Any other request is removed with a warning (see lib/engine/confirm_request.ts).
 */
async function takeConfirmation(owner: PassOwner): Promise<Set<string>> {
  const { fs, settings, state, writer, memory } = owner;
  const request = takeConfirmRequest(fs, settings.dest);
  if (request === null) return new Set();
  const hold = memory.hold;
  const problem = "problem" in request
    ? request.problem
    : hold === null
    ? "no deletions are held now"
    : request.held < hold.first || request.held > hold.last
    ? `it names the hold of seq ${request.held}, but the deletions held now were held at seq ${hold.first}`
    : null;
  if (problem !== null || hold === null || "problem" in request) {
    settings.logs.daemon.warn("CONFIRMATION IGNORED: {file}: {problem}; nothing deleted", {
      file: confirmPath(settings.dest),
      problem: problem ?? "no deletions are held now",
    });
    return new Set();
  }
  const records = await writer.append([
    { type: "confirmed", ref: request.held, count: hold.paths.size },
  ]);
  for (const record of records) foldRecord(state, record);
  settings.logs.daemon.warn(
    "MASS DELETE CONFIRMED: the {count} held deletions (held at seq {seq}) are applied now",
    { count: hold.paths.size, seq: request.held },
  );
  memory.window.clear();
  memory.hold = null;
  memory.heldCount = 0;
  return hold.paths;
}
