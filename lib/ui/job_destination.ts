/**
 * The {@link Destination} of a dashboard's job, for the versions page and
 * downloads: a local folder is opened per request (and closed), a bucket is
 * opened once through the remote opening code of the commands
 * (`openRemote`, lib/cli/remote.ts) and kept until the dashboard stops.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination } from "../dest/destination.ts";
import { LocalDestination } from "../dest/local.ts";
import { closeRemote, openRemote, type Remote } from "../cli/remote.ts";
import type { UiJob } from "./jobs.ts";

/** An opened destination; `release` when done with it. */
export interface HeldDestination {
  /** The destination. */
  destination: Destination;
  /** Lets it go (closes a local one; a bucket stays open for the next request). */
  release(): void;
}

/** Opens a remote destination that holds a backup. */
export type OpenRemote = (fs: FileSystem, url: string) => Promise<Remote>;

const openBackup: OpenRemote = (fs, url) =>
  openRemote(fs, url, { adopt: true, mustBeBackup: true });

/** The destinations of a dashboard's jobs. */
export class JobDestinations {
  readonly #fs: FileSystem;
  readonly #open: OpenRemote;
  readonly #remotes = new Map<string, Promise<Remote>>();

  /** `open` opens a bucket (default: `openRemote`, refusing a prefix that holds no backup). */
  constructor(fs: FileSystem, open: OpenRemote = openBackup) {
    this.#fs = fs;
    this.#open = open;
  }

  /**
   * The destination of `job`.
   *
   * @throws RootError when the bucket cannot be used (then it is tried again next time).
   */
  async hold(job: UiJob): Promise<HeldDestination> {
    if (!job.remote) {
      const local = new LocalDestination(this.#fs, job.dest);
      return { destination: local, release: () => local.close() };
    }
    const url = job.remote.url;
    let opening = this.#remotes.get(url);
    if (!opening) {
      opening = this.#open(this.#fs, url);
      this.#remotes.set(url, opening);
      opening.catch(() => this.#remotes.delete(url));
    }
    const remote = await opening;
    return { destination: remote.destination, release: () => {} };
  }

  /** Closes the buckets opened. */
  async close(): Promise<void> {
    const opened = [...this.#remotes.values()];
    this.#remotes.clear();
    for (const opening of opened) {
      try {
        closeRemote(await opening);
      } catch { /* it never opened */ }
    }
  }
}
