/**
 * Configuration values of the low-level API, with defaults read from the native
 * `*_init` functions so they always match the loaded library.
 *
 * @module
 */
import * as L from "../ffi/layout.ts";
import { ENDPOINT_SCALAR_FIELDS, readFields, Scratch, toBytes, TRANSPORT_FIELDS, writeFields } from "../ffi/structs.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";

/** Transport parameters and tuning (`coquic_transport_config_t`). Times in ms unless named `…Us`. */
export interface TransportConfig {
  maxIdleTimeout: number;
  maxUdpPayloadSize: number;
  pmtudEnabled: boolean;
  pmtudBaseDatagramSize: number;
  pmtudMaxDatagramSize: number;
  activeConnectionIdLimit: number;
  disableActiveMigration: boolean;
  deferActiveMigrationPathValidation: boolean;
  migrationRecoveryRetentionTimeoutUs: number;
  ackDelayExponent: number;
  maxAckDelay: number;
  ackElicitingThreshold: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  maxDatagramFrameSize: number;
  /** `CongestionControl` value. */
  congestionControl: number;
  enableHystartPlusPlus: boolean;
  sendStreamFairness: boolean;
  enableLatencySpinBit: boolean;
  greaseReservedVersions: boolean;
  greaseQuicBit: boolean;
  enableOptimisticAckMitigation: boolean;
  underfilledPacketCoalescingDelayUs: number;
  /** `EcnPolicy` value. */
  ecnPolicy: number;
  pmtudProvisionalIcmpReductions: boolean;
}

/** A server's TLS identity: PEM chain (leaf first) and unencrypted PEM private key. */
export interface TlsIdentity {
  certificatePem: string | Uint8Array;
  privateKeyPem: string | Uint8Array;
}

/** 0-RTT settings (`coquic_zero_rtt_config_t`). */
export interface ZeroRttConfig {
  attempt: boolean;
  allow: boolean;
  strictUpdatedTransportParameters: boolean;
  applicationContext: Uint8Array;
}

/** Endpoint configuration (`coquic_endpoint_config_t`). */
export interface EndpointConfig {
  /** `Role` value: 0 client, 1 server. */
  role: number;
  /** QUIC versions; empty means { 1 }. */
  supportedVersions: number[];
  verifyPeer: boolean;
  retryEnabled: boolean;
  /** The one ALPN protocol. */
  applicationProtocol: string | Uint8Array;
  identity?: TlsIdentity;
  transport: TransportConfig;
  maxOutboundDatagramSize: number;
  zeroRtt: ZeroRttConfig;
  emitSharedReceiveStreamData: boolean;
  enablePacketInspection: boolean;
  allowPeerAddressChange: boolean;
  maxServerConnections: number;
  enableOutOfOrderReceive: boolean;
  orphanZeroRttBuffer: { maxPackets: number; maxBytes: number; maxAgeUs: number };
  enableReservedVersionProbe: boolean;
  enableLongHeaderStatelessReset: boolean;
  enableMinimalClosingStateRetention: boolean;
  retryHandshakeValidationPolicy: number;
}

/** Per-connection client settings (`coquic_client_connection_config_t`). */
export interface ClientConnectionConfig {
  sourceConnectionId: Uint8Array;
  initialDestinationConnectionId: Uint8Array;
  originalDestinationConnectionId?: Uint8Array;
  retrySourceConnectionId?: Uint8Array;
  retryToken: Uint8Array;
  originalVersion: number;
  initialVersion: number;
  reactedToVersionNegotiation: boolean;
  serverName: string;
  resumptionState?: Uint8Array;
  zeroRtt: ZeroRttConfig;
}

function readZeroRtt(view: DataView, at: number): ZeroRttConfig {
  return {
    attempt: view.getUint8(at + L.ZeroRttConfig.attempt) !== 0,
    allow: view.getUint8(at + L.ZeroRttConfig.allow) !== 0,
    strictUpdatedTransportParameters: view.getUint8(at + L.ZeroRttConfig.strict_updated_transport_parameters) !== 0,
    applicationContext: new Uint8Array(0),
  };
}

