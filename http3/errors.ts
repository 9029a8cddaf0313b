/**
 * HTTP/3 (RFC 9114 §8.1) and QPACK (RFC 9204 §6) error codes, and the typed {@link H3Error}
 * every module in `http3/` throws for protocol violations.
 *
 * @module
 */
import { isReservedCodepoint } from "./grease.ts";

/**
 * Application error codes carried in CONNECTION_CLOSE, RESET_STREAM and STOP_SENDING.
 *
 * @example
 * ```ts
 * import { H3ErrorCode } from "./errors.ts";
 * H3ErrorCode.H3_SETTINGS_ERROR; // 0x109
 * ```
 */
export const H3ErrorCode = {
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
} as const;

/**
 * One of the values of {@link H3ErrorCode}.
 *
 * @example
 * ```ts
 * import { type H3ErrorCodeValue, H3ErrorCode } from "./errors.ts";
 * const code: H3ErrorCodeValue = H3ErrorCode.H3_FRAME_ERROR;
 * ```
 */
export type H3ErrorCodeValue = (typeof H3ErrorCode)[keyof typeof H3ErrorCode];

const NAMES = new Map<number, string>(Object.entries(H3ErrorCode).map(([k, v]) => [v, k]));

/** Codes that, by default, only concern one request stream (RFC 9114 §8.1 usage). */
const STREAM_CODES = new Set<number>([
  H3ErrorCode.H3_NO_ERROR,
  H3ErrorCode.H3_REQUEST_REJECTED,
  H3ErrorCode.H3_REQUEST_CANCELLED,
  H3ErrorCode.H3_REQUEST_INCOMPLETE,
  H3ErrorCode.H3_MESSAGE_ERROR,
  H3ErrorCode.H3_CONNECT_ERROR,
]);

/**
 * The symbolic name of an error code, `H3_RESERVED(0x…)` for a reserved (greasing) code, or
 * `UNKNOWN(0x…)`.
 *
 * @example
 * ```ts
 * import { errorCodeName } from "./errors.ts";
 * errorCodeName(0x200); // "QPACK_DECOMPRESSION_FAILED"
 * ```
 */
export function errorCodeName(code: number): string {
  const name = NAMES.get(code);
  if (name !== undefined) return name;
  const hex = "0x" + code.toString(16);
  return isReservedErrorCode(code) ? `H3_RESERVED(${hex})` : `UNKNOWN(${hex})`;
}

/**
 * Whether `code` is one of the reserved greasing codes `0x1f * N + 0x21` (RFC 9114 §8.1),
 * which carry no meaning: a receiver treats them like any unknown code.
 *
 * @example
 * ```ts
 * import { isReservedErrorCode } from "./errors.ts";
 * isReservedErrorCode(0x21); // true
 * ```
 */
export function isReservedErrorCode(code: number): boolean {
  return isReservedCodepoint(code);
}

/**
 * A protocol error with its HTTP/3 or QPACK code. `isConnectionError` tells whether the
 * connection must be closed with `code` (true) or only the stream reset (false).
 *
 * @example
 * ```ts
 * import { H3Error, H3ErrorCode } from "./errors.ts";
 * const e = new H3Error(H3ErrorCode.H3_FRAME_ERROR, "truncated GOAWAY");
 * e.isConnectionError; // true
 * ```
 */
export class H3Error extends Error {
  /** The wire error code. */
  readonly code: number;
  /** True: close the connection; false: reset the affected stream only. */
  readonly isConnectionError: boolean;

  /**
   * Creates an error with the wire `code` (its name prefixes the message) and a reason.
   *
   * @param code the wire code (see {@link H3ErrorCode})
   * @param message a human-readable reason (may be sent as the close reason)
   * @param isConnectionError defaults to false for the request-scoped codes
   *   (H3_NO_ERROR, H3_REQUEST_*, H3_MESSAGE_ERROR, H3_CONNECT_ERROR) and true otherwise
   */
  constructor(code: number, message: string, isConnectionError?: boolean) {
    super(`${errorCodeName(code)}: ${message}`);
    this.name = "H3Error";
    this.code = code;
    this.isConnectionError = isConnectionError ?? !STREAM_CODES.has(code);
  }
}

/**
 * Thrown by the QPACK decoder when a decoded field section exceeds the advertised
 * SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2). A stream error: a server can answer 431.
 * `size` is the size reached when decoding stopped (at least `limit + 1`).
 *
 * @example
 * ```ts
 * import { FieldSectionTooLargeError } from "./errors.ts";
 * const e = new FieldSectionTooLargeError(5000, 4096);
 * e.isConnectionError; // false
 * ```
 */
export class FieldSectionTooLargeError extends H3Error {
  /** Size (sum of name + value + 32 per field) reached when decoding stopped. */
  readonly size: number;
  /** The configured limit. */
  readonly limit: number;

  /**
   * Creates the H3_EXCESSIVE_LOAD stream error for a field section of `size` over `limit`.
   *
   * @param size the size reached
   * @param limit the configured maximum
   */
  constructor(size: number, limit: number) {
    super(H3ErrorCode.H3_EXCESSIVE_LOAD, `field section size ${size} exceeds limit ${limit}`, false);
    this.name = "FieldSectionTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}
