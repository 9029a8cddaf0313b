/**
 * The capsule protocol (RFC 9297 §3.2) on a WebTransport CONNECT stream: capsules are
 * carried in DATA frame payloads; this parses them out of those bytes and encodes the two
 * WebTransport sends (close and drain).
 *
 * @module
 */
import { ByteWriter, concat } from "../bytes.ts";
import { H3Error, H3ErrorCode } from "../errors.ts";
import { decodeVarint, encodeVarint } from "../varint.ts";
import { CAPSULE_CLOSE_SESSION, CAPSULE_DRAIN_SESSION, MAX_CLOSE_REASON } from "./protocol.ts";

/** A capsule a session acts on. */
export type Capsule =
  | { type: "close"; code: number; reason: string }
  | { type: "drain" }
  | { type: "unknown"; capsuleType: number };

/** Largest capsule we hold while it arrives (a close capsule needs 4 + 1024 bytes). */
const MAX_CAPSULE = 64 << 10;

const malformed = (m: string) => new H3Error(H3ErrorCode.H3_MESSAGE_ERROR, m, false);

/** Parses capsules from a CONNECT stream's data; a malformed one throws H3_MESSAGE_ERROR (a stream error). */
export class CapsuleParser {
  #buf: Uint8Array = new Uint8Array(0);

  /** Feeds bytes; returns the capsules completed by them. */
  push(bytes: Uint8Array): Capsule[] {
    const buf = this.#buf.length === 0 ? bytes : concat(this.#buf, bytes);
    const out: Capsule[] = [];
    let at = 0;
    for (;;) {
      const t = decodeVarint(buf, at);
      if (!t) break;
      const l = decodeVarint(buf, at + t.length);
      if (!l) break;
      if (l.value > MAX_CAPSULE) throw malformed(`capsule of ${l.value} bytes is too large`);
      const start = at + t.length + l.length;
      if (buf.length < start + l.value) break;
      out.push(decodeCapsule(t.value, buf.subarray(start, start + l.value)));
      at = start + l.value;
    }
    this.#buf = buf.slice(at);
    if (this.#buf.length > MAX_CAPSULE + 16) throw malformed("capsule too large");
    return out;
  }

  /** The stream ended: a partial capsule left over is malformed. */
  end(): void {
    if (this.#buf.length > 0) throw malformed("the CONNECT stream ended inside a capsule");
  }
}

function decodeCapsule(type: number, value: Uint8Array): Capsule {
  if (type === CAPSULE_CLOSE_SESSION) {
    if (value.length < 4) throw malformed("CLOSE_WEBTRANSPORT_SESSION shorter than its error code");
    if (value.length - 4 > MAX_CLOSE_REASON) throw malformed("CLOSE_WEBTRANSPORT_SESSION reason over 1024 bytes");
    const code = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
    let reason: string;
    try {
      reason = new TextDecoder("utf-8", { fatal: true }).decode(value.subarray(4));
    } catch {
      throw malformed("CLOSE_WEBTRANSPORT_SESSION reason is not UTF-8");
    }
    return { type: "close", code, reason };
  }
  if (type === CAPSULE_DRAIN_SESSION) {
    if (value.length !== 0) throw malformed("DRAIN_WEBTRANSPORT_SESSION with a payload");
    return { type: "drain" };
  }
  return { type: "unknown", capsuleType: type };
}

/** Truncates `reason` to at most 1024 UTF-8 bytes on a character boundary. */
export function truncateReason(reason: string): Uint8Array {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON) return bytes;
  let lead = MAX_CLOSE_REASON - 1; // walk back to the first byte of the last character kept
  while (lead > 0 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const b = bytes[lead];
  const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  return bytes.subarray(0, lead + length > MAX_CLOSE_REASON ? lead : MAX_CLOSE_REASON);
}

/** Encodes a capsule (type, length, value). */
export function encodeCapsule(type: number, value: Uint8Array): Uint8Array {
  const w = new ByteWriter(value.length + 16);
  encodeVarint(w, type);
  encodeVarint(w, value.length);
  w.writeBytes(value);
  return w.toBytes();
}

/** CLOSE_WEBTRANSPORT_SESSION with `code` (uint32) and `reason` (cut to 1024 bytes). */
export function encodeCloseCapsule(code: number, reason: string): Uint8Array {
  const text = truncateReason(reason);
  const value = new Uint8Array(4 + text.length);
  new DataView(value.buffer).setUint32(0, code >>> 0);
  value.set(text, 4);
  return encodeCapsule(CAPSULE_CLOSE_SESSION, value);
}

/** DRAIN_WEBTRANSPORT_SESSION. */
export function encodeDrainCapsule(): Uint8Array {
  return encodeCapsule(CAPSULE_DRAIN_SESSION, new Uint8Array(0));
}
