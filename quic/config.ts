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
} from "../ffi/structs.ts";
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
  maxUdpPayloadSize: U64;
  pmtudEnabled: boolean;
  pmtudBaseDatagramSize: number;
  pmtudMaxDatagramSize: number;
  activeConnectionIdLimit: U64;
  disableActiveMigration: boolean;
  deferActiveMigrationPathValidation: boolean;
  migrationRecoveryRetentionTimeoutUs: U64;
  ackDelayExponent: U64;
  /** Milliseconds. */
  maxAckDelay: U64;
  ackElicitingThreshold: U64;
  initialMaxData: U64;
  initialMaxStreamDataBidiLocal: U64;
  initialMaxStreamDataBidiRemote: U64;
  initialMaxStreamDataUni: U64;
  initialMaxStreamsBidi: U64;
  initialMaxStreamsUni: U64;
  maxDatagramFrameSize: U64;
  /** `CongestionControl` value. */
  congestionControl: number;
  enableHystartPlusPlus: boolean;
  sendStreamFairness: boolean;
  enableLatencySpinBit: boolean;
  greaseReservedVersions: boolean;
  greaseQuicBit: boolean;
  enableOptimisticAckMitigation: boolean;
  underfilledPacketCoalescingDelayUs: U64;
  /** `EcnPolicy` value. */
  ecnPolicy: number;
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
export const TransportConfig = {
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
 * const identity: TlsIdentity = { certificatePem: certPem, privateKeyPem: keyPem };
 * ```
 */
export interface TlsIdentity {
  certificatePem: string | Uint8Array;
  privateKeyPem: string | Uint8Array;
}

/**
 * 0-RTT settings (`coquic_zero_rtt_config_t`).
 *
 * @example
 * ```ts
 * config.zeroRtt.attempt = true;
 * ```
 */
export interface ZeroRttConfig {
  attempt: boolean;
  allow: boolean;
  strictUpdatedTransportParameters: boolean;
  applicationContext: Uint8Array;
}

/**
 * Limits of the orphan 0-RTT buffer (`coquic_orphan_zero_rtt_buffer_config_t`).
 *
 * @example
 * ```ts
 * config.orphanZeroRttBuffer = { maxPackets: 0, maxBytes: 0, maxAgeUs: 0n };
 * ```
 */
export interface OrphanZeroRttBufferConfig {
  maxPackets: number;
  maxBytes: number;
  maxAgeUs: U64;
}

/**
 * Endpoint configuration (`coquic_endpoint_config_t`).
 *
 * @example
 * ```ts
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
  verifyPeer: boolean;
  retryEnabled: boolean;
  /** The one ALPN protocol (1..255 bytes). */
  applicationProtocol: string | Uint8Array;
  identity?: TlsIdentity;
  transport: TransportConfig;
  maxOutboundDatagramSize: number;
  zeroRtt: ZeroRttConfig;
  emitSharedReceiveStreamData: boolean;
  enablePacketInspection: boolean;
  allowPeerAddressChange: boolean;
  /** 0 = unlimited. */
  maxServerConnections: number;
  enableOutOfOrderReceive: boolean;
  orphanZeroRttBuffer: OrphanZeroRttBufferConfig;
  enableReservedVersionProbe: boolean;
  enableLongHeaderStatelessReset: boolean;
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
export const EndpointConfig = {
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
  sourceConnectionId: Uint8Array;
  initialDestinationConnectionId: Uint8Array;
  originalDestinationConnectionId?: Uint8Array;
  retrySourceConnectionId?: Uint8Array;
  retryToken: Uint8Array;
  originalVersion: number;
  initialVersion: number;
  reactedToVersionNegotiation: boolean;
  /** SNI and verification name (default "localhost"). */
  serverName: string;
  /** Bytes of a `resumption_state_available` effect. */
  resumptionState?: Uint8Array;
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
export const ClientConnectionConfig = {
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
 * const t = defaultTransportConfig(lib);
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
 * const cfg = defaultEndpointConfig(lib);
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
 * const cc = defaultClientConnectionConfig(lib, randomCid(), randomCid());
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
