/**
 * An incremental HTTP/3 frame parser for one stream: feed it the stream's bytes in chunks of
 * any size (frames may be split anywhere) and it returns events. DATA payloads are passed
 * through as they arrive, never buffered; other known frames are buffered up to
 * `maxFrameSize` and returned decoded; unknown and reserved frame types are skipped without
 * buffering.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import { decodeFramePayload, type Frame, FrameType, HTTP2_ONLY_FRAME_TYPES, isKnownFrameType } from "./frames.ts";
import { decodeVarint } from "./varint.ts";

/**
 * Options for {@link FrameReader}.
 *
 * @example
 * ```ts
 * import type { FrameReaderOptions } from "./frame_reader.ts";
 * const o: FrameReaderOptions = { maxFrameSize: 64 * 1024 };
 * ```
 */
export interface FrameReaderOptions {
  /**
   * Largest payload accepted for a buffered frame (every known type but DATA); larger ones
   * are H3_EXCESSIVE_LOAD. Default 1 MiB. DATA and unknown frames are never buffered.
   */
  maxFrameSize?: number;
  /**
   * A byte budget shared by several readers (e.g. every stream of one connection): bytes of
   * incomplete buffered frames count against `limit`; going over it is H3_EXCESSIVE_LOAD, a
   * connection error. Without it only `maxFrameSize` bounds a reader.
   */
  budget?: FrameBudget;
}

/**
 * Bytes held by incomplete buffered frames across readers, and their limit.
 *
 * @example
 * ```ts
 * import { FrameReader, type FrameBudget } from "./frame_reader.ts";
 * const budget: FrameBudget = { used: 0, limit: 1 << 20 };
 * const a = new FrameReader({ budget }), b = new FrameReader({ budget });
 * ```
 */
export interface FrameBudget {
  /** Bytes held now. */
  used: number;
  /** The most that may be held at once. */
  limit: number;
}

/**
 * What {@link FrameReader.push} found.
 *
 * - `header`: the header of a DATA or other known frame is complete (before its payload
 *   events), so callers can check the frame is allowed before any payload arrives;
 * - `data`: a piece of a DATA payload, a view into the pushed chunk (copy it to keep it past
 *   the chunk's lifetime); `frameEnd` marks the last piece of the frame (an empty DATA frame
 *   gives one empty piece);
 * - `frame`: a complete non-DATA known frame;
 * - `unknown`: an unknown or reserved frame type, announced at its header; its payload is
 *   skipped (ignore it, RFC 9114 §9).
 *
 * @example
 * ```ts
 * import type { FrameEvent } from "./frame_reader.ts";
 * const e: FrameEvent = { kind: "data", chunk: new Uint8Array([1]), frameEnd: true };
 * ```
 */
export type FrameEvent =
  | { kind: "header"; frameType: number; length: number }
  | { kind: "data"; chunk: Uint8Array; frameEnd: boolean }
  | { kind: "frame"; frame: Frame }
  | { kind: "unknown"; frameType: number; length: number };

