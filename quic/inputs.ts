/**
 * Inputs of the low-level API: what the caller feeds an endpoint or a connection. Encoded
 * into the ABI structs by `quic/codec.ts`.
 *
 * @module
 */
import type { U64 } from "./args.ts";

/**
 * An inbound UDP datagram (`coquic_inbound_datagram_t`).
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint, packet: Uint8Array, identity: Uint8Array, now: bigint;
 * const d: InboundDatagram = { bytes: packet, routeHandle: 1n, addressValidationIdentity: identity };
 * endpoint.receiveDatagram(d, now);
 * ```
 */
export interface InboundDatagram {
  /** The bytes. */
  bytes: Uint8Array;
  /** The path it arrived on (a runtime-chosen label); absent = default route. */
  routeHandle?: U64;
  /** The sender's address: `0x04 a b c d port_hi port_lo` or `0x06 addr16 port_hi port_lo`. */
  addressValidationIdentity?: Uint8Array;
  /** `Ecn` value; default UNAVAILABLE. */
  ecn?: number;
}

/**
 * A path MTU observation (`coquic_path_mtu_update_t`).
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint, now: bigint;
 * endpoint.updatePathMtu({ routeHandle: 1n, maxUdpPayloadSize: 1280 }, now);
 * ```
 */
export interface PathMtuUpdate {
  /** Route (path) handle chosen by the caller. */
  routeHandle?: U64;
  /** Largest UDP payload, in bytes. */
  maxUdpPayloadSize: number;
  /** The ICMP-quoted packet, if known. */
  quotedPacket?: Uint8Array;
}

/**
 * Stream data to send (`coquic_send_stream_data_t`).
 *
 * @example
 * ```ts
 * declare const data: Uint8Array;
 * const s: SendStreamData = { streamId: 0n, bytes: data, fin: true };
 * ```
 */
export interface SendStreamData {
  /** Stream ID. */
  streamId: U64;
  /** The bytes. */
  bytes: Uint8Array;
  /** Whether this ends the stream (FIN). */
  fin: boolean;
  /** int32 scheduling hint; default 0. */
  priority?: number;
}

/**
 * A DATAGRAM frame to send (`coquic_send_datagram_data_t`).
 *
 * @example
 * ```ts
 * declare const payload: Uint8Array;
 * const d: SendDatagramData = { bytes: payload };
 * ```
 */
export interface SendDatagramData {
  /** The bytes. */
  bytes: Uint8Array;
  /** Send priority (the ABI's int32 `priority`; see the engine for its order). */
  priority?: number;
}

/**
 * A stream and an application error code (`coquic_reset_stream_t` / `coquic_stop_sending_t`).
 *
 * @example
 * ```ts
 * const r: StreamErrorCode = { streamId: 4n, applicationErrorCode: 77n };
 * ```
 */
export interface StreamErrorCode {
  /** Stream ID. */
  streamId: U64;
  /** Application error code. */
  applicationErrorCode: U64;
}

/**
 * A connection close (`coquic_close_connection_t`).
 *
 * @example
 * ```ts
 * const c: CloseConnection = { applicationErrorCode: 0n, reason: "bye" };
 * ```
 */
export interface CloseConnection {
  /** Application error code. */
  applicationErrorCode: U64;
  /** The reason phrase. */
  reason?: string | Uint8Array;
}

/**
 * A request to move a client connection to another route
 * (`coquic_request_connection_migration_t`).
 *
 * @example
 * ```ts
 * import type { Connection } from "./endpoint.ts";
 * declare const conn: Connection, serverIdentity: Uint8Array, now: bigint;
 * conn.requestMigration({ routeHandle: 2n, addressValidationIdentity: serverIdentity }, now);
 * ```
 */
export interface ConnectionMigration {
  /** Route (path) handle chosen by the caller. */
  routeHandle: U64;
  /** `MigrationReason` value; default ACTIVE. */
  reason?: number;
  /** Opaque identity used for address validation tokens. */
  addressValidationIdentity?: Uint8Array;
}

/**
 * A tagged connection input, as `coquic_connection_advance` takes it.
 *
 * @example
 * ```ts
 * import type { Connection } from "./endpoint.ts";
 * declare const conn: Connection, data: Uint8Array, now: bigint;
 * conn.advance({ kind: "send_stream", streamId: 0n, bytes: data, fin: true }, now);
 * ```
 */
export type ConnectionInput =
  | ({ kind: "send_stream" } & SendStreamData)
  | ({ kind: "send_datagram" } & SendDatagramData)
  | ({ kind: "reset_stream" } & StreamErrorCode)
  | ({ kind: "stop_sending" } & StreamErrorCode)
  | ({ kind: "close" } & CloseConnection)
  | { kind: "request_key_update" }
  | ({ kind: "request_migration" } & ConnectionMigration);
