/**
 * Relative paths inside a backup root. The names the backup reserves are in
 * `lib/base/layout.ts`.
 *
 * A relative path uses `/` separators, has no empty, `.` or `..` segment, no
 * leading `/` and no NUL. Unicode is kept as the file system gave it (NFC and
 * NFD names are different files on Linux).
 *
 * @module
 */

import { isNameText } from "./native/names.ts";
import { isReservedTop } from "./layout.ts";

/** Joins a root (absolute) and a relative path; `""` is the root itself. */
export function join(root: string, rel: string): string {
  if (rel === "") return root;
  return root.endsWith("/") ? root + rel : `${root}/${rel}`;
}

/** Joins two relative paths. */
export function joinRel(parent: string, name: string): string {
  return parent === "" ? name : `${parent}/${name}`;
}

/** Parent of a relative path (`""` for a top-level name). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/**
 * Whether `test` holds for a folder above `rel` (the root `""` aside), or for `rel` itself too
 * with `self`: the walk up the tree that exclude rules, replaced folders and doubted paths share.
 */
export function someAbove(rel: string, test: (folder: string) => boolean, self = false): boolean {
  for (let p = self ? rel : parentOf(rel); p !== ""; p = parentOf(p)) if (test(p)) return true;
  return false;
}

/** Number of segments: 1 for a top-level name. */
export function depth(rel: string): number {
  let n = 1;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 47) n++;
  return n;
}

/** True if `rel` is `prefix` or lies below it. */
export function isAtOrBelow(rel: string, prefix: string): boolean {
  return prefix === "" || rel === prefix || rel.startsWith(prefix + "/");
}

/**
 * Checks that a relative path from a journal or a scan is safe to join under a
 * root. Returns a reason when it is not, `null` when it is.
 */
export function unsafeReason(rel: unknown): string | null {
  if (typeof rel !== "string") return "not a string";
  if (rel === "") return "empty";
  if (rel.includes("\0")) return "contains NUL";
  if (!isNameText(rel)) return "a lone surrogate that no file name's text form holds";
  if (rel.startsWith("/")) return "absolute";
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === "." || seg === "..") return `bad segment "${seg}"`;
  }
  if (isReservedTop(rel.split("/", 1)[0]!)) {
    return "inside the reserved folder";
  }
  return null;
}

/** Resolves `p` against the current directory, normalising `.`/`..` lexically. */
export function absolute(p: string, cwd: string): string {
  const parts = (p.startsWith("/") ? p : `${cwd}/${p}`).split("/");
  const out: string[] = [];
  for (const s of parts) {
    if (s === "" || s === ".") continue;
    if (s === "..") out.pop();
    else out.push(s);
  }
  return "/" + out.join("/");
}

/**
 * Renders a path for a human log line: quoted with escapes when it holds
 * control characters. JSON escapes C0 controls but leaves DEL (0x7f) raw, so
 * DEL is escaped by hand: the line must hold no raw control character.
 */
export function showPath(rel: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[\x00-\x1f\x7f]/.test(rel)) return rel;
  return JSON.stringify(rel).replaceAll("\x7f", "\\u007f");
}
