/**
 * WebTransport over HTTP/3 wire constants (draft-ietf-webtrans-http3-02, what Chromium 156
 * speaks, and the later drafts' settings so newer peers find us), the W3C-shaped
 * {@link WebTransportError}, and the mapping of WebTransport application error codes into
 * the HTTP/3 error space for RESET_STREAM / STOP_SENDING.
 *
 * @module
 */
import type { Settings } from "../settings.ts";

/** Setting identifiers beyond RFC 9220 / RFC 9297 that WebTransport peers send. */
export const WtSetting = {
  /** SETTINGS_ENABLE_WEBTRANSPORT (draft-02): Chromium's clients and servers require it. */
  ENABLE_DRAFT02: 0x2b603742,
  /** SETTINGS_WEBTRANSPORT_MAX_SESSIONS (drafts 07 and 08). */
  MAX_SESSIONS_DRAFT07: 0xc671706a,
  /** SETTINGS_WT_MAX_SESSIONS (draft 09 and later). */
  MAX_SESSIONS: 0x14e9cd29,
} as const;

/** Unidirectional stream type of a session-bound stream (followed by the session ID). */
export const WT_UNI_STREAM_TYPE = 0x54;
/** Signal value opening a session-bound bidirectional stream (followed by the session ID). */
export const WT_BIDI_SIGNAL = 0x41;
/** CLOSE_WEBTRANSPORT_SESSION capsule: 32-bit code, then a UTF-8 reason of at most 1024 bytes. */
export const CAPSULE_CLOSE_SESSION = 0x2843;
/** DRAIN_WEBTRANSPORT_SESSION capsule (empty). */
export const CAPSULE_DRAIN_SESSION = 0x78ae;
/** Longest close reason, in UTF-8 bytes. */
export const MAX_CLOSE_REASON = 1024;

/** HTTP/3 error codes WebTransport adds. */
export const WtErrorCode = {
  /** A stream for a session that never came, refused once the buffer is full. */
  BUFFERED_STREAM_REJECTED: 0x3994bd84,
  /** The stream's session is gone. */
  SESSION_GONE: 0x170d7b68,
} as const;

const FIRST = 0x52e4a40fa8dbn;
const LAST = 0x52e5ac983162n;

/** The HTTP/3 error code carrying WebTransport application error `code` (a uint32), skipping GREASE values. */
export function wtToHttp3Code(code: number): bigint {
  const n = BigInt(code >>> 0);
  return FIRST + n + n / 0x1en;
}

/** The WebTransport application error code carried by HTTP/3 error `code`, or null when it carries none. */
export function http3ToWtCode(code: bigint): number | null {
  if (code < FIRST || code > LAST) return null;
  const shifted = code - FIRST;
  if (shifted % 0x1fn === 0x1en) return null; // a GREASE codepoint
  return Number(shifted - shifted / 0x1fn);
}

/** The SETTINGS a WebTransport endpoint adds to its own. */
export function webTransportSettings(isServer: boolean, maxSessions: number): Partial<Settings> {
  return {
    ...(isServer ? { enableConnectProtocol: true } : {}),
    h3Datagram: true,
    other: [
      [WtSetting.ENABLE_DRAFT02, 1],
      [WtSetting.MAX_SESSIONS_DRAFT07, maxSessions],
      [WtSetting.MAX_SESSIONS, maxSessions],
    ],
  };
}

/**
 * What a peer's SETTINGS say about WebTransport: undefined when it can carry sessions, else
 * what it lacks. A server must also offer extended CONNECT (RFC 9220).
 */
export function missingWebTransportSupport(peer: Settings, peerIsServer: boolean): string | undefined {
  if (!peer.h3Datagram) return "SETTINGS_H3_DATAGRAM";
  if (peerIsServer && !peer.enableConnectProtocol) return "SETTINGS_ENABLE_CONNECT_PROTOCOL";
  const other = new Map(peer.other ?? []);
  const enabled = other.get(WtSetting.ENABLE_DRAFT02) === 1 ||
    (other.get(WtSetting.MAX_SESSIONS_DRAFT07) ?? 0) > 0 || (other.get(WtSetting.MAX_SESSIONS) ?? 0) > 0;
  return enabled ? undefined : "a WebTransport setting (ENABLE_WEBTRANSPORT or WT_MAX_SESSIONS)";
}

/** The sessions a peer server accepts at once (1 when it only says "enabled"). */
export function peerMaxSessions(peer: Settings): number {
  const other = new Map(peer.other ?? []);
  return Math.max(other.get(WtSetting.MAX_SESSIONS) ?? 0, other.get(WtSetting.MAX_SESSIONS_DRAFT07) ?? 0, 1);
}

/** Options of {@link WebTransportError}, as in the W3C `WebTransportErrorOptions`. */
export interface WebTransportErrorOptions {
  /** "stream" for a stream's error, "session" for the session's (default "stream"). */
  source?: "stream" | "session";
  /** The peer's (or our) application error code of a stream reset or stop-sending, if any. */
  streamErrorCode?: number | null;
  /** What caused it (ours, beyond the W3C options: e.g. the QuicError of a refused certificate). */
  cause?: unknown;
}

/**
 * The error of a WebTransport session or stream, shaped like the W3C `WebTransportError`:
 * `source` says whether a stream or the whole session failed; `streamErrorCode` is the
 * application code of a reset or stop-sending.
 *
 * @example
 * ```ts
 * import { WebTransportError } from "./protocol.ts";
 * const e = new WebTransportError("reset by the peer", { source: "stream", streamErrorCode: 7 });
 * e.streamErrorCode; // 7
 * ```
 */
export class WebTransportError extends Error {
  /** "stream" or "session". */
  readonly source: "stream" | "session";
  /** The application error code, or null. */
  readonly streamErrorCode: number | null;
  /** Creates an error with `message`, its source and stream error code. */
  constructor(message = "", options: WebTransportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WebTransportError";
    this.source = options.source ?? "stream";
    this.streamErrorCode = options.streamErrorCode ?? null;
  }
}
