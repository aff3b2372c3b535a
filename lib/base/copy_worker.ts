/**
 * The body of the worker that stages small files on the second core (see `copy_helper.ts`
 * for why and for the guarantees). Protocol:
 *
 * 1. The parent posts `{ type: "init", source, stagingFd }`: the absolute source root, and a
 *    descriptor of the destination's staging folder that the parent opened beneath the pinned
 *    root and keeps open for as long as this worker lives.
 * 2. Then `{ type: "stage", id, paths, numbers }`, one per batch (packed: see `HelperRequest`);
 *    the worker answers with one result a file, in order (packed: see `HelperReply`): for a
 *    file staged, the temp file's name in the staging folder, its descriptor (still open, the
 *    parent's now), its hash and when its bytes were read; for a file not staged (anything went wrong) nothing: the
 *    parent stages it again itself, where the error is reported, and nothing of it is left.
 *
 * Each file is done as `prepareCopy` (lib/engine/apply.ts) does a small one: the source opened
 * `O_NOFOLLOW | O_NONBLOCK` and checked by `fstat` (a regular file, with the scanned size,
 * mtime and inode), the temp file created `O_CREAT | O_EXCL | O_NOFOLLOW` 0600 in the staging
 * folder, the bytes read in one `read`, hashed (xxh128) and written, the source checked again,
 * then the mode (`fchmod`) and the mtime (`futimens`) set on the temp file.
 *
 * Only ever loaded as a worker: importing it elsewhere would listen for messages on that scope.
 *
 * @module
 */

import { createHasher, type Hasher } from "./hash.ts";
import { tempName } from "./layout.ts";
import { O } from "./native/constants.ts";
import { NativeFile } from "./native/file.ts";
import { attempt, check, cString, libc } from "./native/libc.ts";
import { openSourceFile } from "./native/source.ts";
import { sameAsScanned } from "./scanned.ts";
import {
  FIELDS,
  type HelperFile,
  type HelperReply,
  type HelperRequest,
  type HelperResult,
} from "./copy_helper.ts";

/** What this worker may call on its global scope (typed here, so the file checks with the window's types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

const CREATE_FLAGS = O.CREAT | O.EXCL | O.WRONLY | O.NOFOLLOW | O.CLOEXEC;

/** The source root and the staging folder's descriptor, once `init` came. */
let source = "";
let stagingFd = -1;
/** The hasher, made once (WebAssembly). */
const hasher: Promise<Hasher> = createHasher();
/** One read buffer for every file (they are done one at a time), grown to the largest. */
let buffer = new Uint8Array(64 * 1024);

/** `size` bytes of the shared buffer (one byte for an empty file: it must read nothing). */
function bufferFor(size: number): Uint8Array {
  const want = size === 0 ? 1 : size;
  if (buffer.length < want) buffer = new Uint8Array(want);
  return buffer.subarray(0, want);
}

/** Removes the temp file `name` from the staging folder, best effort. */
function removeTemp(name: Uint8Array): void {
  attempt(() => libc().unlinkat(stagingFd, name, 0));
}

/** Stages one file; `null` when anything differs from the scan or fails (redone by the parent). */
function stageOne(file: HelperFile, h: Hasher): HelperResult {
  const path = source.endsWith("/") ? source + file.path : `${source}/${file.path}`;
  let opened;
  try {
    opened = openSourceFile(path);
  } catch {
    return null;
  }
  if (!opened.ok) return null;
  const src = opened.file;
  let out: NativeFile | null = null;
  let cName: Uint8Array | null = null;
  try {
    const before = opened.info;
    if (!sameAsScanned(before, file)) return null;
    const name = tempName();
    cName = cString(name);
    const nameBytes = cName;
    const { result: fd, errno } = attempt(() =>
      libc().openat(stagingFd, nameBytes, CREATE_FLAGS, 0o600)
    );
    if (errno !== 0) {
      cName = null; // not created: nothing to remove
      return null;
    }
    out = new NativeFile(fd, name);
    const buf = bufferFor(file.size);
    let bytes = 0;
    while (bytes < buf.length) {
      const n = src.readSync(buf.subarray(bytes));
      if (n === null) break;
      bytes += n;
    }
    if (bytes !== file.size) return null;
    h.init();
    if (bytes > 0) {
      h.update(buf);
      out.writeAllSync(buf);
    }
    if (!sameAsScanned(src.stat(), file)) return null;
    const hash = h.digest();
    // When the bytes were read: the parent judges the copy racy from this, not from when it
    // takes the file over (a batch later), which would let a same-mtime edit go unseen.
    const readAt = Date.now();
    check(() => libc().fchmod(fd, file.mode & 0o7777), "fchmod", name);
    out.utime(file.mtimeMs);
    const staged = { fd, name, hash, readAt };
    out = null; // the parent owns it now
    return staged;
  } catch {
    return null;
  } finally {
    src.close();
    if (out !== null) {
      out.close();
      if (cName !== null) removeTemp(cName);
    }
  }
}

scope.addEventListener("message", async (event: MessageEvent) => {
  const message = event.data as HelperRequest;
  if (message.type === "init") {
    source = message.source;
    stagingFd = message.stagingFd;
    return;
  }
  let h: Hasher | null = null;
  try {
    h = await hasher;
  } catch { /* every file is redone by the parent */ }
  const { paths, numbers } = message;
  const fds = new Int32Array(paths.length).fill(-1);
  const times = new Float64Array(paths.length);
  const names: string[] = [];
  const hashes: string[] = [];
  paths.forEach((path, i) => {
    const at = i * FIELDS;
    const [size, mtimeMs, ino, mode] = numbers.subarray(at, at + FIELDS);
    const file = { path, size: size!, mtimeMs: mtimeMs!, ino: ino!, mode: mode! };
    const result = h === null ? null : stageOne(file, h);
    fds[i] = result?.fd ?? -1;
    times[i] = result?.readAt ?? 0;
    names.push(result?.name ?? "");
    hashes.push(result?.hash ?? "");
  });
  const reply: HelperReply = {
    id: message.id,
    fds,
    times,
    names: names.join("\0"),
    hashes: hashes.join("\0"),
  };
  scope.postMessage(reply);
});
