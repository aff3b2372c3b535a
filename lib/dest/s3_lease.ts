/**
 * The lock of an `s3://` destination: a lease object `PREFIX/.backup/lock`
 * that one daemon creates with `If-None-Match: *` (so two starts cannot both
 * create it) and renews every {@link RENEW_MS}. A second daemon finds it
 * fresh and is refused (exit 5). A lease not renewed for {@link LEASE_MS}
 * (its holder died, or lost the network) may be taken over; on the machine
 * that wrote it (same cache folder), a lease whose process is gone is taken
 * over at once, so a restart after `kill -9` need not wait.
 *
 * The lease only keeps honest daemons apart; the journal's conditional
 * appends (lib/dest/s3_journal.ts) refuse a second writer even if two
 * leases overlapped (a clock far off, a holder paused longer than the
 * lease).
 *
 * @module
 */

import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { LockedError } from "../base/errors.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import { isPreconditionFailed, isRemoteMissing, type RemoteUrl } from "./s3_client.ts";

/** A lease not renewed for this long may be taken over. */
export const LEASE_MS = 60_000;

/** How often the holder renews its lease. */
export const RENEW_MS = 15_000;

/** What the lease object says. */
export interface LeaseBody {
  /** The holder's machine (the id of its cache folder). */
  machine: string;
  /** The holder's process id. */
  pid: number;
  /** When it was taken, ISO time. */
  since: string;
}

/** A held lease. */
export interface Lease {
  /** Stops renewing and deletes the lease object. */
  release(): Promise<void>;
}

/** The key of the lease. */
export function leaseKey(url: RemoteUrl): string {
  return `${url.prefix}${RESERVED_DIR}/lock`;
}

/** Who we are, and how to tell whether a process of this machine still runs. */
export interface LeaseOwner {
  /** This machine's id. */
  machine: string;
  /** This process. */
  pid: number;
  /** True when process `pid` of this machine is running. */
  alive(pid: number): boolean;
}

/**
 * Takes the lease, renewing it every {@link RENEW_MS} until released.
 *
 * @throws LockedError when another daemon holds a fresh lease.
 */
export async function acquireLease(
  client: S3Client,
  url: RemoteUrl,
  owner: LeaseOwner,
): Promise<Lease> {
  const Key = leaseKey(url);
  const Bucket = url.bucket;
  const mine: LeaseBody = {
    machine: owner.machine,
    pid: owner.pid,
    since: new Date().toISOString(),
  };
  const body = () => JSON.stringify(mine);
  const create = async (): Promise<boolean> => {
    try {
      await client.send(new PutObjectCommand({ Bucket, Key, Body: body(), IfNoneMatch: "*" }));
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  };
  if (!(await create())) {
    let held: LeaseBody | null = null;
    let age = 0;
    try {
      const res = await client.send(new GetObjectCommand({ Bucket, Key }));
      age = Date.now() - (res.LastModified?.getTime() ?? 0);
      held = JSON.parse(await res.Body!.transformToString()) as LeaseBody;
    } catch (err) {
      if (!isRemoteMissing(err) && !(err instanceof SyntaxError)) throw err;
    }
    const stale = held === null || age > LEASE_MS ||
      (held.machine === owner.machine && !owner.alive(held.pid));
    if (!stale || !(await takeOver(client, url, create))) {
      const who = held
        ? `process ${held.pid} of machine ${held.machine}, since ${held.since}`
        : "another backup";
      throw new LockedError(
        `${url.url} is in use by ${who} (lease renewed ${
          Math.round(age / 1000)
        } s ago); stop that backup, or wait ${LEASE_MS / 1000} s after it died`,
      );
    }
  }
  const timer = setInterval(() => {
    client.send(new PutObjectCommand({ Bucket, Key, Body: body() })).catch(() => {});
  }, RENEW_MS);
  Deno.unrefTimer(timer);
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(timer);
      await client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => {});
    },
  };
}

/** Deletes a stale lease and creates ours; false when someone else was quicker. */
async function takeOver(
  client: S3Client,
  url: RemoteUrl,
  create: () => Promise<boolean>,
): Promise<boolean> {
  await client.send(new DeleteObjectCommand({ Bucket: url.bucket, Key: leaseKey(url) }));
  return await create();
}
