/**
 * The lock of an `s3://` or `azure://` destination: a lease object
 * `PREFIX/.backup-state/lock` that one daemon creates with `If-None-Match: *` (so
 * two starts cannot both create it; S3 answers 412, Azure 409) and renews every {@link RENEW_MS}. A second daemon finds it
 * fresh and is refused (exit 5). A lease not renewed for {@link LEASE_MS}
 * (its holder died, or lost the network) may be taken over; on the machine
 * that wrote it (same cache folder), a lease whose process is gone is taken
 * over at once, so a restart after `kill -9` need not wait.
 *
 * The lease only keeps honest daemons apart; the journal's conditional
 * appends (lib/dest/object_journal.ts) refuse a second writer even if two
 * leases overlapped (a clock far off, a holder paused longer than the
 * lease).
 *
 * @module
 */

import { LockedError } from "../base/errors.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import { isPreconditionFailed, isRemoteMissing, type RemoteUrl } from "./object_url.ts";
import type { ObjectStore } from "./object_store.ts";

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
  store: ObjectStore,
  url: RemoteUrl,
  owner: LeaseOwner,
): Promise<Lease> {
  const key = leaseKey(url);
  const mine: LeaseBody = {
    machine: owner.machine,
    pid: owner.pid,
    since: new Date().toISOString(),
  };
  const body = () => JSON.stringify(mine);
  const create = async (): Promise<boolean> => {
    try {
      await store.put(key, new TextEncoder().encode(body()), { ifNoneMatch: true });
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
      const res = await store.get(key);
      age = Date.now() - (res.lastModified?.getTime() ?? 0);
      held = JSON.parse(await new Response(res.body).text()) as LeaseBody;
    } catch (err) {
      if (!isRemoteMissing(err) && !(err instanceof SyntaxError)) throw err;
    }
    const stale = held === null || age > LEASE_MS ||
      (held.machine === owner.machine && !owner.alive(held.pid));
    if (!stale || !(await takeOver(store, url, create))) {
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
    store.put(key, new TextEncoder().encode(body())).catch(() => {});
  }, RENEW_MS);
  Deno.unrefTimer(timer);
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(timer);
      await store.delete(key).catch(() => {});
    },
  };
}

/** Deletes a stale lease and creates ours; false when someone else was quicker. */
async function takeOver(
  store: ObjectStore,
  url: RemoteUrl,
  create: () => Promise<boolean>,
): Promise<boolean> {
  await store.delete(leaseKey(url));
  return await create();
}
