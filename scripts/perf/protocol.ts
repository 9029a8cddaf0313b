/**
 * The `coquic-perf/1` control protocol: frame codec for the control stream (stream 0).
 *
 * Frame = type:u8, payload_length:u32 (big-endian), payload. Types: 1 session_start,
 * 2 session_ready, 3 session_error, 4 session_complete. All integers are big-endian.
 * A version-3 `session_start` payload is 79 bytes (84-byte frame); version 1 has no flags
 * byte (78) and versions 1 and 2 carry warmup/duration in milliseconds.
 *
 * @module
 */

/** ALPN of the perf protocol. */
export const PERF_ALPN = "coquic-perf/1";
/** The protocol version this runner emits. */
export const PERF_PROTOCOL_VERSION = 3;
/** Payload byte of every request, response and upload. */
export const PAYLOAD_BYTE = 0x5a;

/** Benchmark modes and their wire codes. */
export const MODE_CODES = { bulk: 0, rr: 1, crr: 2, "persistent-rr": 3 } as const;
/** A benchmark mode. */
export type PerfMode = keyof typeof MODE_CODES;
/** Transfer directions (bulk only) and their wire codes. */
export const DIRECTION_CODES = { upload: 0, download: 1 } as const;
/** A bulk transfer direction. */
export type PerfDirection = keyof typeof DIRECTION_CODES;

const FRAME_SESSION_START = 1;
const FRAME_SESSION_READY = 2;
const FRAME_SESSION_ERROR = 3;
const FRAME_SESSION_COMPLETE = 4;
const HEADER_BYTES = 5;

/** What a client asks for; durations in microseconds. */
export interface SessionStart {
  protocolVersion: number;
  mode: PerfMode;
  direction: PerfDirection;
  requestBytes: bigint;
  responseBytes: bigint;
  totalBytes?: bigint;
  requests?: bigint;
  warmupUs: bigint;
  durationUs: bigint;
  streams: bigint;
  connections: bigint;
  requestsInFlight: bigint;
}

/** A server's per-connection counters, sent when a bounded session completes. */
export interface SessionCounters {
  bytesSent: bigint;
  bytesReceived: bigint;
  requestsCompleted: bigint;
}

/** One decoded control message. */
export type ControlMessage =
  | { type: "session_start"; start: SessionStart }
  | { type: "session_ready"; protocolVersion: number }
  | { type: "session_error"; reason: string }
  | { type: "session_complete"; counters: SessionCounters };

/** A control frame that is not valid `coquic-perf/1`. */
export class PerfProtocolError extends Error {
  override name = "PerfProtocolError";
}

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Encodes a version-3 `session_start` frame (84 bytes). */
export function encodeSessionStart(s: Omit<SessionStart, "protocolVersion">): Uint8Array {
  const p = new Uint8Array(79);
  const v = new DataView(p.buffer);
  v.setUint32(0, PERF_PROTOCOL_VERSION);
  v.setUint8(4, MODE_CODES[s.mode]);
  v.setUint8(5, DIRECTION_CODES[s.direction]);
  v.setBigUint64(6, s.requestBytes);
  v.setBigUint64(14, s.responseBytes);
  v.setUint8(22, (s.totalBytes !== undefined ? 1 : 0) | (s.requests !== undefined ? 2 : 0));
  v.setBigUint64(23, s.totalBytes ?? 0n);
  v.setBigUint64(31, s.requests ?? 0n);
  v.setBigUint64(39, s.warmupUs);
  v.setBigUint64(47, s.durationUs);
  v.setBigUint64(55, s.streams);
  v.setBigUint64(63, s.connections);
  v.setBigUint64(71, s.requestsInFlight);
  return frame(FRAME_SESSION_START, p);
}

/** Encodes `session_ready` (9 bytes). */
export function encodeSessionReady(version = PERF_PROTOCOL_VERSION): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, version);
  return frame(FRAME_SESSION_READY, p);
}

/** Encodes `session_error` with a UTF-8 reason. */
export function encodeSessionError(reason: string): Uint8Array {
  const r = new TextEncoder().encode(reason);
  const p = new Uint8Array(4 + r.length);
  new DataView(p.buffer).setUint32(0, r.length);
  p.set(r, 4);
  return frame(FRAME_SESSION_ERROR, p);
}

/** Encodes `session_complete` (29 bytes). */
export function encodeSessionComplete(c: SessionCounters): Uint8Array {
  const p = new Uint8Array(24);
  const v = new DataView(p.buffer);
  v.setBigUint64(0, c.bytesSent);
  v.setBigUint64(8, c.bytesReceived);
  v.setBigUint64(16, c.requestsCompleted);
  return frame(FRAME_SESSION_COMPLETE, p);
}

const MODES_BY_CODE = Object.fromEntries(Object.entries(MODE_CODES).map(([k, v]) => [v, k])) as Record<
  number,
  PerfMode
>;
const DIRECTIONS_BY_CODE = Object.fromEntries(
  Object.entries(DIRECTION_CODES).map(([k, v]) => [v, k]),
) as Record<number, PerfDirection>;

