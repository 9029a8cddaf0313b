/**
 * HTTP/3 frames (RFC 9114 §7): types, whole-frame encoding, and payload decoding with the
 * layout checks of §7.2. For frames arriving in pieces on a stream, use `FrameReader`
 * (`frame_reader.ts`).
 *
 * @module
 */
import { ByteReader, ByteWriter, TruncatedInputError } from "./bytes.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import { isReservedCodepoint } from "./grease.ts";
import { decodeSettingsPayload, encodeSettingsPayload, type Settings } from "./settings.ts";
import { decodeVarint, encodeVarint, readVarint, varintLength } from "./varint.ts";

/**
 * Frame type code points.
 *
 * @example
 * ```ts
 * import { FrameType } from "./frames.ts";
 * FrameType.GOAWAY; // 0x07
 * ```
 */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/**
 * HTTP/2 frame types reserved in HTTP/3 (PRIORITY 0x02, PING 0x06, WINDOW_UPDATE 0x08,
 * CONTINUATION 0x09): receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8).
 *
 * @example
 * ```ts
 * import { HTTP2_ONLY_FRAME_TYPES } from "./frames.ts";
 * HTTP2_ONLY_FRAME_TYPES.has(0x06); // true
 * ```
 */
export const HTTP2_ONLY_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09]);

/**
 * A decoded frame. `unknown` covers every type this module does not define, including the
 * reserved types `0x1f * N + 0x21`: callers must ignore it (RFC 9114 §9).
 *
 * @example
 * ```ts
 * import type { Frame } from "./frames.ts";
 * const f: Frame = { type: "goaway", id: 4 };
 * ```
 */
export type Frame =
  | { type: "data"; payload: Uint8Array }
  | { type: "headers"; fieldSection: Uint8Array }
  | { type: "cancel_push"; pushId: number }
  | { type: "settings"; settings: Settings }
  | { type: "push_promise"; pushId: number; fieldSection: Uint8Array }
  | { type: "goaway"; id: number }
  | { type: "max_push_id"; pushId: number }
  | { type: "unknown"; frameType: number; payload: Uint8Array };

/**
 * Whether `type` is one of the frame types defined here (not unknown, not reserved).
 *
 * @example
 * ```ts
 * import { isKnownFrameType } from "./frames.ts";
 * isKnownFrameType(0x04); // true
 * isKnownFrameType(0x21); // false
 * ```
 */
export function isKnownFrameType(type: number): boolean {
  return type === 0x00 || type === 0x01 || type === 0x03 || type === 0x04 || type === 0x05 || type === 0x07 ||
    type === 0x0d;
}

/**
 * Whether `type` is a reserved (greasing) frame type `0x1f * N + 0x21`.
 *
 * @example
 * ```ts
 * import { isReservedFrameType } from "./frames.ts";
 * isReservedFrameType(0x21); // true
 * ```
 */
export function isReservedFrameType(type: number): boolean {
  return isReservedCodepoint(type);
}

/**
 * Appends a frame header: type and payload length.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeFrameHeader, FrameType } from "./frames.ts";
 * const w = new ByteWriter();
 * encodeFrameHeader(w, FrameType.DATA, 5);
 * w.toBytes(); // 00 05
 * ```
 */
export function encodeFrameHeader(w: ByteWriter, type: number, length: number): void {
  encodeVarint(w, type);
  encodeVarint(w, length);
}

/**
 * Appends a complete frame.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeFrameTo } from "./frames.ts";
 * const w = new ByteWriter();
 * encodeFrameTo(w, { type: "goaway", id: 0 });
 * w.toBytes(); // 07 01 00
 * ```
 */
export function encodeFrameTo(w: ByteWriter, frame: Frame): void {
  switch (frame.type) {
    case "data":
      encodeFrameHeader(w, FrameType.DATA, frame.payload.length);
      w.writeBytes(frame.payload);
      return;
    case "headers":
      encodeFrameHeader(w, FrameType.HEADERS, frame.fieldSection.length);
      w.writeBytes(frame.fieldSection);
      return;
    case "cancel_push":
      encodeFrameHeader(w, FrameType.CANCEL_PUSH, varintLength(frame.pushId));
      encodeVarint(w, frame.pushId);
      return;
    case "goaway":
      encodeFrameHeader(w, FrameType.GOAWAY, varintLength(frame.id));
      encodeVarint(w, frame.id);
      return;
    case "max_push_id":
      encodeFrameHeader(w, FrameType.MAX_PUSH_ID, varintLength(frame.pushId));
      encodeVarint(w, frame.pushId);
      return;
    case "push_promise":
      encodeFrameHeader(w, FrameType.PUSH_PROMISE, varintLength(frame.pushId) + frame.fieldSection.length);
      encodeVarint(w, frame.pushId);
      w.writeBytes(frame.fieldSection);
      return;
    case "settings": {
      const body = new ByteWriter(32);
      encodeSettingsPayload(body, frame.settings);
      encodeFrameHeader(w, FrameType.SETTINGS, body.length);
      w.writeBytes(body.view());
      return;
    }
    case "unknown":
      if (isKnownFrameType(frame.frameType) || HTTP2_ONLY_FRAME_TYPES.has(frame.frameType)) {
        throw new RangeError(`frame type 0x${frame.frameType.toString(16)} is not an extension type`);
      }
      encodeFrameHeader(w, frame.frameType, frame.payload.length);
      w.writeBytes(frame.payload);
      return;
  }
}

