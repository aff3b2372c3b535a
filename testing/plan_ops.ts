/**
 * Comparing two plans made of the same inputs: a swap parks one entry under
 * a random name (`.backup-move-<hex>`, lib/base/layout.ts `parkingName`), so
 * two plans that agree differ in those names. {@link sameParking} renames
 * them by order of first use.
 *
 * @module
 */

import { PARKING_PREFIX } from "../lib/base/layout.ts";

const PARKED = new RegExp(`${PARKING_PREFIX.replace(/[.]/g, "\\.")}[0-9a-f]+`, "g");

/**
 * The plan with each distinct parking name replaced by `.backup-move-0`,
 * `.backup-move-1`, … in order of first appearance: plans compared with it
 * agree whatever random names their swaps drew.
 */
export function sameParking<T>(ops: T): T {
  const names = new Map<string, string>();
  const text = JSON.stringify(
    ops,
    (_key, value) =>
      typeof value === "string"
        ? value.replace(PARKED, (name) => {
          let alias = names.get(name);
          if (alias === undefined) names.set(name, alias = `${PARKING_PREFIX}${names.size}`);
          return alias;
        })
        : value,
  );
  return JSON.parse(text) as T;
}
