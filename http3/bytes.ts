/**
 * A growable byte writer and a bounds-checked byte reader, shared by the HTTP/3 frame codec
 * and QPACK.
 *
 * @module
 */

/**
 * Thrown by {@link ByteReader} when input ends before a value is complete. Callers map it to
 * the protocol error that fits their context (H3_FRAME_ERROR, QPACK_DECOMPRESSION_FAILED, …).
 *
 * @example
 * ```ts
 * import { ByteReader, TruncatedInputError } from "./bytes.ts";
 * try { new ByteReader(new Uint8Array(0)).readByte(); } catch (e) { e instanceof TruncatedInputError; }
 * ```
 */
export class TruncatedInputError extends Error {
  /** Bytes still missing, when known (at least 1). */
  readonly missing: number;

  /**
   * Creates the error for input that ended `missing` bytes early (at least 1).
   *
   * @param missing how many more bytes were needed (at least 1)
   */
  constructor(missing = 1) {
    super(`input truncated: ${missing} more byte(s) needed`);
    this.name = "TruncatedInputError";
    this.missing = missing;
  }
}

/**
 * Appends bytes into an internal buffer that doubles when full.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * const w = new ByteWriter();
 * w.writeByte(0x41);
 * w.writeBytes(new Uint8Array([0x42]));
 * w.toBytes(); // Uint8Array [0x41, 0x42]
 * ```
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /**
   * Creates an empty writer whose buffer starts at `initialCapacity` bytes (at least 8) and grows as needed.
   *
   * @param initialCapacity starting buffer size in bytes
   */
  constructor(initialCapacity = 64) {
    this.#buf = new Uint8Array(Math.max(initialCapacity, 8));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /**
   * Makes room for `n` more bytes and returns the offset where they start; the caller then
   * fills `buffer` directly.
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * const w = new ByteWriter();
   * const at = w.reserve(2);
   * w.buffer[at] = 1; w.buffer[at + 1] = 2;
   * ```
   */
  reserve(n: number): number {
    const need = this.#len + n;
    if (need > this.#buf.length) {
      let cap = this.#buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    const at = this.#len;
    this.#len = need;
    return at;
  }

  /** The current backing buffer (valid until the next write); see {@link ByteWriter.reserve}. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /**
   * Appends one byte (the low 8 bits of `b`).
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * new ByteWriter().writeByte(0xff);
   * ```
   */
  writeByte(b: number): void {
    const at = this.reserve(1);
    this.#buf[at] = b;
  }

  /**
   * Appends all of `src`.
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * new ByteWriter().writeBytes(new Uint8Array([1, 2, 3]));
   * ```
   */
  writeBytes(src: Uint8Array): void {
    const at = this.reserve(src.length);
    this.#buf.set(src, at);
  }

  /**
   * Appends a string whose characters are all in U+0000..U+00FF, one byte per character
   * (HTTP field names and values are byte strings). Throws TypeError on a wider character.
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * new ByteWriter().writeLatin1("GET");
   * ```
   */
  writeLatin1(s: string): void {
    const at = this.reserve(s.length);
    const buf = this.#buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) throw new TypeError(`character U+${c.toString(16)} at ${i} is not a byte`);
      buf[at + i] = c;
    }
  }

  /**
   * A view of the bytes written so far (no copy; invalidated by further writes).
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * const w = new ByteWriter(); w.writeByte(7);
   * w.view().length; // 1
   * ```
   */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /**
   * A copy of the bytes written so far.
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * const w = new ByteWriter(); w.writeByte(7);
   * w.toBytes(); // Uint8Array [7]
   * ```
   */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /**
   * Forgets the written bytes, keeping the buffer.
   *
   * @example
   * ```ts
   * import { ByteWriter } from "./bytes.ts";
   * const w = new ByteWriter(); w.writeByte(1); w.reset();
   * w.length; // 0
   * ```
   */
  reset(): void {
    this.#len = 0;
  }
}

/**
 * Reads bytes from `buf[offset, end)`, throwing {@link TruncatedInputError} instead of
 * reading past `end`.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./bytes.ts";
 * const r = new ByteReader(new Uint8Array([1, 2, 3]));
 * r.readByte(); // 1
 * r.readBytes(2); // Uint8Array [2, 3]
 * r.remaining; // 0
 * ```
 */
export class ByteReader {
  /** The underlying buffer. */
  readonly buf: Uint8Array;
  /** Next byte to read. */
  offset: number;
  /** One past the last readable byte. */
  readonly end: number;

  /**
   * Creates a reader over `buf` (not copied) from `offset` to `end`; throws RangeError for bounds outside `buf`.
   *
   * @param buf the bytes
   * @param offset first byte to read
   * @param end one past the last readable byte (default: `buf.length`)
   */
  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError("reader bounds outside buffer");
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /**
   * Reads one byte.
   *
   * @example
   * ```ts
   * import { ByteReader } from "./bytes.ts";
   * new ByteReader(new Uint8Array([9])).readByte(); // 9
   * ```
   */
  readByte(): number {
    if (this.offset >= this.end) throw new TruncatedInputError(1);
    return this.buf[this.offset++];
  }

  /**
   * Returns the next byte without consuming it.
   *
   * @example
   * ```ts
   * import { ByteReader } from "./bytes.ts";
   * new ByteReader(new Uint8Array([9])).peekByte(); // 9
   * ```
   */
  peekByte(): number {
    if (this.offset >= this.end) throw new TruncatedInputError(1);
    return this.buf[this.offset];
  }

  /**
   * Reads `n` bytes as a view into the buffer (no copy).
   *
   * @example
   * ```ts
   * import { ByteReader } from "./bytes.ts";
   * new ByteReader(new Uint8Array([1, 2])).readBytes(2); // Uint8Array [1, 2]
   * ```
   */
  readBytes(n: number): Uint8Array {
    if (n > this.end - this.offset) throw new TruncatedInputError(n - (this.end - this.offset));
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/**
 * Decodes bytes as a byte string: one character per byte (the inverse of
 * {@link ByteWriter.writeLatin1}).
 *
 * @example
 * ```ts
 * import { latin1 } from "./bytes.ts";
 * latin1(new Uint8Array([0x68, 0x69])); // "hi"
 * ```
 */
export function latin1(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 16) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
  }
  return s;
}

/**
 * `a` then `b` in one array (`b` itself when `a` is empty).
 *
 * @example
 * ```ts
 * concat(new Uint8Array([1]), new Uint8Array([2])); // Uint8Array [1, 2]
 * ```
 */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
