/**
 * The quic layer's codec: every struct encode and decode of the binding, in one place, over
 * the layouts of `ffi/abi.ts`. Inputs are written into reusable scratch buffers through a DataView (no
 * per-call allocation of struct memory); nested byte ranges are referenced by address and
 * kept alive by the scratch until its `reset()`, right after the native call. Outputs are
 * decoded into the value model of `quic/`, copying every byte view out of native memory.
 *
 * @module
 */
import { CloseSource, ConnectionInputKind, EffectKind, Layout as L, NO_ROUTE, XEffectKind } from "../ffi/abi.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import type { FfiRuntime } from "../runtimes/ffi_types.ts";
import { bool, bytes, errorCode, intIn, streamId, text, u64, usize } from "./args.ts";
import type { ClientConnectionConfig, EndpointConfig, TransportConfig, ZeroRttConfig } from "./config.ts";
import type { Effect, LifecycleName, SendDatagramEffect, StateChangeName } from "./effects.ts";
import type { ConnectionInput, InboundDatagram, PathMtuUpdate } from "./inputs.ts";
import type { CloseInfo, ConnectionStats } from "./stats.ts";
import { LocalError } from "./errors.ts";

// ---- scratch buffers ------------------------------------------------------------------

/**
 * A reusable input buffer for one struct plus the byte ranges it points at. `range()` and
 * `pointer()` keep their data alive (by reference) until `reset()`, which the owner calls
 * after the native call.
 *
 * @example
 * ```ts
 * import { Layout } from "../ffi/abi.ts";
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, payload: Uint8Array, native: (struct: Uint8Array) => void;
 * const s = new Scratch(Layout.SendDatagramData.size, lib.ffi);
 * s.range(Layout.SendDatagramData.bytes, payload);
 * native(s.bytes);
 * s.reset();
 * ```
 */
export class Scratch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  #keep: Uint8Array[] = [];

  constructor(size: number, private ffi: FfiRuntime) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Zeroes the struct and releases kept ranges. */
  reset(): this {
    this.bytes.fill(0);
    this.#keep.length = 0;
    return this;
  }

  /** Writes a `{pointer, length}` pair at `offset` for `data` (kept alive until reset). */
  range(offset: number, data: Uint8Array | undefined): void {
    if (!data || data.length === 0) {
      this.view.setBigUint64(offset, 0n, true);
      this.view.setBigUint64(offset + 8, 0n, true);
      return;
    }
    this.#keep.push(data);
    this.view.setBigUint64(offset, this.ffi.addressOf(data), true);
    this.view.setBigUint64(offset + 8, BigInt(data.length), true);
  }

  /** Writes a pointer at `offset` to `data` (kept alive until reset); NULL for undefined. */
  pointer(offset: number, data: Uint8Array | undefined): void {
    if (data) this.#keep.push(data);
    this.view.setBigUint64(offset, data ? this.ffi.addressOf(data) : 0n, true);
  }

  /** Writes a 16-byte optional `{u8 has_value; u64 value}` at `offset`. */
  optional(offset: number, value: bigint | undefined): void {
    this.view.setUint8(offset, value === undefined ? 0 : 1);
    this.view.setBigUint64(offset + 8, value ?? 0n, true);
  }

  /** Writes the leading `size_t size` of a size-gated struct at `offset`. */
  size(offset: number, size: number): void {
    this.view.setBigUint64(offset, BigInt(size), true);
  }
}

// ---- flat field tables --------------------------------------------------------------------

/** Field kinds of flat structs: `u64` decodes as bigint, `usize` as number. */
type FieldType = "u8" | "bool" | "u32" | "u64" | "usize";

/** A table-described flat field: [property, offset, type]. */
type FieldSpec = readonly [string, number, FieldType];

