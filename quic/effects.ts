/**
 * Effects: everything a call asks the caller to do or tells it happened, decoded from
 * `coquic_effect_t` records. Byte payloads are copied out of native memory, so effects
 * outlive the native result.
 *
 * @module
 */
import * as L from "../ffi/layout.ts";
import { EffectKind } from "../ffi/abi.ts";
import type { FfiRuntime } from "../runtimes/ffi_types.ts";

/** `coquic_state_change_t` names. */
export type StateChangeName = "handshake_ready" | "handshake_confirmed" | "failed";
/** `coquic_lifecycle_t` names. */
export type LifecycleName = "created" | "accepted" | "closed";

/** A datagram to send to `routeHandle` (or the default route when undefined). */
export interface SendDatagramEffect {
  kind: "send_datagram";
  connection: bigint;
  routeHandle?: bigint;
  bytes: Uint8Array;
  ecn: number;
  isPmtuProbe: boolean;
}
/** Stream bytes received at `offset`. */
export interface ReceiveStreamDataEffect {
  kind: "receive_stream_data";
  connection: bigint;
  streamId: bigint;
  offset: bigint;
  bytes: Uint8Array;
  fin: boolean;
  finalSize?: bigint;
}
/** A DATAGRAM frame received. */
export interface ReceiveDatagramDataEffect {
  kind: "receive_datagram_data";
  connection: bigint;
  bytes: Uint8Array;
}
/** The peer reset its sending side of a stream. */
export interface PeerResetStreamEffect {
  kind: "peer_reset_stream";
  connection: bigint;
  streamId: bigint;
  applicationErrorCode: bigint;
  finalSize: bigint;
}
/** The peer asked us to stop sending on a stream. */
export interface PeerStopSendingEffect {
  kind: "peer_stop_sending";
  connection: bigint;
  streamId: bigint;
  applicationErrorCode: bigint;
}
/** Handshake progress or failure. */
export interface StateEventEffect {
  kind: "state_event";
  connection: bigint;
  change: StateChangeName;
}
/** A connection was created, accepted or dropped. */
export interface ConnectionLifecycleEventEffect {
  kind: "connection_lifecycle_event";
  connection: bigint;
  event: LifecycleName;
}
/** The server offered a preferred address. */
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
/** Session state for resumption. */
export interface ResumptionStateAvailableEffect {
  kind: "resumption_state_available";
  connection: bigint;
  serialized: Uint8Array;
}
/** 0-RTT outcome (`ZeroRttStatus` value). */
export interface ZeroRttStatusEventEffect {
  kind: "zero_rtt_status_event";
  connection: bigint;
  status: number;
}
/** A packet inspection record (only libraries that support it emit these). */
export interface PacketInspectionEffect {
  kind: "packet_inspection";
  connection: bigint;
  direction: number;
  packetType: number;
  datagramId: bigint;
  packetNumber: bigint;
  version: number;
}
/** A NEW_TOKEN for future connections. */
export interface NewTokenAvailableEffect {
  kind: "new_token_available";
  connection: bigint;
  token: Uint8Array;
}
/** An effect kind this binding does not know (a newer library). */
export interface UnknownEffect {
  kind: "unknown";
  code: number;
  connection: bigint;
}

/** Any effect. */
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

const EMPTY = new Uint8Array(0);
const STATE_NAMES: StateChangeName[] = ["handshake_ready", "handshake_confirmed", "failed"];
const LIFECYCLE_NAMES: LifecycleName[] = ["created", "accepted", "closed"];

/** Copies the `{pointer, length}` view at `at` out of native memory. */
export function copyView(ffi: FfiRuntime, view: DataView, at: number): Uint8Array {
  const length = Number(view.getBigUint64(at + 8, true));
  const out = new Uint8Array(length);
  if (length > 0) ffi.copyInto(view.getBigUint64(at, true), out);
  return out;
}

/**
 * Decodes the `coquic_effect_t` at byte `base` of `view`.
 *
 * @example
 * ```ts
 * const e = decodeEffect(lib.ffi, view, 0);
 * if (e.kind === "send_datagram") socket.send(e.bytes);
 * ```
 */
