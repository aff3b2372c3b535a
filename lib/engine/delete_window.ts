/**
 * The mass-delete guard's window: the deletions the daemon made lately, so
 * that a mass delete cannot be sliced into passes that each stay under the
 * limits (`rm -rf` of one folder at a time, a watcher pass per folder).
 *
 * A pass is judged on its own deletions plus those of the window: every entry
 * deleted in the last {@link DELETE_WINDOW_MS} whose path the backup does not
 * hold again (a folder deleted and rebuilt, `make clean && make`, is not a
 * loss), against the backup's size when the window began (or now, if it has
 * grown since). Entries the backup took in while the window was open (created
 * after its first deletion) do not count when they are deleted again: that is
 * churn (a build's temp files, a download and its partial file), and they were
 * not part of the size the window is judged against. A confirmation
 * (`backup confirm`, `--confirm-deletes`) empties the window.
 *
 * @module
 */

/** How long a deletion counts against the mass-delete guard: one hour. */
export const DELETE_WINDOW_MS = 60 * 60_000;

/** The deletions of one pass. */
interface DeletingPass {
  /** When the pass started (ms). */
  at: number;
  /** Entries the backup held before the pass. */
  trackedBefore: number;
  /** What it deleted (paths the backup does not hold again yet). */
  paths: string[];
}

/** What the window holds at a given time. */
export interface WindowView {
  /** Deletions of the window whose path the backup does not hold again. */
  deleted: number;
  /** The backup's size at the window's start, or now if larger. */
  baseline: number;
}

/** The deletions of the last {@link DELETE_WINDOW_MS}, kept by the reconciler from pass to pass. */
export class DeleteWindow {
  #passes: DeletingPass[] = [];
  /** Paths created while the window held deletions (see the module notes). */
  #young = new Set<string>();
  readonly #spanMs: number;

  /** An empty window spanning `spanMs` (default {@link DELETE_WINDOW_MS}). */
  constructor(spanMs: number = DELETE_WINDOW_MS) {
    this.#spanMs = spanMs;
  }

  /**
   * The window at `now`, for a backup of `tracked` entries; `holds` says whether the backup holds
   * a path again (those stop counting, and are forgotten).
   */
  view(now: number, tracked: number, holds: (path: string) => boolean): WindowView {
    this.#passes = this.#passes.filter((pass) => now - pass.at <= this.#spanMs);
    if (this.#passes.length === 0) this.#young.clear();
    let deleted = 0;
    for (const pass of this.#passes) {
      pass.paths = pass.paths.filter((path) => !holds(path));
      deleted += pass.paths.length;
    }
    this.#passes = this.#passes.filter((pass) => pass.paths.length > 0);
    const start = this.#passes[0]?.trackedBefore ?? tracked;
    return { deleted, baseline: Math.max(start, tracked) };
  }

  /** Adds the deletions of a pass that started at `at` with `trackedBefore` entries. */
  record(at: number, trackedBefore: number, paths: readonly string[]): void {
    // A young entry deleted again is forgotten, not counted (Set.delete: true when it was young).
    const lost = paths.filter((path) => !this.#young.delete(path));
    if (lost.length > 0) this.#passes.push({ at, trackedBefore, paths: lost });
  }

  /** Notes the entries a pass created; kept only while the window holds deletions. */
  created(paths: readonly string[]): void {
    if (this.#passes.length === 0) return;
    for (const path of paths) this.#young.add(path);
  }

  /** Empties the window (the operator confirmed). */
  clear(): void {
    this.#passes = [];
    this.#young.clear();
  }
}