const T = L.TransportConfig;
const TRANSPORT_FIELDS: readonly FieldSpec[] = [
  ["maxIdleTimeout", T.max_idle_timeout, "u64"],
  ["maxUdpPayloadSize", T.max_udp_payload_size, "u64"],
  ["pmtudEnabled", T.pmtud_enabled, "bool"],
  ["pmtudBaseDatagramSize", T.pmtud_base_datagram_size, "usize"],
  ["pmtudMaxDatagramSize", T.pmtud_max_datagram_size, "usize"],
  ["activeConnectionIdLimit", T.active_connection_id_limit, "u64"],
  ["disableActiveMigration", T.disable_active_migration, "bool"],
  ["deferActiveMigrationPathValidation", T.defer_active_migration_path_validation, "bool"],
  ["migrationRecoveryRetentionTimeoutUs", T.migration_recovery_retention_timeout_us, "u64"],
  ["ackDelayExponent", T.ack_delay_exponent, "u64"],
  ["maxAckDelay", T.max_ack_delay, "u64"],
  ["ackElicitingThreshold", T.ack_eliciting_threshold, "u64"],
  ["initialMaxData", T.initial_max_data, "u64"],
  ["initialMaxStreamDataBidiLocal", T.initial_max_stream_data_bidi_local, "u64"],
  ["initialMaxStreamDataBidiRemote", T.initial_max_stream_data_bidi_remote, "u64"],
  ["initialMaxStreamDataUni", T.initial_max_stream_data_uni, "u64"],
  ["initialMaxStreamsBidi", T.initial_max_streams_bidi, "u64"],
  ["initialMaxStreamsUni", T.initial_max_streams_uni, "u64"],
  ["maxDatagramFrameSize", T.max_datagram_frame_size, "u64"],
  ["congestionControl", T.congestion_control, "u8"],
  ["enableHystartPlusPlus", T.enable_hystart_plus_plus, "bool"],
  ["sendStreamFairness", T.send_stream_fairness, "bool"],
  ["enableLatencySpinBit", T.enable_latency_spin_bit, "bool"],
  ["greaseReservedVersions", T.grease_reserved_versions, "bool"],
  ["greaseQuicBit", T.grease_quic_bit, "bool"],
  ["enableOptimisticAckMitigation", T.enable_optimistic_ack_mitigation, "bool"],
  ["underfilledPacketCoalescingDelayUs", T.underfilled_packet_coalescing_delay_us, "u64"],
  ["ecnPolicy", T.ecn_policy, "u8"],
  ["pmtudProvisionalIcmpReductions", T.pmtud_provisional_icmp_reductions, "bool"],
];

const E = L.EndpointConfig;
const ENDPOINT_SCALAR_FIELDS: readonly FieldSpec[] = [
  ["role", E.role, "u8"],
  ["verifyPeer", E.verify_peer, "bool"],
  ["retryEnabled", E.retry_enabled, "bool"],
  ["maxOutboundDatagramSize", E.max_outbound_datagram_size, "usize"],
  ["emitSharedReceiveStreamData", E.emit_shared_receive_stream_data, "bool"],
  ["enablePacketInspection", E.enable_packet_inspection, "bool"],
  ["allowPeerAddressChange", E.allow_peer_address_change, "bool"],
  ["maxServerConnections", E.max_server_connections, "usize"],
  ["enableOutOfOrderReceive", E.enable_out_of_order_receive, "bool"],
  ["enableReservedVersionProbe", E.enable_reserved_version_probe, "bool"],
  ["enableLongHeaderStatelessReset", E.enable_long_header_stateless_reset, "bool"],
  ["enableMinimalClosingStateRetention", E.enable_minimal_closing_state_retention, "bool"],
  ["retryHandshakeValidationPolicy", E.retry_handshake_validation_policy, "u8"],
];

const O = L.OrphanZeroRttBufferConfig;
const ORPHAN_FIELDS: readonly FieldSpec[] = [
  ["maxPackets", O.max_packets, "usize"],
  ["maxBytes", O.max_bytes, "usize"],
  ["maxAgeUs", O.max_age_us, "u64"],
];

const Z = L.ZeroRttConfig;
const ZERO_RTT_FIELDS: readonly FieldSpec[] = [
  ["attempt", Z.attempt, "bool"],
  ["allow", Z.allow, "bool"],
  ["strictUpdatedTransportParameters", Z.strict_updated_transport_parameters, "bool"],
];

const C = L.ClientConnectionConfig;
const CLIENT_SCALAR_FIELDS: readonly FieldSpec[] = [
  ["originalVersion", C.original_version, "u32"],
  ["initialVersion", C.initial_version, "u32"],
  ["reactedToVersionNegotiation", C.reacted_to_version_negotiation, "bool"],
];

function readFields<V>(view: DataView, base: number, fields: readonly FieldSpec[]): V {
  const out: Record<string, unknown> = {};
  for (const [name, off, type] of fields) {
    const at = base + off;
    out[name] = type === "bool"
      ? view.getUint8(at) !== 0
      : type === "u8"
      ? view.getUint8(at)
      : type === "u32"
      ? view.getUint32(at, true)
      : type === "u64"
      ? view.getBigUint64(at, true)
      : Number(view.getBigUint64(at, true));
  }
  return out as V;
}

