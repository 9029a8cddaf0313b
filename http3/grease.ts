/**
 * Reserved ("greasing") code points of HTTP/3 (RFC 9114 §7.2.8, §6.2.3, §7.2.4.1, §8.1): frame
 * types, unidirectional stream types, setting identifiers and error codes of the form
 * `0x1f * N + 0x21`. They carry no meaning; receivers ignore them and senders may use them to
 * exercise that peers do.
 *
 * @module
 */

/**
 * Whether `value` is a reserved code point `0x1f * N + 0x21` (N ≥ 0).
 *
 * @example
 * ```ts
 * import { isReservedCodepoint } from "./grease.ts";
 * isReservedCodepoint(0x21); // true
 * isReservedCodepoint(0x40); // true (0x1f + 0x21)
 * isReservedCodepoint(0x22); // false
 * ```
 */
export function isReservedCodepoint(value: number | bigint): boolean {
  if (typeof value === "bigint") return value >= 0x21n && (value - 0x21n) % 0x1fn === 0n;
  return value >= 0x21 && Number.isSafeInteger(value) && (value - 0x21) % 0x1f === 0;
}

/**
 * The reserved code point for `n` (`0x1f * n + 0x21`); pick `n` at random when greasing.
 *
 * @example
 * ```ts
 * import { reservedCodepoint } from "./grease.ts";
 * reservedCodepoint(0); // 0x21
 * reservedCodepoint(Math.floor(Math.random() * 1000)); // some grease value
 * ```
 */
export function reservedCodepoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad grease index ${n}`);
  const v = 0x1f * n + 0x21;
  if (!Number.isSafeInteger(v)) throw new RangeError(`grease index ${n} too large`);
  return v;
}
