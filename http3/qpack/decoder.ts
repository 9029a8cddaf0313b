/**
 * A complete QPACK decoder (RFC 9204): it mirrors the peer encoder's dynamic table from the
 * encoder stream, decodes field sections (blocking those whose Required Insert Count is not
 * reached yet), and produces the decoder stream (Section Acknowledgment, Stream Cancellation,
 * Insert Count Increment).
 *
 * Errors are {@link H3Error}s: QPACK_ENCODER_STREAM_ERROR for a bad encoder stream,
 * QPACK_DECOMPRESSION_FAILED for a bad field section or too many blocked streams (both
 * connection errors), and {@link FieldSectionTooLargeError} (a stream error) when a section
 * exceeds the advertised SETTINGS_MAX_FIELD_SECTION_SIZE.
 *
 * @module
 */
import { ByteWriter } from "../bytes.ts";
import { FieldSectionTooLargeError, H3Error, H3ErrorCode } from "../errors.ts";
import { DynamicTable, DynamicTableError } from "./dynamic_table.ts";
import type { HeaderField } from "./field.ts";
import {
  decodePrefixedInt,
  decodeStringLiteral,
  encodePrefixedInt,
  isIncomplete,
  PrimitiveDecodeError,
} from "./primitives.ts";
import { STATIC_TABLE } from "./static_table.ts";

/**
 * Decoder limits, advertised to the peer in SETTINGS.
 *
 * @example
 * ```ts
 * import type { QpackDecoderOptions } from "./decoder.ts";
 * const o: QpackDecoderOptions = { maxTableCapacity: 4096, maxBlockedStreams: 16 };
 * ```
 */
export interface QpackDecoderOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise (0 disables the dynamic table). */
  maxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we advertise. */
  maxBlockedStreams: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise; default: unlimited. */
  maxFieldSectionSize?: number;
}

/**
 * How a blocked field section ended: its fields, or the error that stopped it.
 *
 * @example
 * ```ts
 * import type { SectionOutcome } from "./decoder.ts";
 * const ok: SectionOutcome = { fields: [] };
 * ```
 */
export type SectionOutcome = { fields: HeaderField[]; error?: undefined } | { fields?: undefined; error: Error };

/**
 * A decoded field section prefix: Required Insert Count, Base, and the offset of the first
 * field line.
 *
 * @example
 * ```ts
 * import type { SectionPrefix } from "./decoder.ts";
 * const p: SectionPrefix = { ric: 2, base: 0, next: 2 };
 * ```
 */
export interface SectionPrefix {
  /** Required Insert Count. */
  ric: number;
  /** Base. */
  base: number;
  /** Offset of the first field line. */
  next: number;
}

/**
 * A field section waiting for encoder-stream inserts. Settles when enough inserts arrive, when
 * its stream is cancelled, or with an error if it turns out to be invalid.
 *
 * @example
 * ```ts
 * import { QpackDecoder } from "./decoder.ts";
 * const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
 * const r = d.decodeFieldSection(0, new Uint8Array([0x02, 0x00, 0x80]));
 * if (r.status === "blocked") r.section.wait().then((fields) => console.log(fields));
 * ```
 */
export class BlockedSection {
  /** The request or push stream the section arrived on. */
  readonly streamId: number;
  /** Inserts needed before the section can be decoded. */
  readonly requiredInsertCount: number;
  /** @internal the encoded section (a private copy). */
  readonly bytes: Uint8Array;
  /** @internal the decoded prefix. */
  readonly prefix: SectionPrefix;
  #outcome: SectionOutcome | undefined;
  #listeners: ((o: SectionOutcome) => void)[] = [];

  /**
   * Holds a field section received on `streamId` until the dynamic table has `requiredInsertCount` inserts.
   *
   * @param streamId stream of the section
   * @param requiredInsertCount decoded Required Insert Count
   * @param bytes the encoded section
   * @param prefix its decoded prefix (default: Base = Required Insert Count, lines at offset 2)
   */
  constructor(
    streamId: number,
    requiredInsertCount: number,
    bytes: Uint8Array,
    prefix: SectionPrefix = { ric: requiredInsertCount, base: requiredInsertCount, next: 2 },
  ) {
    this.streamId = streamId;
    this.requiredInsertCount = requiredInsertCount;
    this.bytes = bytes;
    this.prefix = prefix;
  }

