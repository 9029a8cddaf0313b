/**
 * QUIC variable-length integers (RFC 9000 §16): 1, 2, 4 or 8 bytes, the two high bits of the
 * first byte giving the length, values up to 2^62 - 1.
 *
 * Values are JavaScript numbers; an 8-byte value above 2^53 - 1 decodes to the nearest double
 * (use {@link decodeVarintBigInt} when exactness matters, e.g. for reserved types).
 *
 * @module
 */
import { type ByteReader, type ByteWriter, TruncatedInputError } from "./bytes.ts";

/**
 * The largest encodable value, 2^62 - 1.
 *
 * @example
 * ```ts
 * import { VARINT_MAX } from "./varint.ts";
 * VARINT_MAX === (1n << 62n) - 1n; // true
 * ```
 */
export const VARINT_MAX: bigint = (1n << 62n) - 1n;

/**
 * Thrown when asked to encode a negative, fractional or too large value.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeVarint, VarintRangeError } from "./varint.ts";
 * try { encodeVarint(new ByteWriter(), -1); } catch (e) { e instanceof VarintRangeError; }
 * ```
 */
export class VarintRangeError extends RangeError {
  /**
   * Creates the error for `value`, which lies outside 0 ..= 2^62-1.
   *
   * @param value the offending value
   */
  constructor(value: number | bigint) {
    super(`${value} is not a QUIC varint value (0 ..= 2^62-1)`);
    this.name = "VarintRangeError";
  }
}

/**
 * The encoded size of `value`: 1, 2, 4 or 8.
 *
 * @example
 * ```ts
 * import { varintLength } from "./varint.ts";
 * varintLength(63); // 1
 * varintLength(64); // 2
 * ```
 */
export function varintLength(value: number | bigint): 1 | 2 | 4 | 8 {
  if (typeof value === "bigint") {
    if (value < 0n || value > VARINT_MAX) throw new VarintRangeError(value);
    return value < 0x40n ? 1 : value < 0x4000n ? 2 : value < 0x40000000n ? 4 : 8;
  }
  if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) throw new VarintRangeError(value);
  return value < 0x40 ? 1 : value < 0x4000 ? 2 : value < 0x40000000 ? 4 : 8;
}

/**
 * The total length of a varint given its first byte.
 *
 * @example
 * ```ts
 * import { varintLengthFromFirstByte } from "./varint.ts";
 * varintLengthFromFirstByte(0x7b); // 2
 * ```
 */
export function varintLengthFromFirstByte(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Appends the shortest encoding of `value` to `w`.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeVarint } from "./varint.ts";
 * const w = new ByteWriter();
 * encodeVarint(w, 15293);
 * w.toBytes(); // Uint8Array [0x7b, 0xbd]
 * ```
 */
export function encodeVarint(w: ByteWriter, value: number | bigint): void {
  const len = varintLength(value);
  const at = w.reserve(len);
  const b = w.buffer;
  if (typeof value === "bigint") {
    for (let i = len - 1; i >= 0; i--) {
      b[at + i] = Number(value & 0xffn);
      value >>= 8n;
    }
  } else if (len === 8) {
    const hi = Math.floor(value / 0x100000000);
    const lo = value >>> 0;
    b[at] = hi >>> 24;
    b[at + 1] = hi >>> 16;
    b[at + 2] = hi >>> 8;
    b[at + 3] = hi;
    b[at + 4] = lo >>> 24;
    b[at + 5] = lo >>> 16;
    b[at + 6] = lo >>> 8;
    b[at + 7] = lo;
  } else {
    for (let i = len - 1; i >= 0; i--) {
      b[at + i] = value & 0xff;
      value = value >>> 8;
    }
  }
  b[at] |= (len === 1 ? 0 : len === 2 ? 1 : len === 4 ? 2 : 3) << 6;
}

/**
 * Decodes a varint at `buf[offset]`, reading no further than `end`. Returns `undefined` when
 * the input ends first (feed more bytes and retry).
 *
 * @example
 * ```ts
 * import { decodeVarint } from "./varint.ts";
 * decodeVarint(new Uint8Array([0x7b, 0xbd]), 0); // { value: 15293, length: 2 }
 * decodeVarint(new Uint8Array([0x7b]), 0); // undefined
 * ```
 */
export function decodeVarint(
  buf: Uint8Array,
  offset: number,
  end: number = buf.length,
): { value: number; length: number } | undefined {
  if (offset >= end) return undefined;
  const first = buf[offset];
  const len = 1 << (first >> 6);
  if (offset + len > end) return undefined;
  let value = first & 0x3f;
  if (len === 8) {
    const hi = ((value << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
    const lo = ((buf[offset + 4] << 24) | (buf[offset + 5] << 16) | (buf[offset + 6] << 8) | buf[offset + 7]) >>> 0;
    return { value: hi * 0x100000000 + lo, length: 8 };
  }
  for (let i = 1; i < len; i++) value = value * 256 + buf[offset + i];
  return { value, length: len };
}

/**
 * Like {@link decodeVarint} but exact for every value up to 2^62 - 1.
 *
 * @example
 * ```ts
 * import { decodeVarintBigInt } from "./varint.ts";
 * decodeVarintBigInt(new Uint8Array([0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]), 0);
 * // { value: 151288809941952652n, length: 8 }
 * ```
 */
export function decodeVarintBigInt(
  buf: Uint8Array,
  offset: number,
  end: number = buf.length,
): { value: bigint; length: number } | undefined {
  if (offset >= end) return undefined;
  const len = 1 << (buf[offset] >> 6);
  if (offset + len > end) return undefined;
  let value = BigInt(buf[offset] & 0x3f);
  for (let i = 1; i < len; i++) value = (value << 8n) | BigInt(buf[offset + i]);
  return { value, length: len };
}

/**
 * Reads a varint from `r`, throwing {@link TruncatedInputError} if it is cut short (the
 * reader's offset is then unchanged).
 *
 * @example
 * ```ts
 * import { ByteReader } from "./bytes.ts";
 * import { readVarint } from "./varint.ts";
 * readVarint(new ByteReader(new Uint8Array([0x40, 0x25]))); // 37
 * ```
 */
export function readVarint(r: ByteReader): number {
  const d = decodeVarint(r.buf, r.offset, r.end);
  if (d === undefined) {
    const missing = r.offset >= r.end ? 1 : (1 << (r.buf[r.offset] >> 6)) - (r.end - r.offset);
    throw new TruncatedInputError(missing);
  }
  r.offset += d.length;
  return d.value;
}
