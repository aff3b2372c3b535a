/**
 * Transitional: the journal's names and folders are defined in
 * `lib/base/layout.ts`. These re-exports keep `lib/engine/reconciler.ts`,
 * `lib/cli/dry_run.ts` and `lib/cli/journal_replay.ts` compiling while they are
 * rewritten elsewhere; remove this file once they import from the layout.
 *
 * @module
 */

export { journalDir, reservedDir } from "../base/layout.ts";