  /** The outcome, once settled. */
  get outcome(): SectionOutcome | undefined {
    return this.#outcome;
  }

  /**
   * Calls `listener` once with the outcome (immediately if already settled).
   *
   * @example
   * ```ts
   * import { BlockedSection } from "./decoder.ts";
   * new BlockedSection(0, 1, new Uint8Array()).onSettled((o) => console.log(o.fields ?? o.error));
   * ```
   */
  onSettled(listener: (o: SectionOutcome) => void): void {
    if (this.#outcome) listener(this.#outcome);
    else this.#listeners.push(listener);
  }

  /**
   * A promise of the decoded fields (rejects with the error that stopped the section). Created
   * on demand, so ignoring it never causes an unhandled rejection.
   *
   * @example
   * ```ts
   * import { BlockedSection } from "./decoder.ts";
   * const s = new BlockedSection(0, 1, new Uint8Array());
   * s.wait().catch(() => {});
   * ```
   */
  wait(): Promise<HeaderField[]> {
    return new Promise((resolve, reject) => {
      this.onSettled((o) => (o.error ? reject(o.error) : resolve(o.fields!)));
    });
  }

  /** @internal */
  settle(o: SectionOutcome): void {
    if (this.#outcome) return;
    this.#outcome = o;
    const ls = this.#listeners;
    this.#listeners = [];
    for (const l of ls) l(o);
  }
}

/**
 * Result of {@link QpackDecoder.decodeFieldSection}.
 *
 * @example
 * ```ts
 * import type { FieldSectionResult } from "./decoder.ts";
 * const r: FieldSectionResult = { status: "decoded", fields: [], requiredInsertCount: 0 };
 * ```
 */
export type FieldSectionResult =
  | { status: "decoded"; fields: HeaderField[]; requiredInsertCount: number }
  | { status: "blocked"; section: BlockedSection; requiredInsertCount: number };

const fail = (message: string) => new H3Error(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, message, true);
const encoderStreamError = (message: string) => new H3Error(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR, message, true);

/**
 * The QPACK decoder for one HTTP/3 connection.
 *
 * @example
 * ```ts
 * import { QpackDecoder } from "./decoder.ts";
 * declare const bytesFromPeerEncoderStream: Uint8Array, headersFramePayload: Uint8Array;
 * declare function sendOnOurDecoderStream(bytes: Uint8Array): void;
 * const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
 * d.feedEncoderStream(bytesFromPeerEncoderStream);      // may resume blocked sections
 * const r = d.decodeFieldSection(0, headersFramePayload);
 * if (r.status === "decoded") console.log(r.fields);
 * sendOnOurDecoderStream(d.drainDecoderStream());
 * ```
 */
export class QpackDecoder {
  /** Advertised SETTINGS_QPACK_MAX_TABLE_CAPACITY. */
  readonly maxTableCapacity: number;
  /** Advertised SETTINGS_QPACK_BLOCKED_STREAMS. */
  readonly maxBlockedStreams: number;
  /** Advertised SETTINGS_MAX_FIELD_SECTION_SIZE (Infinity when unlimited). */
  readonly maxFieldSectionSize: number;
  /** The dynamic table mirrored from the encoder stream. */
  readonly table: DynamicTable;

  readonly #maxEntries: number;
  // Encoder stream input not yet consumed: #in[#inStart, #inEnd).
  #in = new Uint8Array(256);
  #inStart = 0;
  #inEnd = 0;
  /** Don't retry parsing before #inEnd - #inStart reaches this many bytes. */
  #needed = 0;
  #failure: H3Error | undefined;
  // Blocked sections by stream, each queue in arrival order.
  #blocked = new Map<number, BlockedSection[]>();
  #minBlockedRic = Infinity;
  // Decoder stream.
  #out = new ByteWriter(64);
  #knownReceivedCount = 0;

  /**
   * Creates a decoder with an empty dynamic table of up to `maxTableCapacity` bytes; throws RangeError on a bad limit.
   *
   * @param options the limits we advertise in SETTINGS
   */
  constructor(options: QpackDecoderOptions) {
    const { maxTableCapacity, maxBlockedStreams } = options;
    if (!Number.isSafeInteger(maxBlockedStreams) || maxBlockedStreams < 0) {
      throw new RangeError(`bad maxBlockedStreams ${maxBlockedStreams}`);
    }
    this.maxTableCapacity = maxTableCapacity;
    this.maxBlockedStreams = maxBlockedStreams;
    this.maxFieldSectionSize = options.maxFieldSectionSize ?? Infinity;
    this.table = new DynamicTable(maxTableCapacity);
    this.#maxEntries = Math.floor(maxTableCapacity / 32);
  }

  /** Total inserts received on the encoder stream. */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /** Number of streams that currently have blocked field sections. */
  get blockedStreamCount(): number {
    return this.#blocked.size;
  }

  /** The Known Received Count the encoder will have after reading everything drained so far. */
  get knownReceivedCount(): number {
    return this.#knownReceivedCount;
  }

  // ---- encoder stream ------------------------------------------------------------------------

  /**
   * Processes bytes from the peer's encoder stream (instructions may be split anywhere across
   * calls). Resumes blocked sections whose Required Insert Count is reached. Throws
   * QPACK_ENCODER_STREAM_ERROR for a malformed instruction, an insert that does not fit, a
   * capacity above the maximum, or a reference to a missing entry; the decoder then stays
   * failed.
   *
   * @example
   * ```ts
   * import { QpackDecoder } from "./decoder.ts";
   * const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
   * d.feedEncoderStream(new Uint8Array([0x3f, 0xbd, 0x01])); // Set Dynamic Table Capacity=220
   * d.table.capacity; // 220
   * ```
   */
  feedEncoderStream(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    this.#append(chunk);
    if (this.#inEnd - this.#inStart < this.#needed) return;
    const buf = this.#in;
    let pos = this.#inStart;
    const end = this.#inEnd;
    try {
      while (pos < end) {
        const next = this.#instruction(buf, pos, end);
        if (next < 0) {
          this.#needed = -next - pos;
          break;
        }
        pos = next;
        this.#needed = 0;
      }
    } catch (e) {
      this.#failure = e instanceof H3Error ? e : encoderStreamError(e instanceof Error ? e.message : String(e));
      throw this.#failure;
    } finally {
      this.#inStart = pos;
      if (pos === end) this.#inStart = this.#inEnd = 0;
    }
  }

  #append(chunk: Uint8Array): void {
    const len = this.#inEnd - this.#inStart;
    if (this.#inEnd + chunk.length > this.#in.length) {
      if (len + chunk.length <= this.#in.length && this.#inStart > 0) {
        this.#in.copyWithin(0, this.#inStart, this.#inEnd);
      } else {
        let cap = this.#in.length * 2;
        while (cap < len + chunk.length) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.#in.subarray(this.#inStart, this.#inEnd));
        this.#in = next;
      }
      this.#inStart = 0;
      this.#inEnd = len;
    }
    this.#in.set(chunk, this.#inEnd);
    this.#inEnd += chunk.length;
  }

  /**
   * Parses and applies one encoder instruction at `pos`. Returns the offset after it, or
   * `-need` (need = buffer end required) if incomplete; nothing is applied then.
   */
  #instruction(buf: Uint8Array, pos: number, end: number): number {
    const first = buf[pos];
    // Strings longer than this cannot belong to an entry that fits (Huffman: ≤ 30 bits a byte).
    const maxString = this.maxTableCapacity * 4 + 8;
    try {
      if (first & 0x80) {
        // Insert With Name Reference: 1 T index(6+) value(H, 7+)
        const idx = decodePrefixedInt(buf, pos, 6, end);
        if (isIncomplete(idx)) return -idx.need;
        const val = decodeStringLiteral(buf, idx.next, 7, end, maxString);
        if (isIncomplete(val)) return -val.need;
        let name: string;
        if (first & 0x40) {
          const e = STATIC_TABLE[idx.value];
          if (!e) throw encoderStreamError(`static index ${idx.value} out of range`);
          name = e[0];
        } else {
          name = this.#relativeEntry(idx.value).name;
        }
        this.#insert(name, val.value);
        return val.next;
      }
      if (first & 0x40) {
        // Insert With Literal Name: 01 H nameLen(5+) name value(H, 7+)
        const nm = decodeStringLiteral(buf, pos, 5, end, maxString);
        if (isIncomplete(nm)) return -nm.need;
        const val = decodeStringLiteral(buf, nm.next, 7, end, maxString);
        if (isIncomplete(val)) return -val.need;
        this.#insert(nm.value, val.value);
        return val.next;
      }
      if (first & 0x20) {
        // Set Dynamic Table Capacity: 001 capacity(5+)
        const cap = decodePrefixedInt(buf, pos, 5, end);
        if (isIncomplete(cap)) return -cap.need;
        this.table.setCapacity(cap.value);
        return cap.next;
      }
      // Duplicate: 000 index(5+)
      const idx = decodePrefixedInt(buf, pos, 5, end);
      if (isIncomplete(idx)) return -idx.need;
      const e = this.#relativeEntry(idx.value);
      this.#insert(e.name, e.value);
      return idx.next;
    } catch (e) {
      if (e instanceof PrimitiveDecodeError || e instanceof DynamicTableError) throw encoderStreamError(e.message);
      throw e;
    }
  }

  /** Encoder-stream relative index: 0 is the most recent insert. */
  #relativeEntry(rel: number) {
    const abs = this.table.insertCount - 1 - rel;
    const e = abs >= 0 ? this.table.get(abs) : undefined;
    if (!e) throw encoderStreamError(`relative index ${rel} refers to no live entry`);
    return e;
  }