/**
 * Encodes a complete frame into a new array.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./frames.ts";
 * encodeFrame({ type: "data", payload: new Uint8Array([1, 2]) }); // 00 02 01 02
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const w = new ByteWriter(16 + (frame.type === "data" ? frame.payload.length : 0));
  encodeFrameTo(w, frame);
  return w.toBytes();
}

const frameError = (m: string) => new H3Error(H3ErrorCode.H3_FRAME_ERROR, m, true);

/** A payload that must be exactly one varint. */
function singleVarint(payload: Uint8Array, what: string): number {
  const d = decodeVarint(payload, 0);
  if (!d || d.length !== payload.length) throw frameError(`${what} payload must be exactly one varint`);
  return d.value;
}

/**
 * Decodes the payload of a frame of type `type`. Throws H3_FRAME_ERROR when the payload does
 * not match the frame's layout, H3_SETTINGS_ERROR for bad SETTINGS, and H3_FRAME_UNEXPECTED
 * for HTTP/2-only types. Byte-array fields are views into `payload`.
 *
 * @example
 * ```ts
 * import { decodeFramePayload, FrameType } from "./frames.ts";
 * decodeFramePayload(FrameType.MAX_PUSH_ID, new Uint8Array([0x08])); // { type: "max_push_id", pushId: 8 }
 * ```
 */
export function decodeFramePayload(type: number, payload: Uint8Array): Frame {
  switch (type) {
    case FrameType.DATA:
      return { type: "data", payload };
    case FrameType.HEADERS:
      return { type: "headers", fieldSection: payload };
    case FrameType.CANCEL_PUSH:
      return { type: "cancel_push", pushId: singleVarint(payload, "CANCEL_PUSH") };
    case FrameType.SETTINGS:
      return { type: "settings", settings: decodeSettingsPayload(payload) };
    case FrameType.PUSH_PROMISE: {
      const r = new ByteReader(payload);
      let pushId: number;
      try {
        pushId = readVarint(r);
      } catch (e) {
        if (e instanceof TruncatedInputError) throw frameError("PUSH_PROMISE without a push ID");
        throw e;
      }
      return { type: "push_promise", pushId, fieldSection: payload.subarray(r.offset) };
    }
    case FrameType.GOAWAY:
      return { type: "goaway", id: singleVarint(payload, "GOAWAY") };
    case FrameType.MAX_PUSH_ID:
      return { type: "max_push_id", pushId: singleVarint(payload, "MAX_PUSH_ID") };
  }
  if (HTTP2_ONLY_FRAME_TYPES.has(type)) {
    throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)} received`, true);
  }
  return { type: "unknown", frameType: type, payload };
}

/**
 * Decodes one complete frame at `buf[offset]`; `undefined` if the buffer ends first.
 * Convenience for whole buffers; streams should use `FrameReader`.
 *
 * @example
 * ```ts
 * import { decodeFrame } from "./frames.ts";
 * decodeFrame(new Uint8Array([0x07, 0x01, 0x04]), 0); // { frame: { type: "goaway", id: 4 }, next: 3 }
 * ```
 */
export function decodeFrame(buf: Uint8Array, offset: number): { frame: Frame; next: number } | undefined {
  const t = decodeVarint(buf, offset);
  if (!t) return undefined;
  const l = decodeVarint(buf, offset + t.length);
  if (!l) return undefined;
  const start = offset + t.length + l.length;
  if (start + l.value > buf.length) return undefined;
  return { frame: decodeFramePayload(t.value, buf.subarray(start, start + l.value)), next: start + l.value };
}

/**
 * The stream a frame arrived on, for {@link checkFrameAllowed}.
 *
 * @example
 * ```ts
 * import type { FrameStreamKind } from "./frames.ts";
 * const k: FrameStreamKind = "control";
 * ```
 */
export type FrameStreamKind = "control" | "request" | "push";

/**
 * Throws H3_FRAME_UNEXPECTED if a frame of `type` may not appear on a stream of `kind`
 * (RFC 9114 §7.2): DATA/HEADERS/PUSH_PROMISE never on the control stream; CANCEL_PUSH,
 * SETTINGS, GOAWAY, MAX_PUSH_ID only there; PUSH_PROMISE not on push streams; HTTP/2-only
 * types nowhere. Unknown and reserved types are allowed everywhere. Ordering rules (SETTINGS
 * first, HEADERS before DATA, …) and direction rules are left to the caller.
 *
 * @example
 * ```ts
 * import { checkFrameAllowed, FrameType } from "./frames.ts";
 * checkFrameAllowed("control", FrameType.SETTINGS); // ok
 * // checkFrameAllowed("control", FrameType.DATA) throws H3_FRAME_UNEXPECTED
 * ```
 */
export function checkFrameAllowed(kind: FrameStreamKind, type: number): void {
  let ok: boolean;
  switch (type) {
    case FrameType.DATA:
    case FrameType.HEADERS:
      ok = kind !== "control";
      break;
    case FrameType.PUSH_PROMISE:
      ok = kind === "request";
      break;
    case FrameType.CANCEL_PUSH:
    case FrameType.SETTINGS:
    case FrameType.GOAWAY:
    case FrameType.MAX_PUSH_ID:
      ok = kind === "control";
      break;
    default:
      ok = !HTTP2_ONLY_FRAME_TYPES.has(type);
  }
  if (!ok) {
    throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, `frame type 0x${type.toString(16)} on a ${kind} stream`, true);
  }
}
