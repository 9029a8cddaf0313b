/**
 * QPACK primitives (RFC 9204 §4.1, which reuses RFC 7541 §5): N-bit prefixed integers and
 * string literals with an H (Huffman) flag and an N-bit length prefix.
 *
 * Decoders work on `buf[offset, end)` and return either the decoded value with the offset after
 * it, or an {@link Incomplete} marker telling how far the input must extend before a retry can
 * make progress. Malformed input throws {@link PrimitiveDecodeError}; callers translate it to
 * the QPACK error code of their stream.
 *
 * @module
 */
import { type ByteWriter, latin1 } from "../bytes.ts";
import { huffmanDecode, HuffmanDecodeError, huffmanEncodedLength, huffmanEncodeTo } from "./huffman.ts";

/**
 * A decoded value and the offset just past its encoding.
 *
 * @example
 * ```ts
 * import type { Decoded } from "./primitives.ts";
 * const d: Decoded<number> = { value: 10, next: 1 };
 * ```
 */
export interface Decoded<T> {
  /** The value. */
  value: T;
  /** Offset of the first byte after the encoding. */
  next: number;
}

/**
 * The input ended early: retry once the buffer extends to at least `need` (an offset).
 *
 * @example
 * ```ts
 * import { decodePrefixedInt, isIncomplete } from "./primitives.ts";
 * const r = decodePrefixedInt(new Uint8Array([0x1f]), 0, 5);
 * isIncomplete(r) && r.need; // 2
 * ```
 */
export interface Incomplete {
  /** The smallest buffer end (offset) that may let decoding progress. */
  need: number;
}

/**
 * Narrows a decode result to {@link Incomplete}.
 *
 * @example
 * ```ts
 * import { decodePrefixedInt, isIncomplete } from "./primitives.ts";
 * isIncomplete(decodePrefixedInt(new Uint8Array([]), 0, 5)); // true
 * ```
 */
export function isIncomplete<T>(r: Decoded<T> | Incomplete): r is Incomplete {
  return (r as Incomplete).need !== undefined;
}

/**
 * Why a primitive could not be decoded.
 *
 * @example
 * ```ts
 * import type { PrimitiveErrorKind } from "./primitives.ts";
 * const k: PrimitiveErrorKind = "overflow";
 * ```
 */
export type PrimitiveErrorKind = "overflow" | "huffman" | "too_long";

/**
 * Malformed primitive: an integer beyond 2^53 - 1 (or with more than 8 continuation bytes), an
 * invalid Huffman string, or a string longer than the caller's limit.
 *
 * @example
 * ```ts
 * import { decodePrefixedInt, PrimitiveDecodeError } from "./primitives.ts";
 * const huge = new Uint8Array([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
 * try { decodePrefixedInt(huge, 0, 5); } catch (e) { (e as PrimitiveDecodeError).kind; } // "overflow"
 * ```
 */
export class PrimitiveDecodeError extends Error {
  /** What went wrong. */
  readonly kind: PrimitiveErrorKind;

  /**
   * Creates the error for a failure of class `kind`, described by `message`.
   *
   * @param kind the failure class
   * @param message details
   */
  constructor(kind: PrimitiveErrorKind, message: string) {
    super(message);
    this.name = "PrimitiveDecodeError";
    this.kind = kind;
  }
}

/** Continuation bytes allowed after the prefix: 8 × 7 bits cover every safe integer. */
const MAX_CONTINUATION_BYTES = 8;

/**
 * Appends `value` as an integer with an N-bit prefix (1 ≤ N ≤ 8); `flags` fills the bits of the
 * first byte above the prefix.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "../bytes.ts";
 * import { encodePrefixedInt } from "./primitives.ts";
 * const w = new ByteWriter();
 * encodePrefixedInt(w, 1337, 5);
 * w.toBytes(); // 1f 9a 0a (RFC 7541 C.1.2)
 * ```
 */
