/**
 * The SETTINGS frame payload (RFC 9114 §7.2.4): identifier/value varint pairs, with the
 * parameters of RFC 9114, RFC 9204 (QPACK), RFC 9220 (extended CONNECT) and RFC 9297
 * (HTTP datagrams).
 *
 * @module
 */
import { ByteReader, type ByteWriter, TruncatedInputError } from "./bytes.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import { encodeVarint, readVarint } from "./varint.ts";

/**
 * Setting identifiers.
 *
 * @example
 * ```ts
 * import { SettingId } from "./settings.ts";
 * SettingId.QPACK_MAX_TABLE_CAPACITY; // 0x01
 * ```
 */
export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  ENABLE_CONNECT_PROTOCOL: 0x08,
  H3_DATAGRAM: 0x33,
} as const;

/**
 * HTTP/2 setting identifiers with no HTTP/3 meaning (ENABLE_PUSH, MAX_CONCURRENT_STREAMS,
 * INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE): receiving one is H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1).
 *
 * @example
 * ```ts
 * import { HTTP2_RESERVED_SETTINGS } from "./settings.ts";
 * HTTP2_RESERVED_SETTINGS.has(0x2); // true
 * ```
 */
export const HTTP2_RESERVED_SETTINGS: ReadonlySet<number> = new Set([0x02, 0x03, 0x04, 0x05]);

/**
 * Decoded settings. Absent fields take their defaults: QPACK capacity and blocked streams 0,
 * field section size unlimited, extended CONNECT and datagrams off. `other` keeps unknown and
 * reserved identifiers in arrival order (they must be ignored, not rejected).
 *
 * @example
 * ```ts
 * import type { Settings } from "./settings.ts";
 * const s: Settings = { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, h3Datagram: true };
 * ```
 */
export interface Settings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY (0x01). */
  qpackMaxTableCapacity?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE (0x06). */
  maxFieldSectionSize?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (0x07). */
  qpackBlockedStreams?: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (0x08), RFC 9220. */
  enableConnectProtocol?: boolean;
  /** SETTINGS_H3_DATAGRAM (0x33), RFC 9297. */
  h3Datagram?: boolean;
  /** Other identifiers (unknown or reserved), as `[id, value]`. */
  other?: [number, number][];
}

/**
 * Appends the SETTINGS payload (without frame header) for `settings`.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeSettingsPayload } from "./settings.ts";
 * const w = new ByteWriter();
 * encodeSettingsPayload(w, { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0 });
 * w.toBytes(); // 01 00 07 00
 * ```
 */
export function encodeSettingsPayload(w: ByteWriter, settings: Settings): void {
  const pair = (id: number, value: number) => {
    encodeVarint(w, id);
    encodeVarint(w, value);
  };
  if (settings.qpackMaxTableCapacity !== undefined) {
    pair(SettingId.QPACK_MAX_TABLE_CAPACITY, settings.qpackMaxTableCapacity);
  }
  if (settings.maxFieldSectionSize !== undefined) pair(SettingId.MAX_FIELD_SECTION_SIZE, settings.maxFieldSectionSize);
  if (settings.qpackBlockedStreams !== undefined) pair(SettingId.QPACK_BLOCKED_STREAMS, settings.qpackBlockedStreams);
  if (settings.enableConnectProtocol !== undefined) {
    pair(SettingId.ENABLE_CONNECT_PROTOCOL, settings.enableConnectProtocol ? 1 : 0);
  }
  if (settings.h3Datagram !== undefined) pair(SettingId.H3_DATAGRAM, settings.h3Datagram ? 1 : 0);
  for (const [id, value] of settings.other ?? []) {
    if (HTTP2_RESERVED_SETTINGS.has(id) || Object.values(SettingId).includes(id as never)) {
      throw new RangeError(`setting 0x${id.toString(16)} cannot go in "other"`);
    }
    pair(id, value);
  }
}

const settingsError = (m: string) => new H3Error(H3ErrorCode.H3_SETTINGS_ERROR, m, true);

function boolSetting(id: number, value: number): boolean {
  if (value > 1) throw settingsError(`setting 0x${id.toString(16)} must be 0 or 1, got ${value}`);
  return value === 1;
}

/**
 * Decodes a SETTINGS payload. Throws H3_SETTINGS_ERROR for a duplicate identifier, an HTTP/2
 * reserved identifier (0x02..0x05) or a boolean setting other than 0/1, and H3_FRAME_ERROR for
 * a truncated pair.
 *
 * @example
 * ```ts
 * import { decodeSettingsPayload } from "./settings.ts";
 * decodeSettingsPayload(new Uint8Array([0x01, 0x40, 0x64, 0x33, 0x01]));
 * // { qpackMaxTableCapacity: 100, h3Datagram: true }
 * ```
 */
export function decodeSettingsPayload(payload: Uint8Array): Settings {
  const r = new ByteReader(payload);
  const seen = new Set<number>();
  const out: Settings = {};
  try {
    while (r.remaining > 0) {
      const id = readVarint(r);
      const value = readVarint(r);
      if (seen.has(id)) throw settingsError(`duplicate setting 0x${id.toString(16)}`);
      seen.add(id);
      if (HTTP2_RESERVED_SETTINGS.has(id)) throw settingsError(`HTTP/2 setting 0x${id.toString(16)} received`);
      switch (id) {
        case SettingId.QPACK_MAX_TABLE_CAPACITY:
          out.qpackMaxTableCapacity = value;
          break;
        case SettingId.MAX_FIELD_SECTION_SIZE:
          out.maxFieldSectionSize = value;
          break;
        case SettingId.QPACK_BLOCKED_STREAMS:
          out.qpackBlockedStreams = value;
          break;
        case SettingId.ENABLE_CONNECT_PROTOCOL:
          out.enableConnectProtocol = boolSetting(id, value);
          break;
        case SettingId.H3_DATAGRAM:
          out.h3Datagram = boolSetting(id, value);
          break;
        default:
          (out.other ??= []).push([id, value]);
      }
    }
  } catch (e) {
    if (e instanceof TruncatedInputError) {
      throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "truncated SETTINGS frame", true);
    }
    throw e;
  }
  return out;
}
