/**
 * Configuration values of the low-level API. Defaults come from the native `*_init`
 * functions (`TransportConfig.default()`, `EndpointConfig.default()`,
 * `ClientConnectionConfig.default()`), so they always match the loaded library.
 *
 * u64 fields are `U64` (defaults are bigints; numbers are accepted); `size_t` fields are
 * numbers. Every field is range-checked when the config is encoded.
 *
 * @module
 */
import { type CoquicLibrary, defaultLibrary } from "../ffi/loader.ts";
import {
  readClientConnectionConfigDefaults,
  readEndpointConfigDefaults,
  readTransportConfigDefaults,
} from "./codec.ts";
import type { U64 } from "./args.ts";

/**
 * Transport parameters and tuning (`coquic_transport_config_t`). Times in ms unless named `…Us`.
 *
 * @example
 * ```ts
 * const t = TransportConfig.default();
 * t.maxIdleTimeout = 30_000n;
 * ```
 */
export interface TransportConfig {
  /** Milliseconds; 0 = no idle timeout. */
  maxIdleTimeout: U64;
  /** Largest UDP payload, in bytes. */
  maxUdpPayloadSize: U64;
  /** Path MTU discovery on. */
  pmtudEnabled: boolean;
  /** PMTUD base datagram size. */
  pmtudBaseDatagramSize: number;
  /** PMTUD largest probed datagram size. */
  pmtudMaxDatagramSize: number;
  /** active_connection_id_limit transport parameter. */
  activeConnectionIdLimit: U64;
  /** disable_active_migration transport parameter. */
  disableActiveMigration: boolean;
  /** Defer path validation of an active migration. */
  deferActiveMigrationPathValidation: boolean;
  /** How long recovery state of an old path is kept, µs. */
  migrationRecoveryRetentionTimeoutUs: U64;
  /** ack_delay_exponent transport parameter. */
  ackDelayExponent: U64;
  /** Milliseconds. */
  maxAckDelay: U64;
  /** Ack-eliciting packets before an immediate ACK. */
  ackElicitingThreshold: U64;
  /** initial_max_data transport parameter (connection flow-control window). */
  initialMaxData: U64;
  /** initial_max_stream_data_bidi_local transport parameter. */
  initialMaxStreamDataBidiLocal: U64;
  /** initial_max_stream_data_bidi_remote transport parameter. */
  initialMaxStreamDataBidiRemote: U64;
  /** initial_max_stream_data_uni transport parameter. */
  initialMaxStreamDataUni: U64;
  /** initial_max_streams_bidi transport parameter. */
  initialMaxStreamsBidi: U64;
  /** initial_max_streams_uni transport parameter. */
  initialMaxStreamsUni: U64;
  /** max_datagram_frame_size transport parameter (0 disables DATAGRAM). */
  maxDatagramFrameSize: U64;
  /** `CongestionControl` value. */
  congestionControl: number;
  /** HyStart++ in slow start. */
  enableHystartPlusPlus: boolean;
  /** Round-robin between sending streams. */
  sendStreamFairness: boolean;
  /** Latency spin bit. */
  enableLatencySpinBit: boolean;
  /** GREASE reserved versions. */
  greaseReservedVersions: boolean;
  /** GREASE the QUIC bit (RFC 9287). */
  greaseQuicBit: boolean;
  /** Mitigate optimistic ACK attacks. */
  enableOptimisticAckMitigation: boolean;
  /** How long an underfilled packet may wait for more data, µs. */
  underfilledPacketCoalescingDelayUs: U64;
  /** `EcnPolicy` value. */
  ecnPolicy: number;
  /** Act on ICMP PTB messages provisionally. */
  pmtudProvisionalIcmpReductions: boolean;
}

/**
 * `TransportConfig` defaults.
 *
 * @example
 * ```ts
 * const t = TransportConfig.default(); // from coquic_transport_config_init
 * ```
 */
