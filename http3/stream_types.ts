/**
 * HTTP/3 unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2): the varint that opens
 * every unidirectional stream.
 *
 * @module
 */
import { ByteWriter } from "./bytes.ts";
import { isReservedCodepoint } from "./grease.ts";
import { decodeVarint, encodeVarint } from "./varint.ts";

/**
 * Known unidirectional stream types.
 *
 * @example
 * ```ts
 * import { UniStreamType } from "./stream_types.ts";
 * UniStreamType.QPACK_ENCODER; // 0x02
 * ```
 */
export const UniStreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/**
 * What a unidirectional stream is for; `reserved` (greasing) and `unknown` types must be
 * ignored: the receiver aborts reading (STOP_SENDING with H3_STREAM_CREATION_ERROR is allowed)
 * without treating it as an error.
 *
 * @example
 * ```ts
 * import type { UniStreamKind } from "./stream_types.ts";
 * const k: UniStreamKind = "control";
 * ```
 */
export type UniStreamKind = "control" | "push" | "qpack_encoder" | "qpack_decoder" | "reserved" | "unknown";

/**
 * Classifies a unidirectional stream type.
 *
 * @example
 * ```ts
 * import { classifyUniStream } from "./stream_types.ts";
 * classifyUniStream(0x03); // "qpack_decoder"
 * classifyUniStream(0x21); // "reserved"
 * classifyUniStream(0x54); // "unknown"
 * ```
 */
export function classifyUniStream(type: number): UniStreamKind {
  switch (type) {
    case UniStreamType.CONTROL:
      return "control";
    case UniStreamType.PUSH:
      return "push";
    case UniStreamType.QPACK_ENCODER:
      return "qpack_encoder";
    case UniStreamType.QPACK_DECODER:
      return "qpack_decoder";
  }
  return isReservedCodepoint(type) ? "reserved" : "unknown";
}

/**
 * The bytes that open a unidirectional stream of `type`.
 *
 * @example
 * ```ts
 * import { encodeUniStreamType, UniStreamType } from "./stream_types.ts";
 * encodeUniStreamType(UniStreamType.CONTROL); // Uint8Array [0x00]
 * ```
 */
export function encodeUniStreamType(type: number): Uint8Array {
  const w = new ByteWriter(8);
  encodeVarint(w, type);
  return w.toBytes();
}

/**
 * Reads the stream type at the start of a unidirectional stream's data; `undefined` until the
 * whole varint has arrived (buffer the first bytes and retry).
 *
 * @example
 * ```ts
 * import { readUniStreamType } from "./stream_types.ts";
 * readUniStreamType(new Uint8Array([0x02, 0x3f])); // { type: 2, kind: "qpack_encoder", length: 1 }
 * ```
 */
export function readUniStreamType(
  data: Uint8Array,
): { type: number; kind: UniStreamKind; length: number } | undefined {
  const d = decodeVarint(data, 0);
  if (!d) return undefined;
  return { type: d.value, kind: classifyUniStream(d.value), length: d.length };
}
