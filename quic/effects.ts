/**
 * Effects: everything a call asks the caller to do or tells it happened, as a discriminated
 * union on `kind` (the Python binding's kind strings). Decoded from `coquic_effect_t`
 * records by `quic/codec.ts`; byte payloads are copies, so effects outlive the native result.
 *
 * @example
 * ```ts
 * import type { QueryResult } from "./result.ts";
 * declare const result: QueryResult, socket: { send(bytes: Uint8Array): void };
 * for (const e of result.effects) {
 *   if (e.kind === "send_datagram") socket.send(e.bytes);
 *   else if (e.kind === "receive_stream_data") console.log(e.streamId, e.bytes.length, e.fin);
 * }
 * ```
 *
 * @module
 */

/**
 * `coquic_state_change_t` names.
 *
 * @example
 * ```ts
 * const c: StateChangeName = "handshake_confirmed";
 * ```
 */
export type StateChangeName = "handshake_ready" | "handshake_confirmed" | "failed";
/**
 * `coquic_lifecycle_t` names.
 *
 * @example
 * ```ts
 * const l: LifecycleName = "accepted";
 * ```
 */
export type LifecycleName = "created" | "accepted" | "closed";

/**
 * A datagram to send to `routeHandle` (or the default route when undefined).
 *
 * @example
 * ```ts
 * declare const e: Effect, routes: Map<bigint | undefined, string>;
 * declare const socket: { send(bytes: Uint8Array, to: string | undefined): void };
 * if (e.kind === "send_datagram") socket.send(e.bytes, routes.get(e.routeHandle));
 * ```
 */
export interface SendDatagramEffect {
  /** Discriminant. */
  kind: "send_datagram";
  /** Connection handle. */
  connection: bigint;
  /** Route (path) handle chosen by the caller. */
  routeHandle?: bigint;
  /** The bytes. */
  bytes: Uint8Array;
  /** ECN codepoint (`Ecn`). */
  ecn: number;
  /** Whether it is a path MTU probe. */
  isPmtuProbe: boolean;
}
/**
 * Stream bytes received at `offset`.
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * declare const sink: { write(stream: bigint, offset: bigint, bytes: Uint8Array, fin: boolean): void };
 * if (e.kind === "receive_stream_data") sink.write(e.streamId, e.offset, e.bytes, e.fin);
 * ```
 */
export interface ReceiveStreamDataEffect {
  /** Discriminant. */
  kind: "receive_stream_data";
  /** Connection handle. */
  connection: bigint;
  /** Stream ID. */
  streamId: bigint;
  /** Stream offset of the first byte. */
  offset: bigint;
  /** The bytes. */
  bytes: Uint8Array;
  /** Whether this ends the stream (FIN). */
  fin: boolean;
  /** Final size of the stream. */
  finalSize?: bigint;
}
/**
 * A DATAGRAM frame received.
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "receive_datagram_data") console.log(e.bytes.length);
 * ```
 */
export interface ReceiveDatagramDataEffect {
  /** Discriminant. */
  kind: "receive_datagram_data";
  /** Connection handle. */
  connection: bigint;
  /** The bytes. */
  bytes: Uint8Array;
}
/**
 * The peer reset its sending side of a stream.
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "peer_reset_stream") console.log(e.streamId, e.applicationErrorCode);
 * ```
 */
export interface PeerResetStreamEffect {
  /** Discriminant. */
  kind: "peer_reset_stream";
  /** Connection handle. */
  connection: bigint;
  /** Stream ID. */
  streamId: bigint;
  /** Application error code. */
  applicationErrorCode: bigint;
  /** Final size of the stream. */
  finalSize: bigint;
}
/**
 * The peer asked us to stop sending on a stream.
 *
 * @example
 * ```ts
 * import type { Connection } from "./endpoint.ts";
 * declare const e: Effect, conn: Connection, now: bigint;
 * if (e.kind === "peer_stop_sending") conn.resetStream(e.streamId, e.applicationErrorCode, now);
 * ```
 */