  #insert(name: string, value: string): void {
    this.table.insert(name, value);
    if (this.table.insertCount >= this.#minBlockedRic) this.#resumeBlocked();
  }

  #resumeBlocked(): void {
    const count = this.table.insertCount;
    let min = Infinity;
    for (const [streamId, queue] of this.#blocked) {
      while (queue.length > 0 && queue[0].requiredInsertCount <= count) {
        const s = queue.shift()!;
        let outcome: SectionOutcome;
        try {
          outcome = { fields: this.#decodeNow(s.streamId, s.bytes, s.prefix) };
        } catch (e) {
          outcome = { error: e as Error };
        }
        s.settle(outcome);
      }
      if (queue.length === 0) this.#blocked.delete(streamId);
      else min = Math.min(min, queue[0].requiredInsertCount);
    }
    this.#minBlockedRic = min;
  }

  // ---- field sections ------------------------------------------------------------------------

  /**
   * Decodes the field section of a HEADERS or PUSH_PROMISE frame received on `streamId`.
   * Returns the fields, or `blocked` with a {@link BlockedSection} that settles once the
   * needed inserts arrive (a section also waits behind an earlier blocked section of the same
   * stream, so sections of one stream settle in order).
   *
   * Throws QPACK_DECOMPRESSION_FAILED (connection error) for an invalid section, or when
   * blocking would exceed the advertised blocked-streams limit; throws
   * {@link FieldSectionTooLargeError} (stream error) when the decoded size exceeds
   * `maxFieldSectionSize` (the section is still fully processed and acknowledged, so the
   * connection's QPACK state stays consistent).
   *
   * @example
   * ```ts
   * import { QpackDecoder } from "./decoder.ts";
   * const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
   * const r = d.decodeFieldSection(0, new Uint8Array([0x00, 0x00, 0xd1]));
   * r.status === "decoded" && r.fields; // [{ name: ":method", value: "GET", neverIndexed: false }]
   * ```
   */
  decodeFieldSection(streamId: number, bytes: Uint8Array): FieldSectionResult {
    const prefix = this.#prefix(bytes);
    const ric = prefix.ric;
    const queue = this.#blocked.get(streamId);
    if (ric > this.table.insertCount || queue) {
      if (!queue && this.#blocked.size >= this.maxBlockedStreams) {
        throw fail(
          `stream ${streamId} would block (Required Insert Count ${ric} > ${this.table.insertCount}) ` +
            `but ${this.#blocked.size} streams are already blocked (limit ${this.maxBlockedStreams})`,
        );
      }
      const section = new BlockedSection(streamId, ric, bytes.slice(), prefix);
      if (queue) queue.push(section);
      else this.#blocked.set(streamId, [section]);
      // A section queued behind another one of its stream may already be decodable.
      this.#minBlockedRic = Math.min(this.#minBlockedRic, this.#blocked.get(streamId)![0].requiredInsertCount);
      if (this.#minBlockedRic <= this.table.insertCount) this.#resumeBlocked();
      return { status: "blocked", section, requiredInsertCount: ric };
    }
    return { status: "decoded", fields: this.#decodeNow(streamId, bytes, prefix), requiredInsertCount: ric };
  }

  /** Decodes the section prefix: Required Insert Count and Base. */
  #prefix(bytes: Uint8Array): SectionPrefix {
    try {
      const enc = decodePrefixedInt(bytes, 0, 8);
      if (isIncomplete(enc)) throw fail("field section prefix truncated");
      const ric = this.#requiredInsertCount(enc.value);
      if (enc.next >= bytes.length) throw fail("field section prefix truncated");
      const sign = bytes[enc.next] & 0x80;
      const delta = decodePrefixedInt(bytes, enc.next, 7);
      if (isIncomplete(delta)) throw fail("field section prefix truncated");
      let base: number;
      if (sign === 0) {
        base = ric + delta.value;
      } else {
        if (delta.value >= ric) throw fail(`negative Base (Required Insert Count ${ric}, Delta Base ${delta.value})`);
        base = ric - delta.value - 1;
      }
      return { ric, base, next: delta.next };
    } catch (e) {
      if (e instanceof PrimitiveDecodeError) throw fail(e.message);
      throw e;
    }
  }

  /** RFC 9204 §4.5.1.1. */
  #requiredInsertCount(encoded: number): number {
    if (encoded === 0) return 0;
    const maxEntries = this.#maxEntries;
    const fullRange = 2 * maxEntries;
    if (encoded > fullRange) throw fail(`encoded Required Insert Count ${encoded} exceeds ${fullRange}`);
    const maxValue = this.table.insertCount + maxEntries;
    const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
    let ric = maxWrapped + encoded - 1;
    if (ric > maxValue) {
      if (ric <= fullRange) throw fail(`invalid encoded Required Insert Count ${encoded}`);
      ric -= fullRange;
    }
    if (ric === 0) throw fail(`invalid encoded Required Insert Count ${encoded}`);
    return ric;
  }

