/**
 * Typed errors of the low-level binding.
 *
 * @module
 */
import { LocalErrorCode, Status } from "../ffi/abi.ts";

const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k]));

/**
 * Names of `coquic_status_t` values.
 *
 * @example
 * ```ts
 * const n: StatusName = "INVALID_ARGUMENT";
 * ```
 */
export type StatusName = keyof typeof Status | `STATUS_${number}`;

/**
 * A native call returned a non-OK `coquic_status_t` (a C-level problem: bad argument,
 * too-small struct size, out of memory, internal error). `message` includes the engine's
 * reason (`coquic_x_last_error_message`) when the library provides one.
 *
 * @example
 * ```ts
 * import { Endpoint } from "./endpoint.ts";
 * import type { EndpointConfig } from "./config.ts";
 * declare const config: EndpointConfig;
 * try { Endpoint.create(config); } catch (e) {
 *   if (e instanceof CoquicStatusError) console.error(e.statusName, e.detail);
 * }
 * ```
 */
export class CoquicStatusError extends Error {
  /** The error class name. */
  override name = "CoquicStatusError";
  /** The status name, e.g. "INVALID_ARGUMENT". */
  readonly statusName: StatusName;
  /** Creates the error for native function `call` returning `status`, with the library's `detail` if any. */
  constructor(readonly status: number, readonly call: string, readonly detail?: string) {
    const statusName = (STATUS_NAMES[status] ?? `STATUS_${status}`) as StatusName;
    super(`${call} failed: ${statusName}${detail ? `: ${detail}` : ""}`);
    this.statusName = statusName;
  }
}

/**
 * An object (endpoint, or a connection or stream of it) was used after the endpoint was
 * closed; the call never reached native code.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint;
 * endpoint.close();
 * try { endpoint.timerExpired(0n); } catch (e) { console.log(e instanceof UseAfterCloseError); } // true
 * ```
 */
export class UseAfterCloseError extends Error {
  /** The error class name. */
  override name = "UseAfterCloseError";
  /** Creates the error for `what` (e.g. "Endpoint") used after close: "`what` is closed". */
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/**
 * An argument was rejected in TypeScript before reaching native code (wrong type, negative
 * or out-of-range number, stream id beyond 2^62-1, ...). A `TypeError`, so generic checks
 * keep working.
 *
 * @example
 * ```ts
 * import type { Connection } from "./endpoint.ts";
 * declare const conn: Connection, data: Uint8Array, now: bigint;
 * try { conn.sendStream(-1, data, false, now); } catch (e) {
 *   if (e instanceof InvalidArgumentError) console.log(e.argument); // "streamId"
 * }
 * ```
 */
export class InvalidArgumentError extends TypeError {
  /** The error class name. */
  override name = "InvalidArgumentError";
  /** Creates the error for the argument named `argument`; the message is its name followed by `problem`. */
  constructor(readonly argument: string, problem: string) {
    super(`${argument} ${problem}`);
  }
}

/**
 * Names of `coquic_local_error_code_t` values.
 *
 * @example
 * ```ts
 * const n: LocalErrorName = "FLOW_CONTROL_VIOLATION";
 * ```
 */
export type LocalErrorName = keyof typeof LocalErrorCode | `UNKNOWN_${number}`;
const LOCAL_NAMES: Record<number, keyof typeof LocalErrorCode> = Object.fromEntries(
  Object.entries(LocalErrorCode).map(([k, v]) => [v, k as keyof typeof LocalErrorCode]),
);

/**
 * A protocol-level misuse reported in a result (not thrown): unknown connection, bad
 * stream id or direction, closed side, DATAGRAM unsupported or too large, flow control...
 * `code` is a `LocalErrorCode` value (0..8); unknown codes keep their number.
 *
 * @example
 * ```ts
 * import type { Connection } from "./endpoint.ts";
 * declare const conn: Connection, now: bigint;
 * const r = conn.sendStream(3n, new Uint8Array(1), false, now);
 * if (r.localError) console.log(r.localError.name); // "INVALID_STREAM_DIRECTION"
 * ```
 */
export class LocalError {
  /** The code's name. */
  readonly name: LocalErrorName;
  /** Wraps `LocalErrorCode` value `code` (named in `name`), with the connection and stream it concerns if known. */
  constructor(readonly code: number, readonly connection?: bigint, readonly streamId?: bigint) {
    this.name = LOCAL_NAMES[code] ?? `UNKNOWN_${code}`;
  }
  /** A readable description. */
  toString(): string {
    const parts: string[] = [this.name];
    if (this.connection !== undefined) parts.push(`connection ${this.connection}`);
    if (this.streamId !== undefined) parts.push(`stream ${this.streamId}`);
    return parts.join(" ");
  }
}