export interface PeerStopSendingEffect {
  /** Discriminant. */
  kind: "peer_stop_sending";
  /** Connection handle. */
  connection: bigint;
  /** Stream ID. */
  streamId: bigint;
  /** Application error code. */
  applicationErrorCode: bigint;
}
/**
 * Handshake progress or failure.
 *
 * @example
 * ```ts
 * declare const e: Effect, startSending: () => void;
 * if (e.kind === "state_event" && e.change === "handshake_ready") startSending();
 * ```
 */
export interface StateEventEffect {
  /** Discriminant. */
  kind: "state_event";
  /** Connection handle. */
  connection: bigint;
  /** The state change. */
  change: StateChangeName;
}
/**
 * A connection was created, accepted or dropped.
 *
 * @example
 * ```ts
 * declare const e: Effect, accept: (connection: bigint) => void;
 * if (e.kind === "connection_lifecycle_event" && e.event === "accepted") accept(e.connection);
 * ```
 */
export interface ConnectionLifecycleEventEffect {
  /** Discriminant. */
  kind: "connection_lifecycle_event";
  /** Connection handle. */
  connection: bigint;
  /** The lifecycle event. */
  event: LifecycleName;
}
/**
 * The server offered a preferred address.
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "peer_preferred_address_available") console.log(e.ipv4Address, e.ipv4Port);
 * ```
 */
export interface PeerPreferredAddressAvailableEffect {
  /** Discriminant. */
  kind: "peer_preferred_address_available";
  /** Connection handle. */
  connection: bigint;
  /** IPv4 address (4 bytes). */
  ipv4Address: Uint8Array;
  /** IPv4 port. */
  ipv4Port: number;
  /** IPv6 address (16 bytes). */
  ipv6Address: Uint8Array;
  /** IPv6 port. */
  ipv6Port: number;
  /** Connection ID. */
  connectionId: Uint8Array;
  /** Stateless reset token. */
  statelessResetToken: Uint8Array;
}
/**
 * Session state for resumption.
 *
 * @example
 * ```ts
 * declare const e: Effect, cache: Map<string, Uint8Array>, host: string;
 * if (e.kind === "resumption_state_available") cache.set(host, e.serialized);
 * ```
 */
export interface ResumptionStateAvailableEffect {
  /** Discriminant. */
  kind: "resumption_state_available";
  /** Connection handle. */
  connection: bigint;
  /** Serialized resumption state (give it to `ClientConnectionConfig.resumptionState`). */
  serialized: Uint8Array;
}
/**
 * 0-RTT outcome (`ZeroRttStatus` value).
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "zero_rtt_status_event") console.log(e.status);
 * ```
 */
export interface ZeroRttStatusEventEffect {
  /** Discriminant. */
  kind: "zero_rtt_status_event";
  /** Connection handle. */
  connection: bigint;
  /** The 0-RTT status (`ZeroRttStatus`). */
  status: number;
}
/**
 * A packet inspection record (only libraries that support it emit these).
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "packet_inspection") console.log(e.packetType, e.packetNumber);
 * ```
 */
export interface PacketInspectionEffect {
  /** Discriminant. */
  kind: "packet_inspection";
  /** Connection handle. */
  connection: bigint;
  /** `PacketInspectionDirection` value. */
  direction: number;
  /** `PacketInspectionPacketType` value. */
  packetType: number;
  /** Datagram sequence number. */
  datagramId: bigint;
  /** Datagram length, bytes. */
  datagramLength: number;
  /** Offset of the packet in the datagram. */
  datagramOffset: number;
  /** Packet length, bytes. */
  packetLength: number;
  /** QUIC version. */
  version: number;
  /** Destination connection ID. */
  destinationConnectionId: Uint8Array;
  /** Source connection ID. */
  sourceConnectionId: Uint8Array;
  /** The token. */
  token: Uint8Array;
  /** Spin bit. */
  spinBit: boolean;
  /** Key phase. */
  keyPhase: number;
  /** Packet number length, bytes. */
  packetNumberLength: number;
  /** Packet number. */
  packetNumber: bigint;
  /** The packet as sent or received. */
  encryptedPacket: Uint8Array;
  /** The decrypted payload. */
  plaintextPayload: Uint8Array;
}
/**
 * A NEW_TOKEN for future connections.
 *
 * @example
 * ```ts
 * declare const e: Effect, tokens: Map<string, Uint8Array>, host: string;
 * if (e.kind === "new_token_available") tokens.set(host, e.token);
 * ```
 */