  /** Decodes a section whose Required Insert Count is reached; queues its acknowledgment. */
  #decodeNow(streamId: number, bytes: Uint8Array, prefix: SectionPrefix): HeaderField[] {
    const { ric, base, next } = prefix;
    const table = this.table;
    const limit = this.maxFieldSectionSize;
    const fields: HeaderField[] = [];
    let size = 0;
    let maxRef = -1;
    const end = bytes.length;
    let pos = next;

    const dynamic = (abs: number) => {
      if (abs < 0 || abs >= ric) throw fail(`dynamic reference ${abs} outside Required Insert Count ${ric}`);
      const e = table.get(abs);
      if (!e) throw fail(`dynamic table entry ${abs} was evicted`);
      if (abs > maxRef) maxRef = abs;
      return e;
    };
    const staticEntry = (idx: number) => {
      const e = STATIC_TABLE[idx];
      if (!e) throw fail(`static index ${idx} out of range`);
      return e;
    };
    const int = (at: number, prefix: number) => {
      const r = decodePrefixedInt(bytes, at, prefix, end);
      if (isIncomplete(r)) throw fail("field line truncated");
      return r;
    };
    const str = (at: number, prefix: number) => {
      const r = decodeStringLiteral(bytes, at, prefix, end);
      if (isIncomplete(r)) throw fail("string literal truncated");
      return r;
    };
    const emit = (name: string, value: string, neverIndexed: boolean) => {
      size += name.length + value.length + 32;
      if (size <= limit) fields.push({ name, value, neverIndexed });
    };