function writeFields(view: DataView, base: number, fields: readonly FieldSpec[], values: unknown, where: string): void {
  if (typeof values !== "object" || values === null) throw new TypeError(`${where} must be an object`);
  const v = values as Record<string, unknown>;
  for (const [name, off, type] of fields) {
    const at = base + off;
    const what = `${where}.${name}`;
    if (type === "bool") view.setUint8(at, bool(v[name], what) ? 1 : 0);
    else if (type === "u8") view.setUint8(at, intIn(v[name], what, 0, 0xff));
    else if (type === "u32") view.setUint32(at, intIn(v[name], what, 0, 0xffffffff), true);
    else if (type === "u64") view.setBigUint64(at, u64(v[name], what), true);
    else view.setBigUint64(at, BigInt(usize(v[name], what)), true);
  }
}

// ---- configuration ------------------------------------------------------------------

const defaultsBuffer = new Uint8Array(L.EndpointConfig.size); // the largest init target
const defaultsView = new DataView(defaultsBuffer.buffer);
const utf8 = new TextDecoder();

function initDefaults(lib: CoquicLibrary, init: string): DataView {
  defaultsBuffer.fill(0);
  lib.symbols[init](defaultsBuffer);
  return defaultsView;
}

function readZeroRtt(view: DataView, at: number): ZeroRttConfig {
  return {
    ...readFields<Omit<ZeroRttConfig, "applicationContext">>(view, at, ZERO_RTT_FIELDS),
    applicationContext: new Uint8Array(0),
  };
}

function writeZeroRtt(s: Scratch, at: number, z: ZeroRttConfig, where: string): void {
  writeFields(s.view, at, ZERO_RTT_FIELDS, z, where);
  s.range(
    at + Z.application_context,
    z.applicationContext === undefined ? undefined : bytes(z.applicationContext, `${where}.applicationContext`),
  );
}

/**
 * The library's default transport config (`coquic_transport_config_init`).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary;
 * readTransportConfigDefaults(lib).initialMaxStreamsBidi; // 16n
 * ```
 */
export function readTransportConfigDefaults(lib: CoquicLibrary): TransportConfig {
  return readFields(initDefaults(lib, "coquic_transport_config_init"), 0, TRANSPORT_FIELDS);
}

/**
 * The library's default endpoint config (`coquic_endpoint_config_init`).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary;
 * readEndpointConfigDefaults(lib).applicationProtocol; // "coquic"
 * ```
 */
export function readEndpointConfigDefaults(lib: CoquicLibrary): EndpointConfig {
  const view = initDefaults(lib, "coquic_endpoint_config_init");
  const alpn = lib.ffi.copyOut(
    view.getBigUint64(E.application_protocol, true),
    Number(view.getBigUint64(E.application_protocol_length, true)),
  );
  return {
    ...readFields<
      Omit<
        EndpointConfig,
        "supportedVersions" | "applicationProtocol" | "transport" | "zeroRtt" | "orphanZeroRttBuffer"
      >
    >(
      view,
      0,
      ENDPOINT_SCALAR_FIELDS,
    ),
    supportedVersions: [],
    applicationProtocol: utf8.decode(alpn),
    identity: undefined,
    transport: readFields<TransportConfig>(view, E.transport, TRANSPORT_FIELDS),
    zeroRtt: readZeroRtt(view, E.zero_rtt),
    orphanZeroRttBuffer: readFields(view, E.orphan_zero_rtt_buffer, ORPHAN_FIELDS),
  };
}

/**
 * The library's default client connection config (`coquic_client_connection_config_init`).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary;
 * readClientConnectionConfigDefaults(lib).serverName; // "localhost"
 * ```
 */
export function readClientConnectionConfigDefaults(lib: CoquicLibrary): ClientConnectionConfig {
  const view = initDefaults(lib, "coquic_client_connection_config_init");
  const name = lib.ffi.copyOut(
    view.getBigUint64(C.server_name, true),
    Number(view.getBigUint64(C.server_name_length, true)),
  );
  return {
    sourceConnectionId: new Uint8Array(0),
    initialDestinationConnectionId: new Uint8Array(0),
    retryToken: new Uint8Array(0),
    ...readFields<Pick<ClientConnectionConfig, "originalVersion" | "initialVersion" | "reactedToVersionNegotiation">>(
      view,
      0,
      CLIENT_SCALAR_FIELDS,
    ),
    serverName: utf8.decode(name),
    zeroRtt: readZeroRtt(view, C.zero_rtt),
  };
}

/**
 * Encodes an endpoint config into `s` (its TLS identity into `identity`); every field is
 * validated first-to-last with an `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * import type { EndpointConfig } from "./config.ts";
 * declare const lib: CoquicLibrary, config: EndpointConfig, struct: Scratch, identity: Scratch, out: Uint8Array;
 * encodeEndpointConfig(struct, config, identity);
 * lib.symbols.coquic_endpoint_create(struct.bytes, out);
 * ```
 */
