/**
 * One large file's block (multipart) upload: its bytes cut into parts of a
 * fixed size, {@link PART_CONCURRENCY} parts in flight at once, and resumed
 * after a crash from the parts the store already holds.
 *
 * Resuming needs no record of our own: the upload is found by its key (S3: a
 * staging key derived from the file's path, `PREFIX/.backup-state/staging/up-<sha-256>`;
 * Azure: the file's own key), which the store keeps durable from the moment
 * the upload exists (CreateMultipartUpload; the first staged block). A part
 * the store holds is kept only when it holds exactly the bytes this copy would
 * send (size and MD5: {@link ObjectStore.keepsPart}), so a source that changed
 * since the crash has its changed parts sent again, and parts past its new end
 * are left out of the completion (and dropped by the store with the upload).
 *
 * Bytes are copied once, from the caller's buffer into the part being filled;
 * memory is at most (concurrency + 1) x part size.
 *
 * @module
 */

import type { FoundUpload, ObjectStore, Written } from "./object_store.ts";

/** How many parts of one file go up at once (rclone's and lib-storage's default). */
export const PART_CONCURRENCY = 4;

/** What an upload did, for logs and tests. */
export interface PartStats {
  /** Parts sent. */
  sent: number;
  /** Parts a crashed run had already put in the store, kept. */
  kept: number;
  /** Bytes sent in parts. */
  bytesSent: number;
}

/** The upload of one object in parts. */
export class PartUpload {
  readonly #store: ObjectStore;
  readonly #key: string;
  readonly #partBytes: number;
  readonly #concurrency: number;
  readonly #onStart: (key: string, id: string) => void;
  #started: Promise<FoundUpload> | null = null;
  #part: Uint8Array | null = null;
  #filled = 0;
  #next = 1;
  #written = 0;
  readonly #etags: string[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { err: unknown } | null = null;
  /** What was sent and kept. */
  readonly stats: PartStats = { sent: 0, kept: 0, bytesSent: 0 };

  /**
   * An upload to `key` in parts of `partBytes`; `onStart` is told the upload's key and id once
   * it is found or begun (the destination keeps such uploads from the abandoned-upload sweep).
   */
  constructor(
    store: ObjectStore,
    key: string,
    options: {
      partBytes: number;
      concurrency?: number;
      onStart?: (key: string, id: string) => void;
    },
  ) {
    this.#store = store;
    this.#key = key;
    this.#partBytes = options.partBytes;
    this.#concurrency = options.concurrency ?? PART_CONCURRENCY;
    this.#onStart = options.onStart ?? (() => {});
  }

  /** The bytes written so far (the object's size once completed). */
  get bytes(): number {
    return this.#written;
  }

  /** The key the parts go to. */
  get key(): string {
    return this.#key;
  }

  /** Appends bytes (copied: the caller may reuse `data`); full parts go up as they fill. */
  async write(data: Uint8Array): Promise<void> {
    this.#written += data.byteLength;
    let at = 0;
    while (at < data.byteLength) {
      this.#part ??= new Uint8Array(this.#partBytes);
      const n = Math.min(this.#partBytes - this.#filled, data.byteLength - at);
      this.#part.set(data.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#partBytes) await this.#dispatch();
    }
  }

  /** The upload found (to resume) or begun, once. */
  #start(): Promise<FoundUpload> {
    this.#started ??= (async () => {
      const found = await this.#store.findUpload(this.#key);
      const up = found ?? { id: await this.#store.beginUpload(this.#key), parts: new Map() };
      this.#onStart(this.#key, up.id);
      return up;
    })();
    return this.#started;
  }

  /** Hands the filled part to an upload, waiting first while the most are in flight. */
  async #dispatch(): Promise<void> {
    while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const body = (this.#part ?? new Uint8Array(0)).subarray(0, this.#filled);
    const n = this.#next++;
    this.#part = null;
    this.#filled = 0;
    const job: Promise<void> = this.#send(n, body)
      .catch((err) => {
        this.#failure ??= { err };
      })
      .finally(() => this.#inFlight.delete(job));
    this.#inFlight.add(job);
  }

  /** Sends part `n`, unless the store already holds exactly these bytes as part `n`. */
  async #send(n: number, body: Uint8Array): Promise<void> {
    const up = await this.#start();
    const listed = up.parts.get(n);
    if (listed !== undefined && this.#store.keepsPart(up.id, n, body, listed)) {
      this.#etags[n - 1] = listed.etag;
      this.stats.kept++;
      return;
    }
    this.#etags[n - 1] = await this.#store.uploadPart(this.#key, up.id, n, body);
    this.stats.sent++;
    this.stats.bytesSent += body.byteLength;
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure.err;
  }

  /** Waits for every part in flight. */
  async #settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /** Sends the last part, waits for all, and completes the upload with `meta`. */
  async complete(meta: Record<string, string>): Promise<Written> {
    if (this.#filled > 0 || this.#next === 1) await this.#dispatch();
    await this.#settle();
    this.#throwIfFailed();
    const up = await this.#start();
    return await this.#store.completeUpload(this.#key, up.id, this.#etags, meta);
  }

  /** Abandons the upload (after the parts in flight settle); a failure to abort is no error. */
  async abort(): Promise<void> {
    this.#part = null;
    await this.#settle();
    const started = this.#started;
    if (started === null) return;
    try {
      const up = await started;
      await this.#store.abortUpload(this.#key, up.id);
    } catch { /* an upload left behind is swept at a later start */ }
  }
}
