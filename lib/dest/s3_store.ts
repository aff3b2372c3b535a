/**
 * The {@link ObjectStore} of an `s3://BUCKET/PREFIX` destination, over the
 * AWS SDK (AWS S3, Ceph RGW, MinIO, R2, B2, Wasabi). A large file goes up as
 * a multipart upload to a staging key and is copied into place (S3 has no
 * way to give a finished upload new metadata without a copy).
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import {
  eachLimited,
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
import { isS3Missing, isS3PreconditionFailed, quotedEtag } from "./s3_client.ts";

/**
 * The S3 client, from the environment as the AWS SDK reads it. Path-style
 * addressing when `AWS_ENDPOINT_URL` is set (Ceph RGW, MinIO and most
 * S3-compatible servers want it); retries with backoff (`maxAttempts`) for
 * timeouts, 5xx, throttling and dropped connections.
 */
export function makeS3Client(options: { maxAttempts?: number } = {}): S3Client {
  const endpoint = Deno.env.get("AWS_ENDPOINT_URL") ?? Deno.env.get("AWS_ENDPOINT_URL_S3");
  return new S3Client({
    region: Deno.env.get("AWS_REGION") ?? Deno.env.get("AWS_DEFAULT_REGION") ?? "us-east-1",
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: "standard",
    // A server that hangs (not only one that refuses) must fail the request, to be retried.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  });
}

/** The largest object one CopyObject copies (S3's limit, 5 GiB); a larger one is copied in parts. */
export const COPY_PART_LIMIT = 5 * 1024 ** 3;

/** The smallest part of a multipart upload but the last (S3's limit, 5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** How many UploadPartCopy ranges of one object run at once. */
const COPY_CONCURRENCY = 4;

/** Options of {@link S3Store}. */
export interface S3StoreOptions {
  /**
   * Objects above this many bytes are copied as a multipart upload of UploadPartCopy ranges of
   * this size (default {@link COPY_PART_LIMIT}; at least {@link MIN_PART_BYTES}). Lowered only by
   * tests, through `BACKUP_S3_COPY_PART_LIMIT`.
   */
  copyPartLimit?: number;
}

/**
 * The server's `Date` header of the answer to `command`, read once it is sent (undefined when
 * the answer had none). A PutObject answer has no Last-Modified, and the object's time is at
 * or before that date: the off-site destination keeps it as the time of what it wrote, so that
 * the next listing (ETag and time, in whole seconds) recognises the object without a HEAD
 * (docs/offsite.md, "Listing").
 */
export function answerDate(
  command: { middlewareStack: PutObjectCommand["middlewareStack"] },
): () => Date | undefined {
  let date: Date | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const header = (out.response as { headers?: Record<string, string> }).headers?.["date"];
      const parsed = header === undefined ? NaN : Date.parse(header);
      date = Number.isNaN(parsed) ? undefined : new Date(parsed);
      return out;
    },
    { step: "deserialize", name: "backupAnswerDate" },
  );
  return () => date;
}

/** One bucket through the AWS SDK. */
export class S3Store implements ObjectStore {
  /** Uploads go to a staging key and are copied into place. */
  readonly uploadsInPlace = false;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #copyPartLimit: number;

  /** The store of `bucket`, through `client`. */
  constructor(client: S3Client, bucket: string, options: S3StoreOptions = {}) {
    this.#client = client;
    this.#bucket = bucket;
    this.#copyPartLimit = Math.max(options.copyPartLimit ?? COPY_PART_LIMIT, MIN_PART_BYTES);
  }