export const TransportConfig: { default(lib?: CoquicLibrary): TransportConfig } = {
  /** The library's defaults (`coquic_transport_config_init`). */
  default(lib: CoquicLibrary = defaultLibrary()): TransportConfig {
    return readTransportConfigDefaults(lib);
  },
};

/**
 * A server's TLS identity (`coquic_tls_identity_t`): PEM chain (leaf first) and
 * unencrypted PEM private key.
 *
 * @example
 * ```ts
 * declare const certPem: string, keyPem: string;
 * const identity: TlsIdentity = { certificatePem: certPem, privateKeyPem: keyPem };
 * ```
 */
export interface TlsIdentity {
  /** PEM certificate chain, leaf first. */
  certificatePem: string | Uint8Array;
  /** Unencrypted PEM private key. */
  privateKeyPem: string | Uint8Array;
}

/**
 * 0-RTT settings (`coquic_zero_rtt_config_t`).
 *
 * @example
 * ```ts
 * declare const config: EndpointConfig;
 * config.zeroRtt.attempt = true;
 * ```
 */
export interface ZeroRttConfig {
  /** Clients: attempt 0-RTT when resuming. */
  attempt: boolean;
  /** Servers: accept 0-RTT. */
  allow: boolean;
  /** Refuse 0-RTT when remembered transport parameters shrank. */
  strictUpdatedTransportParameters: boolean;
  /** Application context bound to 0-RTT tickets. */
  applicationContext: Uint8Array;
}

/**
 * Limits of the orphan 0-RTT buffer (`coquic_orphan_zero_rtt_buffer_config_t`).
 *
 * @example
 * ```ts
 * declare const config: EndpointConfig;
 * config.orphanZeroRttBuffer = { maxPackets: 0, maxBytes: 0, maxAgeUs: 0n };
 * ```
 */
export interface OrphanZeroRttBufferConfig {
  /** Most packets buffered (0 = default). */
  maxPackets: number;
  /** Most bytes buffered (0 = default). */
  maxBytes: number;
  /** Oldest buffered packet, µs (0 = default). */
  maxAgeUs: U64;
}

/**
 * Endpoint configuration (`coquic_endpoint_config_t`).
 *
 * @example
 * ```ts
 * import { Role } from "../ffi/abi.ts";
 * declare const certificatePem: string, privateKeyPem: string;
 * const c = EndpointConfig.default();
 * c.role = Role.SERVER;
 * c.identity = { certificatePem, privateKeyPem };
 * ```
 */
export interface EndpointConfig {
  /** `Role` value: 0 client, 1 server. */
  role: number;
  /** QUIC versions (u32); empty means { 1 }. */
  supportedVersions: number[];
  /** Verify the peer's certificate. */
  verifyPeer: boolean;
  /** Servers: send Retry for address validation. */
  retryEnabled: boolean;
  /** The one ALPN protocol (1..255 bytes). */
  applicationProtocol: string | Uint8Array;
  /** Servers: the TLS identity. */
  identity?: TlsIdentity;
  /** Transport settings. */
  transport: TransportConfig;
  /** Largest UDP datagram sent. */
  maxOutboundDatagramSize: number;
  /** 0-RTT settings. */
  zeroRtt: ZeroRttConfig;
  /** Received stream data shares one buffer per result. */
  emitSharedReceiveStreamData: boolean;
  /** Emit packet_inspection effects. */
  enablePacketInspection: boolean;
  /** Accept peer address changes (NAT rebinding). */
  allowPeerAddressChange: boolean;
  /** 0 = unlimited. */
  maxServerConnections: number;
  /** Deliver stream data out of order. */
  enableOutOfOrderReceive: boolean;
  /** Buffer for 0-RTT packets that arrive before their Initial. */
  orphanZeroRttBuffer: OrphanZeroRttBufferConfig;
  /** Probe with a reserved version. */
  enableReservedVersionProbe: boolean;
  /** Stateless resets for long-header packets. */
  enableLongHeaderStatelessReset: boolean;
  /** Keep minimal state while closing. */
  enableMinimalClosingStateRetention: boolean;
  /** `RetryHandshakeValidation` value. */
  retryHandshakeValidationPolicy: number;
}

