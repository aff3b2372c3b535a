/**
 * The {@link ObjectStore} of an `azure://CONTAINER/PREFIX` destination, over
 * the official SDK `@azure/storage-blob`. Metadata names are spelled with `_`
 * (Azure wants C# identifiers). A large file goes up as staged blocks under
 * its own key (`stageBlock`), invisible until `commitBlockList` makes them
 * the blob, with its metadata, in one step. A copy is `beginCopyFromURL`
 * (server-side, within the account), a copy onto itself a `setMetadata`.
 *
 * @module
 */

import {
  BlobServiceClient,
  type ContainerClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { Readable } from "node:stream";
import {
  type FoundUpload,
  headOrNull,
  type Listing,
  md5Hex,
  missingKey,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  PreconditionFailedError,
  type UploadedPart,
  type Written,
} from "./object_store.ts";
import {
  azureCredentials,
  azureStatus,
  fromAzureMeta,
  isAzureConflict,
  toAzureMeta,
} from "./azure_client.ts";

/**
 * The service client, from the environment (lib/dest/azure_client.ts azureCredentials); retries
 * with exponential backoff (`maxTries`) for timeouts, 5xx, throttling and dropped connections.
 * Null without credentials.
 */
export function makeAzureClient(options: { maxTries?: number } = {}): BlobServiceClient | null {
  const creds = azureCredentials();
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      maxTries: options.maxTries ?? 6,
      retryDelayInMs: 500,
      maxRetryDelayInMs: 15_000,
      // A server that hangs (not only one that refuses) must fail the request, to be retried.
      tryTimeoutInMs: 120_000,
    },
  };
  if (creds.kind === "connection-string") {
    return BlobServiceClient.fromConnectionString(creds.connectionString, pipeline);
  }
  if (creds.kind === "shared-key") {
    const credential = new StorageSharedKeyCredential(creds.account, creds.key);
    return new BlobServiceClient(creds.endpoint, credential, pipeline);
  }
  return null;
}

/**
 * The fixed-length id of block `n` of upload `id` holding bytes of MD5 `md5` (all ids of a blob
 * have one length; 48 bytes before base64, within Azure's 64): a restart that finds the block
 * uncommitted knows what it holds without reading it ({@link AzureStore.keepsPart}).
 */
export function blockId(id: string, n: number, md5: string): string {
  return btoa(`${id}-${String(n).padStart(6, "0")}-${md5}`);
}

/** The upload id and block number of a {@link blockId}, or null for a block id of another form. */
export function parseBlockId(block: string): { id: string; n: number } | null {
  let text: string;
  try {
    text = atob(block);
  } catch {
    return null;
  }
  const m = /^([0-9a-f]{8})-(\d{6})-[0-9a-f]{32}$/.exec(text);
  return m ? { id: m[1]!, n: Number(m[2]) } : null;
}

/** One container through the Azure SDK. */
export class AzureStore implements ObjectStore {
  /** Staged blocks stay invisible until committed: uploads go to the file's own key. */
  readonly uploadsInPlace = true;
  readonly #container: ContainerClient;

  /** The store of `container`. */
  constructor(container: ContainerClient) {
    this.#container = container;
  }