  /** Runs one request, mapping a 404 and a 412 onto the store errors. */
  async #send<T>(key: string, work: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await work(this.#client);
    } catch (err) {
      if (isS3PreconditionFailed(err)) throw new PreconditionFailedError(key, { cause: err });
      if (isS3Missing(err)) throw missingKey(key, err);
      throw err;
    }
  }

  async put(
    key: string,
    body: Uint8Array,
    options: { meta?: Record<string, string>; ifNoneMatch?: boolean } = {},
  ): Promise<Written> {
    const command = new PutObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      Body: body,
      ...(options.meta ? { Metadata: options.meta } : {}),
      ...(options.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
    });
    const answered = answerDate(command);
    const res = await this.#send(key, (c) => c.send(command));
    const lastModified = answered();
    return { etag: res.ETag ?? "", ...(lastModified ? { lastModified } : {}) };
  }

  async get(key: string): Promise<ObjectBody> {
    const res = await this.#send(
      key,
      (c) => c.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
    return {
      body: res.Body!.transformToWebStream() as ReadableStream<Uint8Array>,
      meta: res.Metadata ?? {},
      ...(res.LastModified ? { lastModified: res.LastModified } : {}),
    };
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const res = await this.#send(
      key,
      (c) => c.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
    return await res.Body!.transformToByteArray();
  }

  head(key: string): Promise<ObjectInfo | null> {
    return headOrNull(
      key,
      () =>
        this.#send(key, (c) => c.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }))),
      (res) => ({
        etag: res.ETag ?? "",
        size: res.ContentLength ?? 0,
        meta: res.Metadata ?? {},
        ...(res.LastModified ? { lastModified: res.LastModified } : {}),
      }),
    );
  }

  async list(prefix: string, options: { shallow?: boolean; max?: number } = {}): Promise<Listing> {
    const out: Listing = { objects: [], prefixes: [] };
    let token: string | undefined;
    do {
      const res = await this.#send(prefix, (c) =>
        c.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ...(options.shallow ? { Delimiter: "/" } : {}),
            ...(options.max !== undefined ? { MaxKeys: options.max } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ));
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.objects.push({
          key: o.Key,
          etag: o.ETag ?? "",
          size: o.Size ?? 0,
          ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        });
      }
      for (const p of res.CommonPrefixes ?? []) if (p.Prefix) out.prefixes.push(p.Prefix);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
      if (options.max !== undefined && out.objects.length >= options.max) break;
    } while (token);
    return out;
  }

  /** The `CopySource` of `key`. */
  #source(key: string): string {
    return `${this.#bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  /**
   * One CopyObject; an object above the copy limit (its size given, or asked by HEAD) as a
   * multipart upload of UploadPartCopy ranges instead ({@link S3StoreOptions.copyPartLimit}).
   */
  async copy(
    fromKey: string,
    toKey: string,
    meta?: Record<string, string>,
    size?: number,
  ): Promise<Written> {
    const bytes = size ?? (await this.head(fromKey))?.size;
    if (bytes !== undefined && bytes > this.#copyPartLimit) {
      return await this.#copyInParts(fromKey, toKey, bytes, meta);
    }
    const res = await this.#send(fromKey, (c) =>
      c.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: toKey,
          CopySource: this.#source(fromKey),
          ...(meta ? { Metadata: meta, MetadataDirective: "REPLACE" } : {}),
        }),
      ));
    const lastModified = res.CopyObjectResult?.LastModified;
    // Ceph's RGW gives the copy's ETag without the quotes its listings and HEADs have: quoted
    // here, so that the next listing knows the copy without a HEAD.
    const etag = quotedEtag(res.CopyObjectResult?.ETag ?? "");
    return { etag, ...(lastModified ? { lastModified } : {}) };
  }

  /**
   * A copy of an object of `size` bytes as a multipart upload to `toKey` (with `meta`, else the
   * source's metadata) of UploadPartCopy ranges: server-side, invisible until completed, aborted
   * on failure (a crash leaves it to the abandoned-upload sweep at the next start).
   */
  async #copyInParts(
    fromKey: string,
    toKey: string,
    size: number,
    meta?: Record<string, string>,
  ): Promise<Written> {
    const metadata = meta ?? (await this.head(fromKey))?.meta;
    if (metadata === undefined) throw missingKey(fromKey);
    const begun = await this.#send(toKey, (c) =>
      c.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: toKey, Metadata: metadata }),
      ));
    const id = begun.UploadId!;
    try {
      const ranges: { n: number; first: number; last: number }[] = [];
      for (let at = 0; at < size; at += this.#copyPartLimit) {
        const last = Math.min(at + this.#copyPartLimit, size) - 1;
        ranges.push({ n: ranges.length + 1, first: at, last });
      }
      const etags: string[] = [];
      await eachLimited(ranges, COPY_CONCURRENCY, async ({ n, first, last }) => {
        const res = await this.#send(fromKey, (c) =>
          c.send(
            new UploadPartCopyCommand({
              Bucket: this.#bucket,
              Key: toKey,
              UploadId: id,
              PartNumber: n,
              CopySource: this.#source(fromKey),
              CopySourceRange: `bytes=${first}-${last}`,
            }),
          ));
        etags[n - 1] = res.CopyPartResult?.ETag ?? "";
      });
      return await this.completeUpload(toKey, id, etags, metadata);
    } catch (err) {
      await this.abortUpload(toKey, id).catch(() => {});
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#send(
      key,
      (c) => c.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    )
      .catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
  }

  async beginUpload(key: string): Promise<string> {
    const res = await this.#send(
      key,
      (c) => c.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key })),
    );
    return res.UploadId!;
  }

  async uploadPart(key: string, id: string, n: number, body: Uint8Array): Promise<string> {
    const res = await this.#send(key, (c) =>
      c.send(
        new UploadPartCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: id,
          PartNumber: n,
          Body: body,
        }),
      ));
    return res.ETag!;
  }

  /** Completes the upload at its staging key; `meta` is given by the copy into place. */
  async completeUpload(
    key: string,
    id: string,
    parts: string[],
    _meta: Record<string, string>,
  ): Promise<Written> {
    const res = await this.#send(key, (c) =>
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: id,
          MultipartUpload: { Parts: parts.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      ));
    return { etag: res.ETag ?? "" };
  }

  async abortUpload(key: string, id: string): Promise<void> {
    await this.#send(
      key,
      (c) =>
        c.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: id })),
    );
  }

  async listUploads(prefix: string): Promise<{ key: string; id: string }[]> {
    const out: { key: string; id: string }[] = [];
    let marker: { key: string; id: string } | undefined;
    do {
      const res = await this.#send(prefix, (c) =>
        c.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: prefix,
            ...(marker ? { KeyMarker: marker.key, UploadIdMarker: marker.id } : {}),
          }),
        ));
      for (const up of res.Uploads ?? []) {
        if (up.Key && up.UploadId) out.push({ key: up.Key, id: up.UploadId });
      }
      marker = res.IsTruncated && res.NextKeyMarker
        ? { key: res.NextKeyMarker, id: res.NextUploadIdMarker ?? "" }
        : undefined;
    } while (marker);
    return out;
  }

  async findUpload(key: string): Promise<FoundUpload | null> {
    const ups = await this.#send(
      key,
      (c) => c.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: key })),
    );
    const newest = (ups.Uploads ?? [])
      .filter((up) => up.Key === key && up.UploadId)
      .sort((a, b) => (b.Initiated?.getTime() ?? 0) - (a.Initiated?.getTime() ?? 0))[0];
    if (newest === undefined) return null;
    const id = newest.UploadId!;
    const parts = new Map<number, UploadedPart>();
    let marker: string | undefined;
    do {
      const res = await this.#send(key, (c) =>
        c.send(
          new ListPartsCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: id,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        ));
      for (const p of res.Parts ?? []) {
        if (p.PartNumber && p.ETag) parts.set(p.PartNumber, { etag: p.ETag, size: p.Size ?? 0 });
      }
      marker = res.IsTruncated ? res.NextPartNumberMarker : undefined;
    } while (marker);
    return { id, parts };
  }

  /** A part's ETag is the MD5 of its bytes (no SSE-KMS/SSE-C; a part that does not match is sent again). */
  keepsPart(_id: string, _n: number, body: Uint8Array, listed: UploadedPart): boolean {
    return listed.size === body.byteLength && listed.etag.replaceAll('"', "") === md5Hex(body);
  }

  close(): void {
    this.#client.destroy();
  }
}