/** Parser states. */
const State = { Header: 0, Data: 1, Buffer: 2, Skip: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Incremental frame parser for one stream.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./frame_reader.ts";
 * const reader = new FrameReader({ maxFrameSize: 16384 });
 * for (const chunk of [new Uint8Array([0x00, 0x03, 0x61]), new Uint8Array([0x62, 0x63])]) {
 *   for (const ev of reader.push(chunk)) {
 *     if (ev.kind === "data") console.log(ev.chunk, ev.frameEnd);
 *   }
 * }
 * reader.end(); // throws H3_FRAME_ERROR if the stream stopped inside a frame
 * ```
 */
export class FrameReader {
  /** Limit for buffered frame payloads. */
  readonly maxFrameSize: number;
  #state: State = State.Header;
  #hdr = new Uint8Array(16);
  #hdrLen = 0;
  #type = 0;
  #remaining = 0;
  // A buffered frame's payload grows as its bytes arrive (a frame header alone reserves
  // nothing, so announcing large frames and sending nothing costs a peer, not us).
  #pieces: Uint8Array[] = [];
  #filled = 0;
  readonly #budget: FrameBudget | undefined;
  /** The frame refused for exceeding `maxFrameSize`, after push() threw for it. */
  oversizedFrame?: { frameType: number; length: number };

  /**
   * Creates a reader expecting a frame header, with the payload limit `options.maxFrameSize` (default 1 MiB).
   *
   * @param options see {@link FrameReaderOptions}
   */
  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? 1 << 20;
    this.#budget = options.budget;
  }

  /** Bytes of an incomplete buffered frame this reader holds (counted in its budget). */
  get bufferedBytes(): number {
    return this.#state === State.Buffer ? this.#filled : 0;
  }

  /** Gives this reader's held bytes back to the budget (call when its stream is gone). */
  release(): void {
    if (this.#budget && this.#state === State.Buffer) this.#budget.used -= this.#filled;
    this.#pieces = [];
    this.#filled = 0;
    this.#state = State.Header;
  }

  /** True between frames (the stream may end here cleanly). */
  get atFrameBoundary(): boolean {
    return this.#state === State.Header && this.#hdrLen === 0;
  }

  /**
   * Consumes `chunk` and returns the events it completes, in order. Throws {@link H3Error}:
   * H3_FRAME_UNEXPECTED for HTTP/2-only frame types, H3_EXCESSIVE_LOAD for a buffered frame
   * above `maxFrameSize`, and the payload errors of `decodeFramePayload`.
   *
   * @example
   * ```ts
   * import { FrameReader } from "./frame_reader.ts";
   * new FrameReader().push(new Uint8Array([0x07, 0x01, 0x00]));
   * // [{ kind: "header", frameType: 7, length: 1 }, { kind: "frame", frame: { type: "goaway", id: 0 } }]
   * ```
   */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      switch (this.#state) {
        case State.Header:
          pos = this.#readHeader(chunk, pos, events);
          break;
        case State.Data: {
          const n = Math.min(this.#remaining, end - pos);
          this.#remaining -= n;
          events.push({ kind: "data", chunk: chunk.subarray(pos, pos + n), frameEnd: this.#remaining === 0 });
          pos += n;
          if (this.#remaining === 0) this.#state = State.Header;
          break;
        }
        case State.Buffer: {
          const n = Math.min(this.#remaining, end - pos);
          this.#hold(n);
          this.#pieces.push(chunk.slice(pos, pos + n));
          this.#filled += n;
          this.#remaining -= n;
          pos += n;
          if (this.#remaining === 0) this.#finishBuffered(events);
          break;
        }
        case State.Skip: {
          const n = Math.min(this.#remaining, end - pos);
          this.#remaining -= n;
          pos += n;
          if (this.#remaining === 0) this.#state = State.Header;
          break;
        }
      }
    }
    return events;
  }

  /**
   * Declares the end of the stream. Throws H3_FRAME_ERROR if it ends inside a frame
   * (RFC 9114 §7.1).
   *
   * @example
   * ```ts
   * import { FrameReader } from "./frame_reader.ts";
   * const r = new FrameReader();
   * r.push(new Uint8Array([0x00]));
   * // r.end() throws: the DATA frame header is incomplete
   * ```
   */
  end(): void {
    if (!this.atFrameBoundary) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "stream ended inside a frame", true);
  }

  /** Parses (part of) a frame header starting at chunk[pos]; returns the new position. */
  #readHeader(chunk: Uint8Array, pos: number, events: FrameEvent[]): number {
    let buf: Uint8Array;
    let at: number;
    let end: number;
    if (this.#hdrLen === 0) {
      // Fast path: the whole header is in this chunk.
      buf = chunk;
      at = pos;
      end = chunk.length;
    } else {
      buf = this.#hdr;
      at = 0;
      end = this.#hdrLen;
    }
    const t = decodeVarint(buf, at, end);
    const l = t && decodeVarint(buf, at + t.length, end);
    if (!t || !l) {
      // Incomplete: stash one byte at a time (a header is at most 16 bytes).
      let p = pos;
      while (p < chunk.length && this.#hdrLen < 16) {
        this.#hdr[this.#hdrLen++] = chunk[p++];
        const t2 = decodeVarint(this.#hdr, 0, this.#hdrLen);
        if (t2 && decodeVarint(this.#hdr, t2.length, this.#hdrLen)) {
          this.#hdrLen = 0;
          this.#startFrame(t2.value, decodeVarint(this.#hdr, t2.length, 16)!.value, events);
          return p;
        }
      }
      return p;
    }
    this.#startFrame(t.value, l.value, events);
    return buf === chunk ? pos + t.length + l.length : pos;
  }

  #startFrame(type: number, length: number, events: FrameEvent[]): void {
    if (HTTP2_ONLY_FRAME_TYPES.has(type)) {
      throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)} received`, true);
    }
    this.#type = type;
    if (type === FrameType.DATA) {
      events.push({ kind: "header", frameType: type, length });
      if (length === 0) {
        events.push({ kind: "data", chunk: new Uint8Array(0), frameEnd: true });
      } else {
        this.#state = State.Data;
        this.#remaining = length;
      }
      return;
    }
    if (!isKnownFrameType(type)) {
      events.push({ kind: "unknown", frameType: type, length });
      if (length > 0) {
        this.#state = State.Skip;
        this.#remaining = length;
      }
      return;
    }
    if (length > this.maxFrameSize) {
      this.oversizedFrame = { frameType: type, length };
      throw new H3Error(
        H3ErrorCode.H3_EXCESSIVE_LOAD,
        `frame type 0x${type.toString(16)} of ${length} bytes exceeds the ${this.maxFrameSize}-byte limit`,
        true,
      );
    }
    events.push({ kind: "header", frameType: type, length });
    this.#pieces = [];
    this.#filled = 0;
    this.#remaining = length;
    if (length === 0) this.#finishBuffered(events);
    else this.#state = State.Buffer;
  }

  #hold(bytes: number): void {
    const budget = this.#budget;
    if (!budget) return;
    if (budget.used + bytes > budget.limit) {
      throw new H3Error(
        H3ErrorCode.H3_EXCESSIVE_LOAD,
        `incomplete frames would hold more than ${budget.limit} bytes on this connection`,
        true,
      );
    }
    budget.used += bytes;
  }

  #finishBuffered(events: FrameEvent[]): void {
    if (this.#budget) this.#budget.used -= this.#filled;
    this.#state = State.Header;
    const pieces = this.#pieces;
    this.#pieces = [];
    const payload = pieces.length === 1 ? pieces[0] : new Uint8Array(this.#filled);
    if (pieces.length !== 1) {
      let at = 0;
      for (const piece of pieces) {
        payload.set(piece, at);
        at += piece.length;
      }
    }
    this.#filled = 0;
    events.push({ kind: "frame", frame: decodeFramePayload(this.#type, payload) });
  }
}