    try {
      while (pos < end) {
        const b = bytes[pos];
        if (b & 0x80) {
          // Indexed Field Line: 1 T index(6+)
          const idx = int(pos, 6);
          pos = idx.next;
          if (b & 0x40) {
            const e = staticEntry(idx.value);
            emit(e[0], e[1], false);
          } else {
            const e = dynamic(base - 1 - idx.value);
            emit(e.name, e.value, false);
          }
        } else if (b & 0x40) {
          // Literal Field Line With Name Reference: 01 N T index(4+) value
          const idx = int(pos, 4);
          const name = b & 0x10 ? staticEntry(idx.value)[0] : dynamic(base - 1 - idx.value).name;
          const val = str(idx.next, 7);
          pos = val.next;
          emit(name, val.value, (b & 0x20) !== 0);
        } else if (b & 0x20) {
          // Literal Field Line With Literal Name: 001 N H nameLen(3+) name value
          const nm = str(pos, 3);
          const val = str(nm.next, 7);
          pos = val.next;
          emit(nm.value, val.value, (b & 0x10) !== 0);
        } else if (b & 0x10) {
          // Indexed Field Line With Post-Base Index: 0001 index(4+)
          const idx = int(pos, 4);
          pos = idx.next;
          const e = dynamic(base + idx.value);
          emit(e.name, e.value, false);
        } else {
          // Literal Field Line With Post-Base Name Reference: 0000 N index(3+) value
          const idx = int(pos, 3);
          const name = dynamic(base + idx.value).name;
          const val = str(idx.next, 7);
          pos = val.next;
          emit(name, val.value, (b & 0x08) !== 0);
        }
      }
    } catch (e) {
      if (e instanceof PrimitiveDecodeError) throw fail(e.message);
      throw e;
    }
    if (ric > 0) {
      if (maxRef + 1 !== ric) {
        throw fail(`Required Insert Count ${ric} but the largest reference is ${maxRef}`);
      }
      // Section Acknowledgment: 1 streamId(7+)
      encodePrefixedInt(this.#out, streamId, 7, 0x80);
      if (ric > this.#knownReceivedCount) this.#knownReceivedCount = ric;
    }
    if (size > limit) throw new FieldSectionTooLargeError(size, limit);
    return fields;
  }

  // ---- decoder stream ------------------------------------------------------------------------

  /**
   * Abandons `streamId` (reset, or reading stopped): drops its blocked sections (they settle
   * with an H3_REQUEST_CANCELLED error) and queues a Stream Cancellation, unless the dynamic
   * table is disabled (maximum capacity 0, RFC 9204 §4.4.2).
   *
   * @example
   * ```ts
   * import { QpackDecoder } from "./decoder.ts";
   * const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 4 });
   * d.cancelStream(8);
   * d.drainDecoderStream(); // Uint8Array [0x48]
   * ```
   */
  cancelStream(streamId: number): void {
    const queue = this.#blocked.get(streamId);
    if (queue) {
      this.#blocked.delete(streamId);
      let min = Infinity;
      for (const q of this.#blocked.values()) min = Math.min(min, q[0].requiredInsertCount);
      this.#minBlockedRic = min;
      const error = new H3Error(H3ErrorCode.H3_REQUEST_CANCELLED, `stream ${streamId} cancelled`, false);
      for (const s of queue) s.settle({ error });
    }
    if (this.maxTableCapacity > 0) encodePrefixedInt(this.#out, streamId, 6, 0x40); // 01 streamId(6+)
  }

  /**
   * Returns the bytes to send on our decoder stream: queued Section Acknowledgments and Stream
   * Cancellations in order, then one Insert Count Increment covering inserts that no
   * acknowledgment has covered. Empty when there is nothing to send.
   *
   * @example
   * ```ts
   * import { QpackDecoder } from "./decoder.ts";
   * const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
   * d.drainDecoderStream().length; // 0
   * ```
   */
  drainDecoderStream(): Uint8Array {
    const inserts = this.table.insertCount;
    if (inserts > this.#knownReceivedCount) {
      encodePrefixedInt(this.#out, inserts - this.#knownReceivedCount, 6, 0x00); // 00 increment(6+)
      this.#knownReceivedCount = inserts;
    }
    const bytes = this.#out.toBytes();
    this.#out.reset();
    return bytes;
  }
}
