/**
 * `backup ui` for a backup in a bucket: its journal is read from the bucket
 * (the truth; `readRemote` of lib/cli/remote.ts, as `backup restore` and
 * `journal show --dest s3://...` read it) into a private folder, which the
 * pages then read as they read a local backup's. While a page is open it is
 * read again every {@link REFRESH_MS}, into a fresh folder that replaces the
 * old one only when the journal changed (so a page never reads a half-pulled
 * journal).
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { join } from "../base/paths.ts";
import { closeRemote, readRemote, type RemoteReading } from "../cli/remote.ts";
import type { UiJob } from "./jobs.ts";

/** How often the journal of a bucket is read again while a page is open. */
export const REFRESH_MS = 5_000;

/** Reads a remote backup's journal into a private folder. */
export type ReadRemote = (fs: FileSystem, url: string) => Promise<RemoteReading>;

/** The pulled journals of the read-only dashboard's jobs in buckets. */
export class RemoteJournals {
  readonly #fs: FileSystem;
  readonly #read: ReadRemote;
  readonly #readings = new Map<UiJob, { reading: RemoteReading; at: number; sig: string }>();
  #refreshing: Promise<boolean> | null = null;

  /** `read` reads a journal (default: `readRemote`). */
  constructor(fs: FileSystem, read: ReadRemote = (fs, url) => readRemote(fs, url)) {
    this.#fs = fs;
    this.#read = read;
  }

  /**
   * Reads the journal of every job in a bucket and points the job's `dest` at it.
   *
   * @throws UsageError, RootError (a bucket that cannot be used or holds no backup)
   */
  async open(jobs: UiJob[]): Promise<void> {
    for (const job of jobs) {
      if (!job.remote) continue;
      const reading = await this.#read(this.#fs, job.remote.url);
      this.#readings.set(job, { reading, at: Date.now(), sig: this.#signature(reading) });
      job.dest = reading.place;
    }
  }

  /**
   * Reads again the journals read more than `everyMs` ago (one refresh at a
   * time); resolves true when one of them changed. Never rejects: a bucket
   * that does not answer keeps the journal read last.
   */
  refresh(everyMs = REFRESH_MS): Promise<boolean> {
    this.#refreshing ??= this.#refreshAll(everyMs).finally(() => this.#refreshing = null);
    return this.#refreshing;
  }

  async #refreshAll(everyMs: number): Promise<boolean> {
    let changed = false;
    for (const [job, old] of this.#readings) {
      if (Date.now() - old.at < everyMs || !job.remote) continue;
      let reading: RemoteReading;
      try {
        reading = await this.#read(this.#fs, job.remote.url);
      } catch {
        old.at = Date.now(); // tried: the next attempt after another interval
        continue;
      }
      let sig: string;
      try {
        sig = this.#signature(reading);
      } catch {
        this.#drop(reading); // the fresh copy cannot be looked at: keep the last one
        old.at = Date.now();
        continue;
      }
      if (sig === old.sig) {
        this.#drop(reading);
        old.at = Date.now();
        continue;
      }
      this.#readings.set(job, { reading, at: Date.now(), sig });
      job.dest = reading.place;
      this.#drop(old.reading);
      changed = true;
    }
    return changed;
  }

  /** The names and sizes of a pulled journal's files: what changes when the journal does. */
  #signature(reading: RemoteReading): string {
    const dir = journalDir(reading.place);
    return this.#fs.readDir(dir).sort().map((name) =>
      `${name}:${this.#fs.lstat(join(dir, name)).size}`
    ).join(",");
  }

  #drop(reading: RemoteReading): void {
    reading.cleanup();
    try {
      closeRemote(reading.remote);
    } catch { /* closed */ }
  }

  /** Removes the private folders and closes the buckets. */
  close(): void {
    for (const { reading } of this.#readings.values()) this.#drop(reading);
    this.#readings.clear();
  }
}
