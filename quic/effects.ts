/**
 * Effects: everything a call asks the caller to do or tells it happened, as a discriminated
 * union on `kind` (the Python binding's kind strings). Decoded from `coquic_effect_t`
 * records by `ffi/structs.ts`; byte payloads are copies, so effects outlive the native result.
 *
 * @example
 * ```ts
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
 * if (e.kind === "send_datagram") socket.send(e.bytes, routes.get(e.routeHandle));
 * ```
 */
export interface SendDatagramEffect {
  kind: "send_datagram";
  connection: bigint;
  routeHandle?: bigint;
  bytes: Uint8Array;
  ecn: number;
  isPmtuProbe: boolean;
}
/**
 * Stream bytes received at `offset`.
 *
 * @example
 * ```ts
 * if (e.kind === "receive_stream_data") sink.write(e.streamId, e.offset, e.bytes, e.fin);
 * ```
 */
export interface ReceiveStreamDataEffect {
  kind: "receive_stream_data";
  connection: bigint;
  streamId: bigint;
  offset: bigint;
  bytes: Uint8Array;
  fin: boolean;
  finalSize?: bigint;
}
/**
 * A DATAGRAM frame received.
 *
 * @example
 * ```ts
 * if (e.kind === "receive_datagram_data") console.log(e.bytes.length);
 * ```
 */
export interface ReceiveDatagramDataEffect {
  kind: "receive_datagram_data";
  connection: bigint;
  bytes: Uint8Array;
}
/**
 * The peer reset its sending side of a stream.
 *
 * @example
 * ```ts
 * if (e.kind === "peer_reset_stream") console.log(e.streamId, e.applicationErrorCode);
 * ```
 */
export interface PeerResetStreamEffect {
  kind: "peer_reset_stream";
  connection: bigint;
  streamId: bigint;
  applicationErrorCode: bigint;
  finalSize: bigint;
}
/**
 * The peer asked us to stop sending on a stream.
 *
 * @example
 * ```ts
 * if (e.kind === "peer_stop_sending") conn.resetStream(e.streamId, e.applicationErrorCode, now);
 * ```
 */
export interface PeerStopSendingEffect {
  kind: "peer_stop_sending";
  connection: bigint;
  streamId: bigint;
  applicationErrorCode: bigint;
}
/**
 * Handshake progress or failure.
 *
 * @example
 * ```ts
 * if (e.kind === "state_event" && e.change === "handshake_ready") startSending();
 * ```
 */
export interface StateEventEffect {
  kind: "state_event";
  connection: bigint;
  change: StateChangeName;
}
/**
 * A connection was created, accepted or dropped.
 *
 * @example
 * ```ts
 * if (e.kind === "connection_lifecycle_event" && e.event === "accepted") accept(e.connection);
 * ```
 */
export interface ConnectionLifecycleEventEffect {
  kind: "connection_lifecycle_event";
  connection: bigint;
  event: LifecycleName;
}
/**
 * The server offered a preferred address.
 *
 * @example
 * ```ts
 * if (e.kind === "peer_preferred_address_available") console.log(e.ipv4Address, e.ipv4Port);
 * ```
 */
export interface PeerPreferredAddressAvailableEffect {
  kind: "peer_preferred_address_available";
  connection: bigint;
  ipv4Address: Uint8Array;
  ipv4Port: number;
  ipv6Address: Uint8Array;
  ipv6Port: number;
  connectionId: Uint8Array;
  statelessResetToken: Uint8Array;
}
/**
 * Session state for resumption.
 *
 * @example
 * ```ts
 * if (e.kind === "resumption_state_available") cache.set(host, e.serialized);
 * ```
 */
export interface ResumptionStateAvailableEffect {
  kind: "resumption_state_available";
  connection: bigint;
  serialized: Uint8Array;
}
/**
 * 0-RTT outcome (`ZeroRttStatus` value).
 *
 * @example
 * ```ts
 * if (e.kind === "zero_rtt_status_event") console.log(e.status);
 * ```
 */
export interface ZeroRttStatusEventEffect {
  kind: "zero_rtt_status_event";
  connection: bigint;
  status: number;
}
/**
 * A packet inspection record (only libraries that support it emit these).
 *
 * @example
 * ```ts
 * if (e.kind === "packet_inspection") console.log(e.packetType, e.packetNumber);
 * ```
 */
export interface PacketInspectionEffect {
  kind: "packet_inspection";
  connection: bigint;
  /** `PacketInspectionDirection` value. */
  direction: number;
  /** `PacketInspectionPacketType` value. */
  packetType: number;
  datagramId: bigint;
  datagramLength: number;
  datagramOffset: number;
  packetLength: number;
  version: number;
  destinationConnectionId: Uint8Array;
  sourceConnectionId: Uint8Array;
  token: Uint8Array;
  spinBit: boolean;
  keyPhase: number;
  packetNumberLength: number;
  packetNumber: bigint;
  encryptedPacket: Uint8Array;
  plaintextPayload: Uint8Array;
}
/**
 * A NEW_TOKEN for future connections.
 *
 * @example
 * ```ts
 * if (e.kind === "new_token_available") tokens.set(host, e.token);
 * ```
 */
export interface NewTokenAvailableEffect {
  kind: "new_token_available";
  connection: bigint;
  token: Uint8Array;
}
/**
 * An effect kind this binding does not know (a newer library).
 *
 * @example
 * ```ts
 * if (e.kind === "unknown") console.warn("newer library: effect kind", e.code);
 * ```
 */
export interface UnknownEffect {
  kind: "unknown";
  code: number;
  connection: bigint;
}

/**
 * Any effect: a discriminated union on `kind`.
 *
 * @example
 * ```ts
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
  | UnknownEffect;