function writeZeroRtt(s: Scratch, at: number, z: ZeroRttConfig): void {
  s.view.setUint8(at + L.ZeroRttConfig.attempt, z.attempt ? 1 : 0);
  s.view.setUint8(at + L.ZeroRttConfig.allow, z.allow ? 1 : 0);
  s.view.setUint8(at + L.ZeroRttConfig.strict_updated_transport_parameters, z.strictUpdatedTransportParameters ? 1 : 0);
  s.range(at + L.ZeroRttConfig.application_context, z.applicationContext);
}

/**
 * The library's default transport config (`coquic_transport_config_init`).
 *
 * @example
 * ```ts
 * const t = defaultTransportConfig(lib);
 * t.maxIdleTimeout = 30_000;
 * ```
 */
export function defaultTransportConfig(lib: CoquicLibrary): TransportConfig {
  const buf = new Uint8Array(L.TransportConfig.size);
  lib.symbols.coquic_transport_config_init(buf);
  return readFields(new DataView(buf.buffer), 0, TRANSPORT_FIELDS) as unknown as TransportConfig;
}

/**
 * The library's default endpoint config (`coquic_endpoint_config_init`): role client,
 * verify_peer on, ALPN "coquic".
 *
 * @example
 * ```ts
 * const cfg = defaultEndpointConfig(lib);
 * cfg.role = Role.SERVER;
 * ```
 */
export function defaultEndpointConfig(lib: CoquicLibrary): EndpointConfig {
  const buf = new Uint8Array(L.EndpointConfig.size);
  lib.symbols.coquic_endpoint_config_init(buf);
  const view = new DataView(buf.buffer);
  const scalars = readFields(view, 0, ENDPOINT_SCALAR_FIELDS);
  const alpnLen = Number(view.getBigUint64(L.EndpointConfig.application_protocol_length, true));
  const alpn = new Uint8Array(alpnLen);
  lib.ffi.copyInto(view.getBigUint64(L.EndpointConfig.application_protocol, true), alpn);
  const o = L.EndpointConfig.orphan_zero_rtt_buffer;
  return {
    ...(scalars as unknown as Omit<EndpointConfig, "transport" | "zeroRtt" | "applicationProtocol">),
    supportedVersions: [],
    applicationProtocol: new TextDecoder().decode(alpn),
    identity: undefined,
    transport: readFields(view, L.EndpointConfig.transport, TRANSPORT_FIELDS) as unknown as TransportConfig,
    zeroRtt: readZeroRtt(view, L.EndpointConfig.zero_rtt),
    orphanZeroRttBuffer: {
      maxPackets: Number(view.getBigUint64(o, true)),
      maxBytes: Number(view.getBigUint64(o + 8, true)),
      maxAgeUs: Number(view.getBigUint64(o + 16, true)),
    },
  } as EndpointConfig;
}

/**
 * The library's default client connection config, with the given connection IDs.
 *
 * @example
 * ```ts
 * const cc = defaultClientConnectionConfig(lib, randomCid(), randomCid());
 * cc.serverName = "example.com";
 * ```
 */
export function defaultClientConnectionConfig(
  lib: CoquicLibrary,
  sourceConnectionId: Uint8Array = new Uint8Array(0),
  initialDestinationConnectionId: Uint8Array = new Uint8Array(0),
): ClientConnectionConfig {
  const buf = new Uint8Array(L.ClientConnectionConfig.size);
  lib.symbols.coquic_client_connection_config_init(buf);
  const view = new DataView(buf.buffer);
  const nameLen = Number(view.getBigUint64(L.ClientConnectionConfig.server_name_length, true));
  const name = new Uint8Array(nameLen);
  lib.ffi.copyInto(view.getBigUint64(L.ClientConnectionConfig.server_name, true), name);
  return {
    sourceConnectionId,
    initialDestinationConnectionId,
    retryToken: new Uint8Array(0),
    originalVersion: view.getUint32(L.ClientConnectionConfig.original_version, true),
    initialVersion: view.getUint32(L.ClientConnectionConfig.initial_version, true),
    reactedToVersionNegotiation: false,
    serverName: new TextDecoder().decode(name),
    zeroRtt: readZeroRtt(view, L.ClientConnectionConfig.zero_rtt),
  };
}