  /** Runs one request, mapping a 404 and a lost conditional create onto the store errors. */
  async #call<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isAzureConflict(err)) throw new PreconditionFailedError(key, { cause: err });
      if (azureStatus(err) === 404) throw missingKey(key, err);
      throw err;
    }
  }

  #blob(key: string) {
    return this.#container.getBlockBlobClient(key);
  }

  async put(
    key: string,
    body: Uint8Array,
    options: { meta?: Record<string, string>; ifNoneMatch?: boolean } = {},
  ): Promise<Written> {
    const res = await this.#call(key, () =>
      this.#blob(key).upload(body, body.byteLength, {
        ...(options.meta ? { metadata: toAzureMeta(options.meta) } : {}),
        ...(options.ifNoneMatch ? { conditions: { ifNoneMatch: "*" } } : {}),
      }));
    return {
      etag: res.etag ?? "",
      ...(res.lastModified ? { lastModified: res.lastModified } : {}),
    };
  }

  async get(key: string): Promise<ObjectBody> {
    const res = await this.#call(key, () => this.#blob(key).download());
    const node = res.readableStreamBody as unknown as Readable;
    return {
      body: Readable.toWeb(node) as unknown as ReadableStream<Uint8Array>,
      meta: fromAzureMeta(res.metadata),
      ...(res.lastModified ? { lastModified: res.lastModified } : {}),
    };
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const { body } = await this.get(key);
    return new Uint8Array(await new Response(body).arrayBuffer());
  }

  head(key: string): Promise<ObjectInfo | null> {
    return headOrNull(key, () => this.#call(key, () => this.#blob(key).getProperties()), (res) => ({
      etag: res.etag ?? "",
      size: res.contentLength ?? 0,
      meta: fromAzureMeta(res.metadata),
      ...(res.lastModified ? { lastModified: res.lastModified } : {}),
    }));
  }

  async list(prefix: string, options: { shallow?: boolean; max?: number } = {}): Promise<Listing> {
    const out: Listing = { objects: [], prefixes: [] };
    const max = options.max ?? Infinity;
    const pages = options.shallow
      ? this.#container.listBlobsByHierarchy("/", { prefix, includeMetadata: true })
      : this.#container.listBlobsFlat({ prefix, includeMetadata: true });
    await this.#call(prefix, async () => {
      for await (const item of pages) {
        if ("kind" in item && item.kind === "prefix") {
          out.prefixes.push(item.name);
          continue;
        }
        const blob = item as Extract<typeof item, { properties: unknown }>;
        out.objects.push({
          key: blob.name,
          etag: blob.properties.etag ?? "",
          size: blob.properties.contentLength ?? 0,
          meta: fromAzureMeta(blob.metadata),
          ...(blob.properties.lastModified ? { lastModified: blob.properties.lastModified } : {}),
        });
        if (out.objects.length >= max) break;
      }
    });
    return out;
  }

  /** Copy Blob has no single-copy limit below the largest blob: no parts, whatever the size. */
  async copy(fromKey: string, toKey: string, meta?: Record<string, string>): Promise<Written> {
    if (fromKey === toKey && meta) {
      const res = await this.#call(
        fromKey,
        () => this.#blob(fromKey).setMetadata(toAzureMeta(meta)),
      );
      return {
        etag: res.etag ?? "",
        ...(res.lastModified ? { lastModified: res.lastModified } : {}),
      };
    }
    const res = await this.#call(fromKey, async () => {
      const poller = await this.#blob(toKey).beginCopyFromURL(this.#blob(fromKey).url, {
        ...(meta ? { metadata: toAzureMeta(meta) } : {}),
        intervalInMs: 200,
      });
      return await poller.pollUntilDone();
    });
    if (res.copyStatus !== undefined && res.copyStatus !== "success") {
      throw new Error(`copy of ${fromKey} to ${toKey} ended ${res.copyStatus}`);
    }
    return {
      etag: res.etag ?? "",
      ...(res.lastModified ? { lastModified: res.lastModified } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    await this.#call(key, () => this.#blob(key).deleteIfExists());
  }

  /** Block uploads need no start: an id that names this upload's blocks. */
  beginUpload(_key: string): Promise<string> {
    return Promise.resolve(crypto.randomUUID().slice(0, 8));
  }

  async uploadPart(key: string, id: string, n: number, body: Uint8Array): Promise<string> {
    const block = blockId(id, n, md5Hex(body));
    await this.#call(key, () => this.#blob(key).stageBlock(block, body, body.byteLength));
    return block;
  }

  /** Commits the blocks as the blob, with its metadata: the blob appears whole, in one step. */
  async completeUpload(
    key: string,
    _id: string,
    parts: string[],
    meta: Record<string, string>,
  ): Promise<Written> {
    const res = await this.#call(
      key,
      () => this.#blob(key).commitBlockList(parts, { metadata: toAzureMeta(meta) }),
    );
    return {
      etag: res.etag ?? "",
      ...(res.lastModified ? { lastModified: res.lastModified } : {}),
    };
  }

  /**
   * Drops the uncommitted blocks of a blob that has no committed version by deleting it (Delete
   * Blob). A committed blob is left alone: its uncommitted blocks are dropped by its next commit,
   * or by Azure after a week; never a committed blob deleted here.
   */
  async abortUpload(key: string, _id: string): Promise<void> {
    if ((await this.head(key)) !== null) return;
    await this.#call(key, () => this.#blob(key).deleteIfExists());
  }

  /**
   * The blobs under `prefix` that have uncommitted blocks and no committed version (a crashed
   * upload of a new file): listed with `includeUncommitedBlobs`, where such a blob shows as empty
   * and without metadata, then confirmed by a HEAD that finds nothing. The id is the one its
   * blocks name.
   */
  async listUploads(prefix: string): Promise<{ key: string; id: string }[]> {
    const candidates: string[] = [];
    await this.#call(prefix, async () => {
      const pages = this.#container.listBlobsFlat({
        prefix,
        includeMetadata: true,
        includeUncommitedBlobs: true,
      });
      for await (const blob of pages) {
        const meta = fromAzureMeta(blob.metadata);
        if ((blob.properties.contentLength ?? 0) === 0 && meta["backup-kind"] === undefined) {
          candidates.push(blob.name);
        }
      }
    });
    const out: { key: string; id: string }[] = [];
    for (const key of candidates) {
      if ((await this.head(key)) !== null) continue;
      const found = await this.findUpload(key);
      out.push({ key, id: found?.id ?? "" });
    }
    return out;
  }

  async findUpload(key: string): Promise<FoundUpload | null> {
    let blocks: { name: string; size: number }[];
    try {
      const list = await this.#call(key, () => this.#blob(key).getBlockList("uncommitted"));
      blocks = list.uncommittedBlocks ?? [];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    const byId = new Map<string, Map<number, UploadedPart>>();
    for (const b of blocks) {
      const parsed = parseBlockId(b.name);
      if (parsed === null) continue;
      const parts = byId.get(parsed.id) ?? new Map<number, UploadedPart>();
      parts.set(parsed.n, { etag: b.name, size: b.size });
      byId.set(parsed.id, parts);
    }
    let best: FoundUpload | null = null;
    for (const [id, parts] of byId) {
      if (best === null || parts.size > best.parts.size) best = { id, parts };
    }
    return best;
  }

  /** The block id names the MD5 of the bytes it was staged with. */
  keepsPart(id: string, n: number, body: Uint8Array, listed: UploadedPart): boolean {
    return listed.size === body.byteLength && listed.etag === blockId(id, n, md5Hex(body));
  }

  /** Nothing to free. */
  close(): void {}
}