export function encodeEndpointConfig(s: Scratch, c: EndpointConfig, identity: Scratch): void {
  s.reset();
  identity.reset();
  if (typeof c !== "object" || c === null) throw new TypeError("EndpointConfig must be an object");
  s.size(0, E.size);
  writeFields(s.view, 0, ENDPOINT_SCALAR_FIELDS, c, "EndpointConfig");
  writeFields(s.view, E.transport, TRANSPORT_FIELDS, c.transport, "EndpointConfig.transport");
  if (!Array.isArray(c.supportedVersions)) throw new TypeError("EndpointConfig.supportedVersions must be an array");
  if (c.supportedVersions.length > 0) {
    const versions = new Uint8Array(4 * c.supportedVersions.length);
    const vv = new DataView(versions.buffer);
    c.supportedVersions.forEach((x, i) =>
      vv.setUint32(4 * i, intIn(x, `EndpointConfig.supportedVersions[${i}]`, 0, 0xffffffff), true)
    );
    s.pointer(E.supported_versions, versions);
    s.view.setBigUint64(E.supported_versions_count, BigInt(c.supportedVersions.length), true);
  }
  s.range(E.application_protocol, text(c.applicationProtocol, "EndpointConfig.applicationProtocol"));
  if (c.identity !== undefined) {
    identity.range(L.TlsIdentity.certificate_pem, text(c.identity.certificatePem, "identity.certificatePem"));
    identity.range(L.TlsIdentity.private_key_pem, text(c.identity.privateKeyPem, "identity.privateKeyPem"));
    s.pointer(E.identity, identity.bytes);
  }
  writeZeroRtt(s, E.zero_rtt, c.zeroRtt, "EndpointConfig.zeroRtt");
  writeFields(
    s.view,
    E.orphan_zero_rtt_buffer,
    ORPHAN_FIELDS,
    c.orphanZeroRttBuffer,
    "EndpointConfig.orphanZeroRttBuffer",
  );
}

/**
 * Encodes a `coquic_open_connection_t` into `s` (a resumption state into `resumption`).
 *
 * @example
 * ```ts
 * import type { ClientConnectionConfig } from "./config.ts";
 * declare const open: Scratch, resumption: Scratch, cc: ClientConnectionConfig;
 * encodeOpenConnection(open, cc, 1n, new Uint8Array(0), resumption);
 * ```
 */
export function encodeOpenConnection(
  s: Scratch,
  cc: ClientConnectionConfig,
  initialRouteHandle: bigint,
  addressValidationIdentity: Uint8Array,
  resumption: Scratch,
): void {
  s.reset();
  resumption.reset();
  const b = L.OpenConnection.connection;
  const w = "ClientConnectionConfig";
  s.size(0, L.OpenConnection.size);
  s.size(b, C.size);
  s.range(b + C.source_connection_id, bytes(cc.sourceConnectionId, `${w}.sourceConnectionId`));
  s.range(
    b + C.initial_destination_connection_id,
    bytes(cc.initialDestinationConnectionId, `${w}.initialDestinationConnectionId`),
  );
  if (cc.originalDestinationConnectionId !== undefined) {
    s.range(
      b + C.original_destination_connection_id,
      bytes(cc.originalDestinationConnectionId, `${w}.originalDestinationConnectionId`),
    );
    s.view.setUint8(b + C.has_original_destination_connection_id, 1);
  }
  if (cc.retrySourceConnectionId !== undefined) {
    s.range(b + C.retry_source_connection_id, bytes(cc.retrySourceConnectionId, `${w}.retrySourceConnectionId`));
    s.view.setUint8(b + C.has_retry_source_connection_id, 1);
  }
  s.range(b + C.retry_token, bytes(cc.retryToken, `${w}.retryToken`));
  writeFields(s.view, b, CLIENT_SCALAR_FIELDS, cc, w);
  s.range(b + C.server_name, text(cc.serverName, `${w}.serverName`));
  if (cc.resumptionState !== undefined) {
    resumption.range(L.ResumptionState.serialized, bytes(cc.resumptionState, `${w}.resumptionState`));
    s.pointer(b + C.resumption_state, resumption.bytes);
  }
  writeZeroRtt(s, b + C.zero_rtt, cc.zeroRtt, `${w}.zeroRtt`);
  s.view.setBigUint64(L.OpenConnection.initial_route_handle, initialRouteHandle, true);
  s.range(L.OpenConnection.address_validation_identity, addressValidationIdentity);
}

// ---- inputs ---------------------------------------------------------------------------

const optionalRoute = (v: unknown) => v === undefined ? undefined : u64(v, "routeHandle");

