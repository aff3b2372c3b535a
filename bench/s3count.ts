/**
 * A counting HTTP proxy in front of an S3 server, for the off-site benchmark
 * (bench/offsite.ts): a client pointed at it (its endpoint set to the proxy's
 * URL) reaches the server unchanged, and the proxy counts what it sent: the
 * requests by kind, the request body bytes (what was uploaded), and the most
 * requests in flight at once (the client's real concurrency).
 *
 * The `Host` header is passed on as the client sent it, so that SigV4
 * signatures, which cover it, still match at the server.
 *
 * @module
 */

import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy saw since the last {@link Counter.reset}. */
export interface Counts {
  /** Requests by kind: GET, HEAD, PUT, COPY (a PUT with `x-amz-copy-source`), DELETE, POST, LIST. */
  requests: Record<string, number>;
  /** Request body bytes, all requests. */
  bodyBytes: number;
  /** Request body bytes of uploads (PUT and POST) whose key is under `excludeKeyPart`: not counted in {@link Counts.dataBytes}. */
  reservedBytes: number;
  /** Request body bytes of PUTs (objects and parts) outside `excludeKeyPart`. */
  dataBytes: number;
  /** The most requests in flight at once. */
  peakInFlight: number;
}

/** One request the proxy forwarded. */
export interface TraceEntry {
  /** When its headers arrived, ms (`performance.now()`). */
  start: number;
  /** When its answer was sent, ms. */
  end: number;
  /** Its kind (see {@link kindOf}). */
  kind: string;
  /** Its path and query. */
  url: string;
}

/** A running counting proxy. */
export interface Counter {
  /** The proxy's URL, for the client's endpoint. */
  url: string;
  /** The counts so far. */
  counts(): Counts;
  /** Zeroes the counts (and the trace). */
  reset(): void;
  /** Every request since the last reset: start and end (ms, `performance.now()`), kind, path. */
  trace(): TraceEntry[];
  /** Stops the proxy. */
  close(): Promise<void>;
}

/** The kind of a request, from its method, query and headers. */
export function kindOf(method: string, url: string, headers: http.IncomingHttpHeaders): string {
  if (method === "PUT" && headers["x-amz-copy-source"] !== undefined) return "COPY";
  if (method === "GET") {
    // A bucket-level GET (path-style `/bucket?list-type=2&...`) is a listing.
    const path = url.split("?")[0] ?? "";
    if (path.split("/").filter((s) => s !== "").length <= 1) return "LIST";
  }
  return method;
}

/**
 * Headers without the hop-by-hop ones, which describe one connection (a `connection: close`
 * passed on would close the client's connection, not the server's).
 */
function withoutHopByHop(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const out = { ...headers };
  for (const h of ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"]) {
    delete out[h];
  }
  return out;
}

function emptyCounts(): Counts {
  return { requests: {}, bodyBytes: 0, reservedBytes: 0, dataBytes: 0, peakInFlight: 0 };
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) forwarding to `upstream`
 * (`http://host:port`). Uploads to keys whose path contains `excludeKeyPart`
 * (e.g. `/.backup/`, the backup's journal and lease) are counted apart.
 */
export async function startCounter(
  upstream: string,
  excludeKeyPart = "/.backup/",
  options: {
    /** Requests this says true of are never forwarded nor answered (a test's server that hangs). */
    hold?: (method: string, url: string) => boolean;
  } = {},
): Promise<Counter> {
  const target = new URL(upstream);
  let counts = emptyCounts();
  let trace: TraceEntry[] = [];
  let inFlight = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    if (options.hold?.(method, url)) {
      req.resume();
      return;
    }
    const kind = kindOf(method, url, req.headers);
    const c = counts;
    const t = trace;
    const start = performance.now();
    c.requests[kind] = (c.requests[kind] ?? 0) + 1;
    inFlight++;
    c.peakInFlight = Math.max(c.peakInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        inFlight--;
        t.push({ start, end: performance.now(), kind, url });
      }
    };
    res.on("close", finish);
    const headers = withoutHopByHop(req.headers);
    delete headers.expect; // the proxy answers 100-continue itself
    const upstreamReq = http.request(
      {
        host: target.hostname,
        port: Number(target.port || 80),
        method,
        path: url,
        headers,
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
        up.pipe(res);
      },
    );
    upstreamReq.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    const reserved = url.includes(excludeKeyPart);
    req.on("data", (chunk: Uint8Array) => {
      c.bodyBytes += chunk.byteLength;
      if (method === "PUT" || method === "POST") {
        if (reserved) c.reservedBytes += chunk.byteLength;
        else if (method === "PUT") c.dataBytes += chunk.byteLength;
      }
    });
    req.pipe(upstreamReq);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
      trace = [];
    },
    trace: () => trace,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Total requests of a {@link Counts}. */
export function totalRequests(c: Counts): number {
  return Object.values(c.requests).reduce((a, b) => a + b, 0);
}

/** The requests as `PUT 10,001 · HEAD 3` (kinds in a fixed order). */
export function fmtRequests(c: Counts): string {
  const order = ["PUT", "COPY", "HEAD", "GET", "LIST", "DELETE", "POST"];
  const kinds = [...order, ...Object.keys(c.requests).filter((k) => !order.includes(k))];
  return kinds
    .filter((k) => (c.requests[k] ?? 0) > 0)
    .map((k) => `${k} ${c.requests[k]!.toLocaleString("en")}`)
    .join(" · ");
}
