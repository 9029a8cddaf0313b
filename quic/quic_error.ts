/**
 * `QuicError`: every failure of the high-level API, with a `kind` to switch on.
 *
 * @module
 */
import type { LocalErrorName } from "./errors.ts";

/**
 * What went wrong.
 *
 * @example
 * ```ts
 * const kind: QuicErrorKind = "timeout";
 * ```
 */
export type QuicErrorKind =
  | "timeout" // an AbortSignal.timeout() deadline passed
  | "aborted" // another AbortSignal fired
  | "closed" // the object was closed locally
  | "peer_closed" // the peer closed the connection (code/reason set)
  | "idle_timeout"
  | "stateless_reset"
  | "handshake_failed" // TLS or protocol failure during the handshake (reason says why)
  | "protocol_error"
  | "stream_reset" // the peer reset the stream it was sending (code set)
  | "stop_sending" // the peer asked us to stop sending (code set)
  | "refused" // the server refused the connection
  | "name_not_resolved" // a host name has no address (DNS or /etc/hosts), or its lookup failed
  | "unreachable" // the peer's host or port answered with ICMP unreachable (where the runtime reports it)
  | "local" // the engine rejected an operation (`localCode` names the local error)
  | "datagram_too_large" // a DATAGRAM above the connection's `maxDatagramSize`
  | "unsupported" // not available here (e.g. a forced native socket without the engine extension)
  | "invalid_argument"
  | "address_in_use" // the local address to bind is taken
  | "migration_failed"; // the new path did not validate (the connection stays on its previous one)

/**
 * A QUIC failure.
 *
 * @example
 * ```ts
 * import { connect } from "./api.ts";
 * try { await connect({ hostname: "127.0.0.1", port: 4433 }, { alpn: "x" }); }
 * catch (e) { if (e instanceof QuicError && e.kind === "handshake_failed") console.error(e.reason); }
 * ```
 */
export class QuicError extends Error {
  /** The error class name. */
  override name = "QuicError";
  /**
   * The engine's local error when the engine refused the operation (e.g.
   * `"DATAGRAM_TOO_LARGE"`, `"SEND_SIDE_CLOSED"`), else undefined.
   */
  declare readonly localCode?: LocalErrorName;
  /**
   * Creates an error of `kind` with an optional `reason`, QUIC error `code`, `cause` and the
   * engine's `localCode`.
   */
  constructor(
    readonly kind: QuicErrorKind,
    readonly reason = "",
    readonly code?: bigint,
    options?: { cause?: unknown; localCode?: LocalErrorName },
  ) {
    super(
      `${kind}${code !== undefined ? ` (code ${code})` : ""}${reason ? `: ${reason}` : ""}`,
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
    if (options?.localCode !== undefined) this.localCode = options.localCode;
  }
}