/**
 * Encodes a `coquic_inbound_datagram_t` into `s`.
 *
 * @example
 * ```ts
 * declare const scratch: Scratch, packet: Uint8Array;
 * encodeInboundDatagram(scratch, { bytes: packet, routeHandle: 1n });
 * ```
 */
export function encodeInboundDatagram(s: Scratch, d: InboundDatagram): void {
  s.reset();
  const I = L.InboundDatagram;
  if (typeof d !== "object" || d === null) throw new TypeError("InboundDatagram must be an object");
  s.size(0, I.size);
  s.range(I.bytes, bytes(d.bytes, "datagram.bytes"));
  s.optional(I.route_handle, optionalRoute(d.routeHandle));
  if (d.addressValidationIdentity !== undefined) {
    s.range(I.address_validation_identity, bytes(d.addressValidationIdentity, "addressValidationIdentity"));
  }
  s.view.setUint8(I.ecn, intIn(d.ecn ?? 0, "ecn", 0, 0xff));
}

/**
 * Encodes a `coquic_path_mtu_update_t` into `s`.
 *
 * @example
 * ```ts
 * declare const scratch: Scratch;
 * encodePathMtuUpdate(scratch, { routeHandle: 1n, maxUdpPayloadSize: 1280 });
 * ```
 */
export function encodePathMtuUpdate(s: Scratch, u: PathMtuUpdate): void {
  s.reset();
  const P = L.PathMtuUpdate;
  if (typeof u !== "object" || u === null) throw new TypeError("PathMtuUpdate must be an object");
  s.size(0, P.size);
  s.optional(P.route_handle, optionalRoute(u.routeHandle));
  s.view.setBigUint64(P.max_udp_payload_size, BigInt(usize(u.maxUdpPayloadSize, "maxUdpPayloadSize")), true);
  if (u.quotedPacket !== undefined) s.range(P.quoted_packet, bytes(u.quotedPacket, "quotedPacket"));
}

const priority = (p: unknown) => p === undefined ? 0 : intIn(p, "priority", -(2 ** 31), 2 ** 31 - 1);

/**
 * Encodes a tagged `coquic_connection_input_t` into `s`.
 *
 * @example
 * ```ts
 * declare const scratch: Scratch, data: Uint8Array;
 * encodeConnectionInput(scratch, { kind: "send_stream", streamId: 0n, bytes: data, fin: true });
 * ```
 */
export function encodeConnectionInput(s: Scratch, input: ConnectionInput): void {
  s.reset();
  const v = s.view;
  const at = L.ConnectionInput.as;
  if (typeof input !== "object" || input === null) throw new TypeError("ConnectionInput must be an object");
  switch (input.kind) {
    case "send_stream": {
      const D = L.SendStreamData;
      v.setUint8(L.ConnectionInput.kind, ConnectionInputKind.SEND_STREAM);
      s.size(at, D.size);
      v.setBigUint64(at + D.stream_id, streamId(input.streamId), true);
      s.range(at + D.bytes, bytes(input.bytes, "data"));
      v.setUint8(at + D.fin, bool(input.fin, "fin") ? 1 : 0);
      v.setInt32(at + D.priority, priority(input.priority), true);
      break;
    }
    case "send_datagram": {
      const D = L.SendDatagramData;
      v.setUint8(L.ConnectionInput.kind, ConnectionInputKind.SEND_DATAGRAM);
      s.size(at, D.size);
      s.range(at + D.bytes, bytes(input.bytes, "data"));
      v.setInt32(at + D.priority, priority(input.priority), true);
      break;
    }
    case "reset_stream":
    case "stop_sending": {
      const D = L.StreamCode;
      const kind = input.kind === "reset_stream" ? ConnectionInputKind.RESET_STREAM : ConnectionInputKind.STOP_SENDING;
      v.setUint8(L.ConnectionInput.kind, kind);
      s.size(at, D.size);
      v.setBigUint64(at + D.stream_id, streamId(input.streamId), true);
      v.setBigUint64(at + D.application_error_code, errorCode(input.applicationErrorCode), true);
      break;
    }
    case "close": {
      const D = L.CloseConnection;
      v.setUint8(L.ConnectionInput.kind, ConnectionInputKind.CLOSE);
      s.size(at, D.size);
      v.setBigUint64(at + D.application_error_code, errorCode(input.applicationErrorCode), true);
      s.range(at + D.reason_phrase, input.reason === undefined ? undefined : text(input.reason, "reason"));
      break;
    }
    case "request_key_update":
      v.setUint8(L.ConnectionInput.kind, ConnectionInputKind.REQUEST_KEY_UPDATE);
      break;
    case "request_migration": {
      const D = L.RequestMigration;
      v.setUint8(L.ConnectionInput.kind, ConnectionInputKind.REQUEST_MIGRATION);
      s.size(at, D.size);
      v.setBigUint64(at + D.route_handle, u64(input.routeHandle, "routeHandle"), true);
      v.setUint8(at + D.reason, intIn(input.reason ?? 0, "reason", 0, 0xff));
      if (input.addressValidationIdentity !== undefined) {
        s.range(
          at + D.address_validation_identity,
          bytes(input.addressValidationIdentity, "addressValidationIdentity"),
        );
      }
      break;
    }
    default:
      throw new TypeError(`unknown connection input kind ${String((input as { kind: unknown }).kind)}`);
  }
}