/** Encodes an endpoint config (and the structs it points to) into `s`. */
export function encodeEndpointConfig(s: Scratch, c: EndpointConfig, identityScratch: Scratch): void {
  s.reset();
  const v = s.view;
  v.setBigUint64(0, BigInt(L.EndpointConfig.size), true);
  writeFields(v, 0, ENDPOINT_SCALAR_FIELDS, c as unknown as Record<string, unknown>, "EndpointConfig");
  writeFields(v, L.EndpointConfig.transport, TRANSPORT_FIELDS, c.transport as unknown as Record<string, unknown>, "TransportConfig");
  if (!Array.isArray(c.supportedVersions)) throw new TypeError("EndpointConfig.supportedVersions must be an array");
  if (c.supportedVersions.length > 0) {
    const versions = new Uint8Array(4 * c.supportedVersions.length);
    const vv = new DataView(versions.buffer);
    c.supportedVersions.forEach((x, i) => {
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`supported version ${x} is not a u32`);
      vv.setUint32(4 * i, x, true);
    });
    s.pointer(L.EndpointConfig.supported_versions, versions);
    v.setBigUint64(L.EndpointConfig.supported_versions_count, BigInt(c.supportedVersions.length), true);
  }
  s.range(L.EndpointConfig.application_protocol, toBytes(c.applicationProtocol));
  if (c.identity) {
    identityScratch.reset();
    identityScratch.range(L.TlsIdentity.certificate_pem, toBytes(c.identity.certificatePem));
    identityScratch.range(L.TlsIdentity.private_key_pem, toBytes(c.identity.privateKeyPem));
    s.pointer(L.EndpointConfig.identity, identityScratch.bytes);
  }
  writeZeroRtt(s, L.EndpointConfig.zero_rtt, c.zeroRtt);
  const o = L.EndpointConfig.orphan_zero_rtt_buffer;
  writeFields(v, o, [["maxPackets", 0, "u64"], ["maxBytes", 8, "u64"], ["maxAgeUs", 16, "u64"]], c.orphanZeroRttBuffer, "orphanZeroRttBuffer");
}

/** Encodes a `coquic_open_connection_t` into `s`. */
export function encodeOpenConnection(
  s: Scratch,
  cc: ClientConnectionConfig,
  initialRouteHandle: bigint,
  addressValidationIdentity: Uint8Array,
  resumption: Scratch,
): void {
  s.reset();
  const v = s.view;
  const b = L.OpenConnection.connection;
  const C = L.ClientConnectionConfig;
  v.setBigUint64(0, BigInt(L.OpenConnection.size), true);
  v.setBigUint64(b, BigInt(C.size), true);
  s.range(b + C.source_connection_id, cc.sourceConnectionId);
  s.range(b + C.initial_destination_connection_id, cc.initialDestinationConnectionId);
  if (cc.originalDestinationConnectionId) {
    s.range(b + C.original_destination_connection_id, cc.originalDestinationConnectionId);
    v.setUint8(b + C.has_original_destination_connection_id, 1);
  }
  if (cc.retrySourceConnectionId) {
    s.range(b + C.retry_source_connection_id, cc.retrySourceConnectionId);
    v.setUint8(b + C.has_retry_source_connection_id, 1);
  }
  s.range(b + C.retry_token, cc.retryToken);
  writeFields(v, b, [["originalVersion", C.original_version, "u32"], ["initialVersion", C.initial_version, "u32"]], cc as unknown as Record<string, unknown>, "ClientConnectionConfig");
  v.setUint8(b + C.reacted_to_version_negotiation, cc.reactedToVersionNegotiation ? 1 : 0);
  s.range(b + C.server_name, toBytes(cc.serverName));
  if (cc.resumptionState) {
    resumption.reset();
    resumption.range(0, cc.resumptionState);
    s.pointer(b + C.resumption_state, resumption.bytes);
  }
  writeZeroRtt(s, b + C.zero_rtt, cc.zeroRtt);
  v.setBigUint64(L.OpenConnection.initial_route_handle, initialRouteHandle, true);
  s.range(L.OpenConnection.address_validation_identity, addressValidationIdentity);
}
