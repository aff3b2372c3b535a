/**
 * Quantities for people: byte counts in decimal units (`1.2 MB`).
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