// ---- outputs --------------------------------------------------------------------------

/**
 * Copies the `{pointer, length}` byte view at `at` out of native memory.
 *
 * @example
 * ```ts
 * import { Layout } from "../ffi/abi.ts";
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, view: DataView;
 * const reason = copyView(lib.ffi, view, Layout.CloseInfo.reason);
 * ```
 */
export function copyView(ffi: FfiRuntime, view: DataView, at: number): Uint8Array {
  const length = Number(view.getBigUint64(at + 8, true));
  return length === 0 ? new Uint8Array(0) : ffi.copyOut(view.getBigUint64(at, true), length);
}

const STATE_NAMES: StateChangeName[] = ["handshake_ready", "handshake_confirmed", "failed"];
const LIFECYCLE_NAMES: LifecycleName[] = ["created", "accepted", "closed"];

// Field readers at an absolute offset (module-level: decoding an effect allocates no closures).
const u64At = (view: DataView, at: number): bigint => view.getBigUint64(at, true);
const u8At = (view: DataView, at: number): number => view.getUint8(at);
/** A copy of `n` bytes stored inline in the record (not behind a pointer). */
const rawAt = (view: DataView, at: number, n: number): Uint8Array =>
  new Uint8Array(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + n));

/**
 * The send_datagram effects of a result already read in one batch (payloads copied), in
 * record order, and how many of them the records have claimed so far.
 *
 * @example
 * ```ts
 * const copied: CopiedDatagrams = { list: [], next: 0 };
 * ```
 */
export interface CopiedDatagrams {
  /** The effects, in order. */
  list: SendDatagramEffect[];
  /** Index of the next one a send_datagram record takes. */
  next: number;
}

/**
 * Decodes the `coquic_effect_t` at byte `base` of `view`, payloads copied out of native
 * memory. With `copied`, a send_datagram record is not decoded again: the next copied
 * effect stands for it, completed with the record's PMTU-probe flag.
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, view: DataView, socket: { send(bytes: Uint8Array): void };
 * const e = decodeEffect(lib.ffi, view, 0);
 * if (e.kind === "send_datagram") socket.send(e.bytes);
 * ```
 */
