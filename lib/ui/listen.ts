/**
 * Where the dashboard listens (`--ui [HOST:]PORT`) and who may talk to it:
 * the default is loopback on {@link DEFAULT_UI_PORT}; any other address
 * needs a token.
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";

/** The dashboard's port when none is given. */
export const DEFAULT_UI_PORT = 8577;

/** A parsed `--ui` value. */
export interface Listen {
  /** Address to bind (an IP address or `localhost`). */
  host: string;
  /** TCP port (0: any free one, for tests). */
  port: number;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Parses `--ui` / `--ui=HOST:PORT` / `PORT` / `HOST` (`""`: the default).
 *
 * @throws UsageError for a bad port or address.
 */
export function parseListen(raw: string): Listen {
  if (raw === "") return { host: "127.0.0.1", port: DEFAULT_UI_PORT };
  let host = "127.0.0.1";
  let portText = raw;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2] ?? String(DEFAULT_UI_PORT);
  } else if (raw.includes(":")) {
    const at = raw.lastIndexOf(":");
    host = raw.slice(0, at);
    portText = raw.slice(at + 1);
  } else if (!/^\d+$/.test(raw)) {
    host = raw;
    portText = String(DEFAULT_UI_PORT);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new UsageError(
      `--ui "${raw}": the port must be a number from 0 to 65535, as in 127.0.0.1:${DEFAULT_UI_PORT}`,
    );
  }
  if (host === "" || /[\s/]/.test(host)) {
    throw new UsageError(
      `--ui "${raw}": give an address to listen on, as in 127.0.0.1:${DEFAULT_UI_PORT}`,
    );
  }
  return { host, port };
}
