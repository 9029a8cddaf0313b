/**
 * Argument checks shared by the value model and the facade: every value is validated in
 * TypeScript and rejected with an `InvalidArgumentError` before any native call.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";

/**
 * A u64 argument: a bigint, or a non-negative safe integer number.
 *
 * @example
 * ```ts
 * const handle: U64 = 1n; // or 1
 * ```
 */
export type U64 = bigint | number;

const U64_MAX = 0xffffffffffffffffn;
/**
 * Largest QUIC variable-length integer (stream ids, error codes, final sizes).
 *
 * @example
 * ```ts
 * declare const id: bigint | number;
 * if (BigInt(id) > VARINT_MAX) throw new RangeError("not a stream id");
 * ```
 */
export const VARINT_MAX = (1n << 62n) - 1n;

/**
 * Converts and checks an unsigned integer argument of at most `max`.
 *
 * @example
 * ```ts
 * u64(5, "now"); // 5n
 * u64(-1, "now"); // throws InvalidArgumentError
 * ```
 */
export function u64(value: unknown, what: string, max: bigint = U64_MAX): bigint {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else {throw new InvalidArgumentError(
      what,
      `must be a non-negative integer (number or bigint), got ${describe(value)}`,
    );}
  if (n < 0n || n > max) throw new InvalidArgumentError(what, `must be within 0..${max}, got ${n}`);
  return n;
}

/**
 * A QUIC stream id (0..2^62-1).
 *
 * @example
 * ```ts
 * streamId(4, "streamId"); // 4n
 * streamId(1n << 62n, "streamId"); // throws InvalidArgumentError
 * ```
 */
export function streamId(value: unknown, what = "streamId"): bigint {
  return u64(value, what, VARINT_MAX);
}

/**
 * An application error code (a QUIC varint, 0..2^62-1).
 *
 * @example
 * ```ts
 * errorCode(0x1234, "applicationErrorCode"); // 4660n
 * ```
 */
export function errorCode(value: unknown, what = "applicationErrorCode"): bigint {
  return u64(value, what, VARINT_MAX);
}

/**
 * A non-negative safe integer (`size_t` values).
 *
 * @example
 * ```ts
 * usize(1200, "maxUdpPayloadSize"); // 1200
 * ```
 */
export function usize(value: unknown, what: string): number {
  if (typeof value === "bigint" && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(what, `must be a non-negative safe integer, got ${describe(value)}`);
  }
  return value;
}

/**
 * An integer within `min..max` (u8 enums, int32 priorities, u32 versions).
 *
 * @example
 * ```ts
 * intIn(3, "priority", -(2 ** 31), 2 ** 31 - 1); // 3
 * ```
 */
export function intIn(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(what, `must be an integer in ${min}..${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * A boolean.
 *
 * @example
 * ```ts
 * bool(true, "fin"); // true
 * ```
 */
export function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw new InvalidArgumentError(what, `must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * Bytes: a Uint8Array (never copied here).
 *
 * @example
 * ```ts
 * bytes(new Uint8Array(3), "data");
 * ```
 */
export function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(what, `must be a Uint8Array, got ${describe(value)}`);
  }
  return value;
}

const utf8 = new TextEncoder();

/**
 * Text or bytes as bytes (strings are UTF-8 encoded).
 *
 * @example
 * ```ts
 * text("bye", "reason"); // Uint8Array [98, 121, 101]
 * ```
 */
export function text(value: unknown, what: string): Uint8Array {
  if (typeof value === "string") return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new InvalidArgumentError(what, `must be a string or a Uint8Array, got ${describe(value)}`);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? v.slice(0, 20) + "…" : v);
  return `${typeof v} ${String(v)}`;
}