export function decodeEffect(ffi: FfiRuntime, view: DataView, base: number, copied?: CopiedDatagrams): Effect {
  const F = L.Effect;
  const kind = view.getUint8(base + F.kind);
  const connection = view.getBigUint64(base + F.connection, true);
  switch (kind) {
    case EffectKind.SEND_DATAGRAM: {
      const d = F.send_datagram;
      if (copied) {
        const e = copied.list[copied.next++];
        if (!e) throw new Error("a result has more send_datagram records than copied datagrams");
        e.isPmtuProbe = u8At(view, base + d.is_pmtu_probe) !== 0;
        return e;
      }
      return {
        kind: "send_datagram",
        connection,
        routeHandle: u8At(view, base + d.route_handle) ? u64At(view, base + d.route_handle + 8) : undefined,
        bytes: copyView(ffi, view, base + d.bytes),
        ecn: u8At(view, base + d.ecn),
        isPmtuProbe: u8At(view, base + d.is_pmtu_probe) !== 0,
      };
    }
    case EffectKind.RECEIVE_STREAM_DATA: {
      const d = F.receive_stream_data;
      return {
        kind: "receive_stream_data",
        connection,
        streamId: u64At(view, base + d.stream_id),
        offset: u64At(view, base + d.offset),
        bytes: copyView(ffi, view, base + d.bytes),
        fin: u8At(view, base + d.fin) !== 0,
        finalSize: u8At(view, base + d.final_size) ? u64At(view, base + d.final_size + 8) : undefined,
      };
    }
    case EffectKind.RECEIVE_DATAGRAM_DATA:
      return {
        kind: "receive_datagram_data",
        connection,
        bytes: copyView(ffi, view, base + F.receive_datagram_data.bytes),
      };
    case EffectKind.PEER_RESET_STREAM: {
      const d = F.peer_reset_stream;
      return {
        kind: "peer_reset_stream",
        connection,
        streamId: u64At(view, base + d.stream_id),
        applicationErrorCode: u64At(view, base + d.application_error_code),
        finalSize: u64At(view, base + d.final_size),
      };
    }
    case EffectKind.PEER_STOP_SENDING: {
      const d = F.peer_stop_sending;
      return {
        kind: "peer_stop_sending",
        connection,
        streamId: u64At(view, base + d.stream_id),
        applicationErrorCode: u64At(view, base + d.application_error_code),
      };
    }
    case EffectKind.STATE_EVENT:
      return {
        kind: "state_event",
        connection,
        change: STATE_NAMES[u8At(view, base + F.state_event.change)] ?? "failed",
      };
    case EffectKind.CONNECTION_LIFECYCLE_EVENT:
      return {
        kind: "connection_lifecycle_event",
        connection,
        event: LIFECYCLE_NAMES[u8At(view, base + F.connection_lifecycle_event.event)] ?? "closed",
      };
    case EffectKind.PEER_PREFERRED_ADDRESS_AVAILABLE: {
      const d = F.peer_preferred_address_available;
      return {
        kind: "peer_preferred_address_available",
        connection,
        ipv4Address: rawAt(view, base + d.ipv4_address, 4),
        ipv4Port: view.getUint16(base + d.ipv4_port, true),
        ipv6Address: rawAt(view, base + d.ipv6_address, 16),
        ipv6Port: view.getUint16(base + d.ipv6_port, true),
        connectionId: copyView(ffi, view, base + d.connection_id),
        statelessResetToken: rawAt(view, base + d.stateless_reset_token, 16),
      };
    }
    case EffectKind.RESUMPTION_STATE_AVAILABLE:
      return {
        kind: "resumption_state_available",
        connection,
        serialized: copyView(ffi, view, base + F.resumption_state_available.serialized),
      };
    case EffectKind.ZERO_RTT_STATUS_EVENT:
      return { kind: "zero_rtt_status_event", connection, status: u8At(view, base + F.zero_rtt_status_event.status) };
    case EffectKind.PACKET_INSPECTION: {
      const d = F.packet_inspection;
      return {
        kind: "packet_inspection",
        connection,
        direction: u8At(view, base + d.direction),
        packetType: u8At(view, base + d.packet_type),
        datagramId: u64At(view, base + d.datagram_id),
        datagramLength: Number(u64At(view, base + d.datagram_length)),
        datagramOffset: Number(u64At(view, base + d.datagram_offset)),
        packetLength: Number(u64At(view, base + d.packet_length)),
        version: view.getUint32(base + d.version, true),
        destinationConnectionId: copyView(ffi, view, base + d.destination_connection_id),
        sourceConnectionId: copyView(ffi, view, base + d.source_connection_id),
        token: copyView(ffi, view, base + d.token),
        spinBit: u8At(view, base + d.spin_bit) !== 0,
        keyPhase: u8At(view, base + d.key_phase),
        packetNumberLength: u8At(view, base + d.packet_number_length),
        packetNumber: u64At(view, base + d.packet_number),
        encryptedPacket: copyView(ffi, view, base + d.encrypted_packet),
        plaintextPayload: copyView(ffi, view, base + d.plaintext_payload),
      };
    }
    case EffectKind.NEW_TOKEN_AVAILABLE:
      return {
        kind: "new_token_available",
        connection,
        token: copyView(ffi, view, base + F.new_token_available.token),
      };
    case XEffectKind.STREAM_CLOSED:
      return {
        kind: "stream_closed",
        connection,
        streamId: u64At(view, base + F.x_stream.stream_id),
        applicationErrorCode: u64At(view, base + F.x_stream.value),
      };
    case XEffectKind.STREAM_ACKED:
      return {
        kind: "stream_acked",
        connection,
        streamId: u64At(view, base + F.x_stream.stream_id),
        unacknowledged: u64At(view, base + F.x_stream.value),
      };
    case XEffectKind.PATH_VALIDATION: {
      const route = u64At(view, base + F.x_path.route_handle);
      return {
        kind: "path_validation",
        connection,
        routeHandle: route === NO_ROUTE ? undefined : route,
        succeeded: u64At(view, base + F.x_path.succeeded) !== 0n,
      };
    }
    default:
      return { kind: "unknown", code: kind, connection };
  }
}

/**
 * Decodes a `coquic_local_error_t`.
 *
 * @example
 * ```ts
 * import { Layout } from "../ffi/abi.ts";
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, result: bigint;
 * const buf = new Uint8Array(Layout.LocalError.size);
 * lib.symbols.coquic_result_local_error(result, buf);
 * const e = decodeLocalError(new DataView(buf.buffer)); // e.name === "INVALID_STREAM_ID"
 * ```
 */