/**
 * `EndpointConfig` defaults.
 *
 * @example
 * ```ts
 * const c = EndpointConfig.default(); // role client, verifyPeer true, ALPN "coquic"
 * ```
 */
export const EndpointConfig: { default(lib?: CoquicLibrary): EndpointConfig } = {
  /** The library's defaults (`coquic_endpoint_config_init`). */
  default(lib: CoquicLibrary = defaultLibrary()): EndpointConfig {
    return readEndpointConfigDefaults(lib);
  },
};

/**
 * Per-connection client settings (`coquic_client_connection_config_t`).
 *
 * @example
 * ```ts
 * const cc = ClientConnectionConfig.default();
 * cc.sourceConnectionId = crypto.getRandomValues(new Uint8Array(8));
 * cc.initialDestinationConnectionId = crypto.getRandomValues(new Uint8Array(8));
 * ```
 */
export interface ClientConnectionConfig {
  /** Source connection ID. */
  sourceConnectionId: Uint8Array;
  /** Initial destination connection ID. */
  initialDestinationConnectionId: Uint8Array;
  /** Original destination connection ID (after Retry). */
  originalDestinationConnectionId?: Uint8Array;
  /** Retry source connection ID (after Retry). */
  retrySourceConnectionId?: Uint8Array;
  /** Retry token (after Retry). */
  retryToken: Uint8Array;
  /** Original QUIC version. */
  originalVersion: number;
  /** Initial QUIC version. */
  initialVersion: number;
  /** Whether this connection follows a Version Negotiation. */
  reactedToVersionNegotiation: boolean;
  /** SNI and verification name (default "localhost"). */
  serverName: string;
  /** Bytes of a `resumption_state_available` effect. */
  resumptionState?: Uint8Array;
  /** 0-RTT settings. */
  zeroRtt: ZeroRttConfig;
}

/**
 * `ClientConnectionConfig` defaults.
 *
 * @example
 * ```ts
 * const cc = ClientConnectionConfig.default(); // server name "localhost", versions 1/1
 * ```
 */
export const ClientConnectionConfig: { default(lib?: CoquicLibrary): ClientConnectionConfig } = {
  /** The library's defaults (`coquic_client_connection_config_init`), with empty CIDs. */
  default(lib: CoquicLibrary = defaultLibrary()): ClientConnectionConfig {
    return readClientConnectionConfigDefaults(lib);
  },
};

/**
 * The library's default transport config.
 *
 * @example
 * ```ts
 * import { loadCoquicSync } from "../ffi/loader.ts";
 * const t = defaultTransportConfig(loadCoquicSync());
 * ```
 */
export function defaultTransportConfig(lib: CoquicLibrary = defaultLibrary()): TransportConfig {
  return TransportConfig.default(lib);
}

/**
 * The library's default endpoint config (role client, verify_peer on, ALPN "coquic").
 *
 * @example
 * ```ts
 * import { Role } from "../ffi/abi.ts";
 * const cfg = defaultEndpointConfig();
 * cfg.role = Role.SERVER;
 * ```
 */
export function defaultEndpointConfig(lib: CoquicLibrary = defaultLibrary()): EndpointConfig {
  return EndpointConfig.default(lib);
}

/**
 * The library's default client connection config, with the given connection IDs.
 *
 * @example
 * ```ts
 * import { loadCoquicSync } from "../ffi/loader.ts";
 * const randomCid = () => crypto.getRandomValues(new Uint8Array(8));
 * const cc = defaultClientConnectionConfig(loadCoquicSync(), randomCid(), randomCid());
 * cc.serverName = "example.com";
 * ```
 */
export function defaultClientConnectionConfig(
  lib: CoquicLibrary = defaultLibrary(),
  sourceConnectionId: Uint8Array = new Uint8Array(0),
  initialDestinationConnectionId: Uint8Array = new Uint8Array(0),
): ClientConnectionConfig {
  return { ...ClientConnectionConfig.default(lib), sourceConnectionId, initialDestinationConnectionId };
}
