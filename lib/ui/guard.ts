/**
 * The dashboard's request checks, since it opens a port:
 * - the Host header must name the address the server listens on (or
 *   `localhost`), so a web page whose own name was rebound to 127.0.0.1
 *   (DNS rebinding) is refused;
 * - with a token (always for a non-loopback address), every request carries
 *   it: an `X-Backup-Token` header, or the `backup_ui` cookie the page sets
 *   after `?token=` once;
 * - every action is a POST with the token in the `X-Backup-Token` header
 *   (a header a cross-site form or image cannot send) and, when the browser
 *   says where the request came from (`Origin`, `Sec-Fetch-Site`), from this
 *   very origin.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { isLoopback } from "./listen.ts";

/** The header actions carry the token in. */
export const TOKEN_HEADER = "x-backup-token";
/** The cookie a browser keeps the token in after `?token=`. */
export const TOKEN_COOKIE = "backup_ui";

/** What a request is checked against. */
export interface GuardConfig {
  /** Address the server listens on. */
  host: string;
  /** Port it listens on. */
  port: number;
  /** The token: required on every action, and on every request when `readToken` is set. */
  token: string;
  /** Reads need the token too (any non-loopback address). */
  readToken: boolean;
}

/** True when two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string | null | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when a Host header names this server: its own address, or a loopback name on loopback. */
export function hostAllowed(hostHeader: string | null, config: GuardConfig): boolean {
  if (hostHeader === null) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.trim().toLowerCase());
  if (!m) return false;
  const name = m[1]!.replace(/^\[|\]$/g, "");
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port !== config.port) return false;
  const own = config.host.replace(/^\[|\]$/g, "").toLowerCase();
  if (name === own) return true;
  return isLoopback(own) && isLoopback(name);
}

/** The token a request carries: header, then cookie. */
export function tokenOf(headers: Headers): string | null {
  const header = headers.get(TOKEN_HEADER);
  if (header !== null) return header;
  const cookie = headers.get("cookie") ?? "";
  for (const part of cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === TOKEN_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** True when the browser says the request came from another site (absent headers say nothing). */
export function crossSite(headers: Headers, ownOrigin: string): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return true;
  const origin = headers.get("origin");
  return origin !== null && origin !== ownOrigin;
}

/**
 * Why a request is refused (status and message), or null to let it through.
 * `action` is true for the POSTs that change something.
 */
export function refusal(
  method: string,
  headers: Headers,
  config: GuardConfig,
  action: boolean,
): { status: 400 | 403 | 405; message: string } | null {
  const host = headers.get("host");
  if (!hostAllowed(host, config)) {
    return { status: 403, message: `Host "${host ?? ""}" is not this dashboard's address` };
  }
  if (action) {
    if (method !== "POST") return { status: 405, message: "actions are POST requests" };
    const origin = `http://${host}`;
    if (crossSite(headers, origin)) {
      return { status: 403, message: "cross-site request refused" };
    }
    if (!sameSecret(headers.get(TOKEN_HEADER), config.token)) {
      return { status: 403, message: `missing or wrong token (the ${TOKEN_HEADER} header)` };
    }
    return null;
  }
  if (config.readToken && !sameSecret(tokenOf(headers), config.token)) {
    return { status: 403, message: "this dashboard needs its token: open it with ?token=..." };
  }
  return null;
}