export function decodeLocalError(view: DataView): LocalError {
  const D = L.LocalError;
  return new LocalError(
    view.getUint8(D.code),
    view.getUint8(D.connection) ? view.getBigUint64(D.connection + 8, true) : undefined,
    view.getUint8(D.stream_id) ? view.getBigUint64(D.stream_id + 8, true) : undefined,
  );
}

const SOURCE_NAMES = Object.fromEntries(Object.entries(CloseSource).map(([k, v]) => [v, k.toLowerCase()])) as Record<
  number,
  CloseInfo["source"]
>;

/**
 * Decodes `count` `coquic_x_close_info_t` records starting at `view`'s first byte.
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, raw: Uint8Array, count: number;
 * const infos = decodeCloseInfos(lib.ffi, new DataView(raw.buffer), count);
 * ```
 */
export function decodeCloseInfos(ffi: FfiRuntime, view: DataView, count: number): CloseInfo[] {
  const D = L.CloseInfo;
  const out: CloseInfo[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * D.size;
    out.push({
      connection: view.getBigUint64(at + D.connection, true),
      source: SOURCE_NAMES[view.getUint8(at + D.source)] ?? "protocol_error",
      isApplicationError: view.getUint8(at + D.is_application_error) !== 0,
      errorCode: view.getBigUint64(at + D.error_code, true),
      reason: utf8.decode(copyView(ffi, view, at + D.reason)),
    });
  }
  return out;
}

/**
 * Prepares `s` as a `coquic_x_connection_stats_t` out-parameter (size set).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, scratch: Scratch, ep: bigint, conn: bigint;
 * prepareConnectionStats(scratch);
 * lib.symbols.coquic_x_connection_stats(ep, conn, scratch.bytes);
 * ```
 */
export function prepareConnectionStats(s: Scratch): void {
  s.reset();
  s.size(0, L.ConnectionStats.size);
}

/**
 * Decodes a `coquic_x_connection_stats_t`.
 *
 * @example
 * ```ts
 * declare const scratch: Scratch;
 * const stats = decodeConnectionStats(scratch.view);
 * ```
 */
export function decodeConnectionStats(view: DataView): ConnectionStats {
  const S = L.ConnectionStats;
  const out: Record<string, number | boolean | undefined> = {};
  S.fields.forEach((name, i) => {
    const v = view.getBigUint64(S.first_field + 8 * i, true);
    out[name] = v === 0xffffffffffffffffn ? undefined : Number(v);
  });
  out.handshakeCompleted = view.getUint8(S.handshake_completed) !== 0;
  out.closing = view.getUint8(S.closing) !== 0;
  out.resumed = view.getUint8(S.resumed) !== 0;
  out.earlyDataAccepted = view.getUint8(S.early_data_accepted) !== 0;
  return out as unknown as ConnectionStats;
}

/**
 * A decoded `coquic_x_result_summary_t`.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const view: DataView, endpoint: Endpoint, now: bigint;
 * const s = decodeResultSummary(view);
 * if (s.sendContinuationPending) endpoint.timerExpired(now);
 * ```
 */
export interface ResultSummary {
  effectCount: number;
  datagramCount: number;
  datagramBytes: number;
  otherEffectCount: number;
  nextWakeup?: bigint;
  sendContinuationPending: boolean;
  hasLocalError: boolean;
  closeInfoCount: number;
}

/**
 * Decodes a `coquic_x_result_summary_t`.
 *
 * @example
 * ```ts
 * import { Layout } from "../ffi/abi.ts";
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, result: bigint;
 * const buf = new Uint8Array(Layout.ResultSummary.size);
 * lib.symbols.coquic_x_result_summary(result, buf);
 * decodeResultSummary(new DataView(buf.buffer)).datagramCount;
 * ```
 */
export function decodeResultSummary(view: DataView): ResultSummary {
  const S = L.ResultSummary;
  const n = (off: number) => Number(view.getBigUint64(off, true));
  return {
    effectCount: n(S.effect_count),
    datagramCount: n(S.datagram_count),
    datagramBytes: n(S.datagram_bytes),
    otherEffectCount: n(S.other_effect_count),
    nextWakeup: view.getUint8(S.has_next_wakeup) ? view.getBigUint64(S.next_wakeup, true) : undefined,
    sendContinuationPending: view.getUint8(S.send_continuation_pending) !== 0,
    hasLocalError: view.getUint8(S.has_local_error) !== 0,
    closeInfoCount: view.getUint8(S.close_info_count),
  };
}