export interface NewTokenAvailableEffect {
  /** Discriminant. */
  kind: "new_token_available";
  /** Connection handle. */
  connection: bigint;
  /** The token. */
  token: Uint8Array;
}
/**
 * The engine closed a stream: both directions are done (or reset) and no further effect names
 * it (extension, only when the endpoint asked for stream effects).
 *
 * @example
 * ```ts
 * declare const e: Effect, streams: Map<bigint, unknown>;
 * if (e.kind === "stream_closed") streams.delete(e.streamId);
 * ```
 */
export interface StreamClosedEffect {
  /** Discriminant. */
  kind: "stream_closed";
  /** Connection handle. */
  connection: bigint;
  /** Stream ID. */
  streamId: bigint;
  /** Application error code (0n when none). */
  applicationErrorCode: bigint;
}
/**
 * The peer acknowledged data of a stream (extension, at most one per stream per result).
 *
 * @example
 * ```ts
 * declare const e: Effect, wakeWriter: (stream: bigint) => void;
 * if (e.kind === "stream_acked" && e.unacknowledged === 0n) wakeWriter(e.streamId);
 * ```
 */
export interface StreamAckedEffect {
  /** Discriminant. */
  kind: "stream_acked";
  /** Connection handle. */
  connection: bigint;
  /** Stream ID. */
  streamId: bigint;
  /** Bytes of the stream's send side still unacknowledged. */
  unacknowledged: bigint;
}
/**
 * ngtcp2 finished validating a path (extension, only when the endpoint asked for path
 * effects): a client's migration to `routeHandle` succeeded, or failed and the connection is
 * back on its previous path.
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "path_validation" && !e.succeeded) console.warn("migration failed");
 * ```
 */
export interface PathValidationEffect {
  /** Discriminant. */
  kind: "path_validation";
  /** Connection handle. */
  connection: bigint;
  /** The route of the path that was validated (undefined: the default route). */
  routeHandle?: bigint;
  /** Whether the peer answered the path challenge in time. */
  succeeded: boolean;
}
/**
 * An effect kind this binding does not know (a newer library).
 *
 * @example
 * ```ts
 * declare const e: Effect;
 * if (e.kind === "unknown") console.warn("newer library: effect kind", e.code);
 * ```
 */
export interface UnknownEffect {
  /** Discriminant. */
  kind: "unknown";
  /** The raw effect kind. */
  code: number;
  /** Connection handle. */
  connection: bigint;
}

/**
 * Any effect: a discriminated union on `kind`.
 *
 * @example
 * ```ts
 * import type { QueryResult } from "./result.ts";
 * declare const result: QueryResult;
 * const sends = result.effects.filter((e): e is SendDatagramEffect => e.kind === "send_datagram");
 * ```
 */
export type Effect =
  | SendDatagramEffect
  | ReceiveStreamDataEffect
  | ReceiveDatagramDataEffect
  | PeerResetStreamEffect
  | PeerStopSendingEffect
  | StateEventEffect
  | ConnectionLifecycleEventEffect
  | PeerPreferredAddressAvailableEffect
  | ResumptionStateAvailableEffect
  | ZeroRttStatusEventEffect
  | PacketInspectionEffect
  | NewTokenAvailableEffect
  | StreamClosedEffect
  | StreamAckedEffect
  | PathValidationEffect
  | UnknownEffect;
