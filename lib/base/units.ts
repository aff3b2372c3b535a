/**
 * Quantities for people: byte counts in decimal units (`1.2 MB`), and counts
 * with their noun in the right number (`1 pass`, `2 passes`).
 *
 * @module
 */

/** Decimal units above bytes, each 1000 times the one before. */
const BYTE_UNITS = ["kB", "MB", "GB", "TB"];

/** Formats a byte count for people: `999 B`, `1.2 MB`, `3.0 TB`; above that, still in TB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let scaled = bytes;
  let unit = -1;
  while (scaled >= 1000 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${scaled.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/**
 * `n` and its noun, singular for 1: `1 segment`, `2 segments`, `1 entry`,
 * `3 entries`, `1 pass`, `0 passes`. Give `many` where the rule does not fit.
 */
export function plural(n: number, word: string, many?: string): string {
  if (n === 1) return `${n} ${word}`;
  if (many !== undefined) return `${n} ${many}`;
  if (/[^aeiou]y$/.test(word)) return `${n} ${word.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(word)) return `${n} ${word}es`;
  return `${n} ${word}s`;
}
