/**
 * Typed errors of the low-level binding.
 *
 * @module
 */
import { LocalErrorCode, Status } from "../ffi/abi.ts";

const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k]));

/**
 * A native call returned a non-OK `coquic_status_t` (a C-level problem: bad argument,
 * too-small struct size, out of memory, internal error).
 *
 * @example
 * ```ts
 * try { Endpoint.create(config); } catch (e) {
 *   if (e instanceof CoquicStatusError) console.error(e.statusName, e.message);
 * }
 * ```
 */
export class CoquicStatusError extends Error {
  override name = "CoquicStatusError";
  /** The status name, e.g. "INVALID_ARGUMENT". */
  readonly statusName: string;
  constructor(readonly status: number, readonly call: string, detail?: string) {
    super(`${call} failed: ${STATUS_NAMES[status] ?? `status ${status}`}${detail ? `: ${detail}` : ""}`);
    this.statusName = STATUS_NAMES[status] ?? `STATUS_${status}`;
  }
}

/**
 * An object (endpoint, connection, stream) was used after it was closed; the call never
 * reached native code.
 *
 * @example
 * ```ts
 * endpoint.close();
 * try { endpoint.timerExpired(0n); } catch (e) { console.log(e instanceof UseAfterCloseError); } // true
 * ```
 */
export class UseAfterCloseError extends Error {
  override name = "UseAfterCloseError";
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/** Names of `coquic_local_error_code_t`, by value. */
export type LocalErrorName = keyof typeof LocalErrorCode | `UNKNOWN_${number}`;
const LOCAL_NAMES: Record<number, keyof typeof LocalErrorCode> = Object.fromEntries(
  Object.entries(LocalErrorCode).map(([k, v]) => [v, k as keyof typeof LocalErrorCode]),
);

/**
 * A protocol-level misuse reported in a result (not thrown by the low-level API): unknown
 * connection, bad stream id or direction, closed side, DATAGRAM unsupported or too large...
 *
 * @example
 * ```ts
 * const r = conn.sendStream(3n, new Uint8Array(1), false, now);
 * if (r.localError) console.log(r.localError.name); // "INVALID_STREAM_DIRECTION"
 * ```
 */
export class LocalError {
  /** The code's name. */
  readonly name: LocalErrorName;
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
