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
  headOrNull,
  type Listing,
  missingKey,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  PreconditionFailedError,
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

/** The fixed-length id of block `n` of upload `id` (all ids of a blob have one length). */
function blockId(id: string, n: number): string {
  return btoa(`${id}-${String(n).padStart(6, "0")}`);
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
    const block = blockId(id, n);
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

  /** Nothing: uncommitted blocks are dropped by the blob's next commit, or after a week. */
  abortUpload(_key: string, _id: string): Promise<void> {
    return Promise.resolve();
  }

  /** None: Azure keeps no list of unfinished block uploads. */
  listUploads(_prefix: string): Promise<{ key: string; id: string }[]> {
    return Promise.resolve([]);
  }

  /** Nothing to free. */
  close(): void {}
}