export function encodePrefixedInt(w: ByteWriter, value: number, prefixBits: number, flags = 0): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a prefixed integer`);
  if (prefixBits < 1 || prefixBits > 8) throw new RangeError(`prefix of ${prefixBits} bits`);
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    w.writeByte(flags | value);
    return;
  }
  w.writeByte(flags | max);
  value -= max;
  while (value >= 128) {
    w.writeByte((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  w.writeByte(value);
}

/**
 * Decodes an N-bit prefixed integer at `buf[offset]` (the bits above the prefix are ignored).
 * Throws {@link PrimitiveDecodeError} ("overflow") past 2^53 - 1 or after 8 continuation bytes.
 *
 * @example
 * ```ts
 * import { decodePrefixedInt } from "./primitives.ts";
 * decodePrefixedInt(new Uint8Array([0x2a]), 0, 8); // { value: 42, next: 1 }
 * ```
 */
export function decodePrefixedInt(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
  end: number = buf.length,
): Decoded<number> | Incomplete {
  if (offset >= end) return { need: offset + 1 };
  const max = (1 << prefixBits) - 1;
  let value = buf[offset] & max;
  let i = offset + 1;
  if (value < max) return { value, next: i };
  let multiplier = 1;
  for (let k = 0; k < MAX_CONTINUATION_BYTES; k++) {
    if (i >= end) return { need: i + 1 };
    const b = buf[i++];
    value += (b & 0x7f) * multiplier;
    if (value > Number.MAX_SAFE_INTEGER) throw new PrimitiveDecodeError("overflow", "prefixed integer exceeds 2^53-1");
    if ((b & 0x80) === 0) return { value, next: i };
    multiplier *= 128;
  }
  throw new PrimitiveDecodeError("overflow", "prefixed integer has too many continuation bytes");
}

/**
 * How {@link encodeStringLiteral} chooses the representation: `"auto"` uses Huffman only when
 * it is strictly shorter, `true` always, `false` never.
 *
 * @example
 * ```ts
 * import type { HuffmanMode } from "./primitives.ts";
 * const mode: HuffmanMode = "auto";
 * ```
 */
export type HuffmanMode = "auto" | boolean;

/**
 * Appends a string literal: the H flag at bit `prefixBits` of the first byte, the length as a
 * `prefixBits`-bit prefixed integer, then the (possibly Huffman-coded) bytes. `flags` fills the
 * bits above the H flag. `s` is a byte string (characters below U+0100).
 *
 * @example
 * ```ts
 * import { ByteWriter } from "../bytes.ts";
 * import { encodeStringLiteral } from "./primitives.ts";
 * const w = new ByteWriter();
 * encodeStringLiteral(w, "no-cache", 7);
 * w.toBytes(); // 86 a8 eb 10 64 9c bf
 * ```
 */
export function encodeStringLiteral(
  w: ByteWriter,
  s: string,
  prefixBits: number,
  flags = 0,
  huffman: HuffmanMode = "auto",
): void {
  const hlen = huffman === false ? Infinity : huffmanEncodedLength(s);
  if (huffman === true || hlen < s.length) {
    encodePrefixedInt(w, hlen, prefixBits, flags | (1 << prefixBits));
    huffmanEncodeTo(w, s);
  } else {
    encodePrefixedInt(w, s.length, prefixBits, flags);
    w.writeLatin1(s);
  }
}

/**
 * Decodes a string literal whose H flag is bit `prefixBits` of the first byte and whose length
 * has a `prefixBits`-bit prefix. The result is a byte string (one character per byte).
 * Throws {@link PrimitiveDecodeError}: "too_long" when the encoded length exceeds `maxLength`
 * (checked before waiting for the bytes), "huffman" for an invalid Huffman string.
 *
 * @example
 * ```ts
 * import { decodeStringLiteral } from "./primitives.ts";
 * const bytes = new Uint8Array([0x86, 0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf]);
 * decodeStringLiteral(bytes, 0, 7); // { value: "no-cache", next: 7 }
 * ```
 */
export function decodeStringLiteral(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
  end: number = buf.length,
  maxLength: number = Infinity,
): Decoded<string> | Incomplete {
  if (offset >= end) return { need: offset + 1 };
  const huffman = (buf[offset] & (1 << prefixBits)) !== 0;
  const len = decodePrefixedInt(buf, offset, prefixBits, end);
  if (isIncomplete(len)) return len;
  if (len.value > maxLength) {
    throw new PrimitiveDecodeError("too_long", `string literal of ${len.value} bytes exceeds limit ${maxLength}`);
  }
  const stop = len.next + len.value;
  if (stop > end) return { need: stop };
  const raw = buf.subarray(len.next, stop);
  if (!huffman) return { value: latin1(raw), next: stop };
  try {
    return { value: latin1(huffmanDecode(raw)), next: stop };
  } catch (e) {
    if (e instanceof HuffmanDecodeError) throw new PrimitiveDecodeError("huffman", e.message);
    throw e;
  }
}