export function decodeEffect(ffi: FfiRuntime, view: DataView, base: number, skipDatagramBytes = false): Effect {
  const E = L.Effect;
  const kind = view.getUint8(base + E.kind);
  const connection = view.getBigUint64(base + E.connection, true);
  const u64 = (off: number) => view.getBigUint64(base + off, true);
  const u8 = (off: number) => view.getUint8(base + off);
  const bytes = (off: number) => copyView(ffi, view, base + off);
  switch (kind) {
    case EffectKind.SEND_DATAGRAM: {
      const d = E.send_datagram;
      return {
        kind: "send_datagram",
        connection,
        routeHandle: u8(d.route_handle) ? u64(d.route_handle + 8) : undefined,
        bytes: skipDatagramBytes ? EMPTY : bytes(d.bytes),
        ecn: u8(d.ecn),
        isPmtuProbe: u8(d.is_pmtu_probe) !== 0,
      };
    }
    case EffectKind.RECEIVE_STREAM_DATA: {
      const d = E.receive_stream_data;
      return {
        kind: "receive_stream_data",
        connection,
        streamId: u64(d.stream_id),
        offset: u64(d.offset),
        bytes: bytes(d.bytes),
        fin: u8(d.fin) !== 0,
        finalSize: u8(d.final_size) ? u64(d.final_size + 8) : undefined,
      };
    }
    case EffectKind.RECEIVE_DATAGRAM_DATA:
      return { kind: "receive_datagram_data", connection, bytes: bytes(E.receive_datagram_data.bytes) };
    case EffectKind.PEER_RESET_STREAM: {
      const d = E.peer_reset_stream;
      return {
        kind: "peer_reset_stream",
        connection,
        streamId: u64(d.stream_id),
        applicationErrorCode: u64(d.application_error_code),
        finalSize: u64(d.final_size),
      };
    }
    case EffectKind.PEER_STOP_SENDING: {
      const d = E.peer_stop_sending;
      return {
        kind: "peer_stop_sending",
        connection,
        streamId: u64(d.stream_id),
        applicationErrorCode: u64(d.application_error_code),
      };
    }
    case EffectKind.STATE_EVENT:
      return { kind: "state_event", connection, change: STATE_NAMES[u8(E.state_event.change)] ?? "failed" };
    case EffectKind.CONNECTION_LIFECYCLE_EVENT:
      return {
        kind: "connection_lifecycle_event",
        connection,
        event: LIFECYCLE_NAMES[u8(E.connection_lifecycle_event.event)] ?? "closed",
      };
    case EffectKind.PEER_PREFERRED_ADDRESS_AVAILABLE: {
      const d = E.peer_preferred_address_available;
      const raw = (off: number, n: number) => new Uint8Array(view.buffer.slice(view.byteOffset + base + off, view.byteOffset + base + off + n));
      return {
        kind: "peer_preferred_address_available",
        connection,
        ipv4Address: raw(d.ipv4_address, 4),
        ipv4Port: view.getUint16(base + d.ipv4_port, true),
        ipv6Address: raw(d.ipv6_address, 16),
        ipv6Port: view.getUint16(base + d.ipv6_port, true),
        connectionId: bytes(d.connection_id),
        statelessResetToken: raw(d.stateless_reset_token, 16),
      };
    }
    case EffectKind.RESUMPTION_STATE_AVAILABLE:
      return { kind: "resumption_state_available", connection, serialized: bytes(E.resumption_state_available.serialized) };
    case EffectKind.ZERO_RTT_STATUS_EVENT:
      return { kind: "zero_rtt_status_event", connection, status: u8(E.zero_rtt_status_event.status) };
    case EffectKind.PACKET_INSPECTION: {
      const d = E.packet_inspection;
      return {
        kind: "packet_inspection",
        connection,
        direction: u8(d.direction),
        packetType: u8(d.packet_type),
        datagramId: u64(d.datagram_id),
        packetNumber: u64(d.packet_number),
        version: view.getUint32(base + d.version, true),
      };
    }
    case EffectKind.NEW_TOKEN_AVAILABLE:
      return { kind: "new_token_available", connection, token: bytes(E.new_token_available.token) };
    default:
      return { kind: "unknown", code: kind, connection };
  }
}