/** Sequential big-endian reads that fail with a PerfProtocolError when the payload is short. */
class PayloadReader {
  #payload: Uint8Array;
  #view: DataView;
  #at = 0;
  constructor(payload: Uint8Array) {
    this.#payload = payload;
    this.#view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  #need(n: number): number {
    if (this.#at + n > this.#payload.length) throw new PerfProtocolError("invalid control message: short payload");
    const at = this.#at;
    this.#at += n;
    return at;
  }
  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }
  u32(): number {
    return this.#view.getUint32(this.#need(4));
  }
  u64(): bigint {
    return this.#view.getBigUint64(this.#need(8));
  }
  bytes(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#payload.subarray(at, at + n);
  }
  end(): void {
    if (this.#at !== this.#payload.length) throw new PerfProtocolError("invalid control message: trailing bytes");
  }
}

function decodeStart(r: PayloadReader): SessionStart {
  const protocolVersion = r.u32();
  const modeCode = r.u8();
  const directionCode = r.u8();
  const requestBytes = r.u64();
  const responseBytes = r.u64();
  if (protocolVersion !== 1 && protocolVersion !== 2 && protocolVersion !== 3) {
    throw new PerfProtocolError(`invalid control message: unknown protocol version ${protocolVersion}`);
  }
  const flags = protocolVersion === 1 ? 0 : r.u8();
  const totalBytes = r.u64();
  const requests = r.u64();
  const warmup = r.u64();
  const duration = r.u64();
  const streams = r.u64();
  const connections = r.u64();
  const requestsInFlight = r.u64();
  r.end();
  const mode = MODES_BY_CODE[modeCode];
  const direction = DIRECTIONS_BY_CODE[directionCode];
  if (mode === undefined) throw new PerfProtocolError(`invalid control message: unknown mode ${modeCode}`);
  if (direction === undefined) {
    throw new PerfProtocolError(`invalid control message: unknown direction ${directionCode}`);
  }
  const legacy = protocolVersion === 1;
  const toUs = protocolVersion === 3 ? (x: bigint) => x : (x: bigint) => x * 1000n;
  return {
    protocolVersion,
    mode,
    direction,
    requestBytes,
    responseBytes,
    totalBytes: (legacy ? totalBytes !== 0n : (flags & 1) !== 0) ? totalBytes : undefined,
    requests: (legacy ? requests !== 0n : (flags & 2) !== 0) ? requests : undefined,
    warmupUs: toUs(warmup),
    durationUs: toUs(duration),
    streams,
    connections,
    requestsInFlight,
  };
}

/** Decodes exactly one frame; throws PerfProtocolError when it is not exactly one valid frame. */
export function decodeControlMessage(frameBytes: Uint8Array): ControlMessage {
  if (frameBytes.length < HEADER_BYTES) throw new PerfProtocolError("invalid control message: short frame");
  const view = new DataView(frameBytes.buffer, frameBytes.byteOffset, frameBytes.byteLength);
  const type = view.getUint8(0);
  const length = view.getUint32(1);
  if (frameBytes.length - HEADER_BYTES !== length) {
    throw new PerfProtocolError("invalid control message: payload length mismatch");
  }
  const r = new PayloadReader(frameBytes.subarray(HEADER_BYTES));
  switch (type) {
    case FRAME_SESSION_START:
      return { type: "session_start", start: decodeStart(r) };
    case FRAME_SESSION_READY: {
      const protocolVersion = r.u32();
      r.end();
      return { type: "session_ready", protocolVersion };
    }
    case FRAME_SESSION_ERROR: {
      const reason = new TextDecoder().decode(r.bytes(r.u32()));
      r.end();
      return { type: "session_error", reason };
    }
    case FRAME_SESSION_COMPLETE: {
      const counters = { bytesSent: r.u64(), bytesReceived: r.u64(), requestsCompleted: r.u64() };
      r.end();
      return { type: "session_complete", counters };
    }
    default:
      throw new PerfProtocolError(`invalid control message: unknown frame type ${type}`);
  }
}

/**
 * Incremental reader for a control stream: feed chunks as they arrive, take complete
 * messages out. A partial frame left at FIN is an error.
 */
export class ControlStreamReader {
  #buffer = new Uint8Array(0);

  /** Appends a chunk and returns every message completed by it. */
  push(chunk: Uint8Array): ControlMessage[] {
    if (chunk.length > 0) {
      const merged = new Uint8Array(this.#buffer.length + chunk.length);
      merged.set(this.#buffer);
      merged.set(chunk, this.#buffer.length);
      this.#buffer = merged;
    }
    const out: ControlMessage[] = [];
    while (this.#buffer.length >= HEADER_BYTES) {
      const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(1);
      if (this.#buffer.length < HEADER_BYTES + length) break;
      out.push(decodeControlMessage(this.#buffer.subarray(0, HEADER_BYTES + length)));
      this.#buffer = this.#buffer.slice(HEADER_BYTES + length);
    }
    return out;
  }

  /** Call at FIN: throws if a partial frame is pending. */
  finish(): void {
    if (this.#buffer.length > 0) throw new PerfProtocolError("invalid control message: partial frame at FIN");
  }
}
