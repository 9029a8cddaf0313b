/**
 * The one description of the CoQUIC C ABI v12 and of our optional `coquic_x_` extensions:
 * every symbol's signature in the neutral type vocabulary of `runtimes/ffi_types.ts`, every
 * struct layout (size and field offsets on x86-64 LP64, exactly as in the reference §1.3) and
 * every enum constant. Each runtime adapter in `runtimes/` translates the signatures into its
 * FFI definitions; `quic/codec.ts` encodes and decodes the layouts.
 *
 * @example
 * ```ts
 * import { CORE_SYMBOLS, Layout, EffectKind } from "./abi.ts";
 * console.log(CORE_SYMBOLS.coquic_endpoint_next_wakeup.result); // "optional_u64_by_value"
 * console.log(Layout.Effect.size, EffectKind.SEND_DATAGRAM); // 160 0
 * ```
 *
 * @module
 */
import type { SymbolSpec } from "../runtimes/ffi_types.ts";

/**
 * ABI version this binding is written against (`COQUIC_FFI_ABI_VERSION`).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "./loader.ts";
 * declare const lib: CoquicLibrary;
 * if (lib.abiVersion !== COQUIC_FFI_ABI_VERSION) throw new Error("mismatch");
 * ```
 */
export const COQUIC_FFI_ABI_VERSION = 12;

// The tail shared by result-returning calls: ..., coquic_time_us_t now, coquic_result_t **out_result.
const R = ["u64", "buffer"] as const;

/**
 * Every core symbol of ABI v12: a library must export all of them.
 *
 * @example
 * ```ts
 * console.log(Object.keys(CORE_SYMBOLS).length); // 44
 * ```
 */
export const CORE_SYMBOLS = {
  coquic_ffi_abi_version: { parameters: [], result: "u32" },
  coquic_transport_config_init: { parameters: ["buffer"], result: "void" },
  coquic_endpoint_config_init: { parameters: ["buffer"], result: "void" },
  coquic_client_connection_config_init: { parameters: ["buffer"], result: "void" },
  coquic_endpoint_create: { parameters: ["buffer", "buffer"], result: "u8" },
  coquic_endpoint_destroy: { parameters: ["pointer"], result: "void" },
  coquic_endpoint_open_connection: { parameters: ["pointer", "buffer", ...R], result: "u8" },
  coquic_endpoint_input_datagram: { parameters: ["pointer", "buffer", ...R], result: "u8" },
  coquic_endpoint_update_path_mtu: { parameters: ["pointer", "buffer", ...R], result: "u8" },
  coquic_endpoint_timer_expired: { parameters: ["pointer", ...R], result: "u8" },
  coquic_connection_send_stream: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_send_datagram: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_reset_stream: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_stop_sending: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_close: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_request_key_update: { parameters: ["pointer", "u64", ...R], result: "u8" },
  coquic_connection_request_migration: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_connection_advance: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connect: { parameters: ["pointer", "buffer", "u64", "buffer", "buffer"], result: "u8" },
  coquic_quic_receive_datagram: { parameters: ["pointer", "buffer", ...R], result: "u8" },
  coquic_quic_update_path_mtu: { parameters: ["pointer", "buffer", ...R], result: "u8" },
  coquic_quic_timer_expired: { parameters: ["pointer", ...R], result: "u8" },
  coquic_quic_connection_send_stream: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connection_send_datagram: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connection_reset_stream: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connection_stop_sending: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connection_close: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_connection_request_key_update: { parameters: ["pointer", "u64", ...R], result: "u8" },
  coquic_quic_connection_advance: { parameters: ["pointer", "u64", "buffer", ...R], result: "u8" },
  coquic_quic_stream_send: { parameters: ["pointer", "u64", "u64", "bytes_by_value", "u8", ...R], result: "u8" },
  coquic_quic_stream_finish: { parameters: ["pointer", "u64", "u64", ...R], result: "u8" },
  coquic_quic_stream_reset: { parameters: ["pointer", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_quic_stream_stop_sending: { parameters: ["pointer", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_endpoint_connection_count: { parameters: ["pointer"], result: "usize" },
  coquic_endpoint_has_send_continuation_pending: { parameters: ["pointer"], result: "u8" },
  coquic_endpoint_has_pending_stream_send: { parameters: ["pointer"], result: "u8" },
  coquic_endpoint_next_wakeup: { parameters: ["pointer"], result: "optional_u64_by_value" },
  coquic_result_destroy: { parameters: ["pointer"], result: "void" },
  coquic_result_effect_count: { parameters: ["pointer"], result: "usize" },
  coquic_result_effect_at: { parameters: ["pointer", "usize", "buffer"], result: "u8" },
  coquic_result_next_wakeup: { parameters: ["pointer"], result: "optional_u64_by_value" },
  coquic_result_has_local_error: { parameters: ["pointer"], result: "u8" },
  coquic_result_local_error: { parameters: ["pointer", "buffer"], result: "u8" },
  coquic_result_send_continuation_pending: { parameters: ["pointer"], result: "u8" },
} as const satisfies Record<string, SymbolSpec>;

/**
 * Our engine's optional extensions (`native/include/coquic/ffi/ext.h`): each is bound only
 * when the library exports it, so an upstream libcoquic without them still loads.
 *
 * @example
 * ```ts
 * console.log("coquic_x_result_effects" in EXTENSION_SYMBOLS); // true
 * ```
 */
export const EXTENSION_SYMBOLS = {
  coquic_x_version: { parameters: [], result: "u32" },
  coquic_x_engine_name: { parameters: [], result: "pointer" },
  coquic_x_last_error_message: { parameters: ["buffer", "usize"], result: "usize" },
  coquic_x_result_effects: { parameters: ["pointer", "buffer"], result: "pointer" },
  coquic_x_endpoint_next_wakeup: { parameters: ["pointer", "buffer"], result: "u8" },
  coquic_x_result_next_wakeup: { parameters: ["pointer", "buffer"], result: "u8" },
  coquic_x_result_close_infos: { parameters: ["pointer", "buffer"], result: "pointer" },
  coquic_x_connection_stats: { parameters: ["pointer", "u64", "buffer"], result: "u8" },
  coquic_x_endpoint_add_trusted_ca: { parameters: ["pointer", "buffer", "usize"], result: "u8" },
  coquic_x_connection_peer_certificate: { parameters: ["pointer", "u64", "buffer", "usize", "buffer"], result: "u8" },
  coquic_x_endpoint_set_manual_credit: { parameters: ["pointer", "u8"], result: "u8" },
  coquic_x_endpoint_set_loss_accounting: { parameters: ["pointer", "u8"], result: "u8" },
  coquic_x_endpoint_set_qlog_dir: { parameters: ["pointer", "buffer", "usize"], result: "u8" },
  coquic_x_connection_consume: { parameters: ["pointer", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_x_stream_send_buffered: { parameters: ["pointer", "u64", "u64"], result: "u64" },
  coquic_x_connection_stream_id_limit: { parameters: ["pointer", "u64", "u8"], result: "u64" },
  coquic_x_connection_max_datagram_size: { parameters: ["pointer", "u64"], result: "u64" },
  coquic_x_endpoint_set_half_open_limit: { parameters: ["pointer", "u64"], result: "u8" },
  coquic_x_endpoint_half_open: { parameters: ["pointer", "buffer"], result: "void" },
  coquic_x_endpoint_set_stream_effects: { parameters: ["pointer", "u32"], result: "u8" },
  coquic_x_endpoint_set_path_effects: { parameters: ["pointer", "u8"], result: "u8" },
  coquic_x_endpoint_input_datagrams: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "usize", ...R],
    result: "u8",
  },
  coquic_x_endpoint_input_datagrams_identified: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "buffer", "buffer", "usize", ...R],
    result: "u8",
  },
  coquic_x_result_summary: { parameters: ["pointer", "buffer"], result: "void" },
  coquic_x_result_copy_datagrams: {
    parameters: ["pointer", "usize", "buffer", "usize", "buffer", "buffer", "buffer", "buffer", "usize"],
    result: "usize",
  },
  // native I/O: the engine owns the socket (ext.h, "native I/O")
  coquic_x_io_bind: { parameters: ["pointer", "buffer", "usize", "u16", "u32", "buffer"], result: "u8" },
  coquic_x_io_local_address: { parameters: ["pointer", "buffer", "buffer"], result: "u8" },
  coquic_x_io_route: { parameters: ["pointer", "buffer", "usize", "u16"], result: "u64" },
  coquic_x_io_route_address: { parameters: ["pointer", "u64", "buffer", "buffer"], result: "u8" },
  coquic_x_io_connection_route: { parameters: ["pointer", "u64"], result: "u64" },
  coquic_x_io_pump: { parameters: ["pointer", ...R], result: "u8" },
  coquic_x_io_set_gate: { parameters: ["pointer", "u8"], result: "void" },
  coquic_x_io_take_new_peers: { parameters: ["pointer", "buffer", "usize"], result: "usize" },
  coquic_x_io_admit: { parameters: ["pointer", "u64", ...R], result: "u8" },
  coquic_x_io_ignore: { parameters: ["pointer", "u64"], result: "void" },
  coquic_x_io_take_unreachable: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "usize" },
  coquic_x_io_stats: { parameters: ["pointer", "buffer"], result: "u8" },
  // a client's migration on the native path (ext.h, coquic_x_io_bind_path)
  coquic_x_io_bind_path: { parameters: ["pointer", "buffer", "usize", "u16", "u64", "buffer"], result: "u8" },
  coquic_x_io_route_local_address: { parameters: ["pointer", "u64", "buffer", "buffer"], result: "u8" },
  coquic_x_io_wait: { parameters: ["pointer", "i64"], result: "i32", nonblocking: true },
  coquic_x_io_interrupt: { parameters: ["pointer"], result: "void" },
  coquic_x_io_waiter_start: { parameters: ["pointer", "pointer", "u32"], result: "u8" },
  coquic_x_io_waiter_arm: { parameters: ["pointer", "i64"], result: "void" },
  coquic_x_io_close: { parameters: ["pointer"], result: "void" },
  coquic_x_io_destroy: { parameters: ["pointer"], result: "void" },
  coquic_x_io_hub_create: { parameters: ["buffer"], result: "u8" },
  coquic_x_io_hub_add: { parameters: ["pointer", "pointer", "u32"], result: "u8" },
  coquic_x_io_hub_remove: { parameters: ["pointer", "pointer"], result: "void" },
  coquic_x_io_hub_wait: { parameters: ["pointer", "i64"], result: "i32", nonblocking: true },
  coquic_x_io_hub_ready: { parameters: ["pointer", "buffer", "usize"], result: "usize" },
  coquic_x_io_hub_interrupt: { parameters: ["pointer"], result: "void" },
  coquic_x_io_hub_start: { parameters: ["pointer", "pointer", "u32"], result: "u8" },
  coquic_x_io_hub_arm: { parameters: ["pointer", "i64"], result: "void" },
  coquic_x_io_hub_stop: { parameters: ["pointer"], result: "void" },
  coquic_x_io_hub_retire: { parameters: ["pointer"], result: "void" },
  coquic_x_io_hub_destroy: { parameters: ["pointer"], result: "void" },
} as const satisfies Record<string, SymbolSpec>;

/**
 * Names of the core symbols.
 *
 * @example
 * ```ts
 * const name: CoreSymbol = "coquic_endpoint_create";
 * ```
 */
export type CoreSymbol = keyof typeof CORE_SYMBOLS;
/**
 * Names of the extension symbols.
 *
 * @example
 * ```ts
 * const name: ExtensionSymbol = "coquic_x_result_effects";
 * ```
 */
export type ExtensionSymbol = keyof typeof EXTENSION_SYMBOLS;

/**
 * Struct layouts of ABI v12 (x86-64, LP64): `size` and byte offsets of every field the
 * binding reads or writes. `tests/binding.test.ts` checks each against the C header.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setBigUint64(Layout.SendStreamData.stream_id, 4n, true);
 * ```
 */
export const Layout = {
  /** `coquic_transport_config_t` (168 bytes, no size field). */
  TransportConfig: {
    size: 168,
    max_idle_timeout: 0,
    max_udp_payload_size: 8,
    pmtud_enabled: 16,
    pmtud_base_datagram_size: 24,
    pmtud_max_datagram_size: 32,
    active_connection_id_limit: 40,
    disable_active_migration: 48,
    defer_active_migration_path_validation: 49,
    migration_recovery_retention_timeout_us: 56,
    ack_delay_exponent: 64,
    max_ack_delay: 72,
    ack_eliciting_threshold: 80,
    initial_max_data: 88,
    initial_max_stream_data_bidi_local: 96,
    initial_max_stream_data_bidi_remote: 104,
    initial_max_stream_data_uni: 112,
    initial_max_streams_bidi: 120,
    initial_max_streams_uni: 128,
    max_datagram_frame_size: 136,
    congestion_control: 144,
    enable_hystart_plus_plus: 145,
    send_stream_fairness: 146,
    enable_latency_spin_bit: 147,
    grease_reserved_versions: 148,
    grease_quic_bit: 149,
    enable_optimistic_ack_mitigation: 150,
    underfilled_packet_coalescing_delay_us: 152,
    ecn_policy: 160,
    pmtud_provisional_icmp_reductions: 161,
  },
  /** `coquic_tls_identity_t` (32 bytes). */
  TlsIdentity: {
    size: 32,
    certificate_pem: 0,
    certificate_pem_length: 8,
    private_key_pem: 16,
    private_key_pem_length: 24,
  },
  /** `coquic_zero_rtt_config_t` (24 bytes). */
  ZeroRttConfig: {
    size: 24,
    attempt: 0,
    allow: 1,
    strict_updated_transport_parameters: 2,
    application_context: 8,
  },
  /** `coquic_orphan_zero_rtt_buffer_config_t` (24 bytes). */
  OrphanZeroRttBufferConfig: { size: 24, max_packets: 0, max_bytes: 8, max_age_us: 16 },
  /** `coquic_resumption_state_t` (16 bytes). */
  ResumptionState: { size: 16, serialized: 0 },
  /** `coquic_endpoint_config_t` (328 bytes). */
  EndpointConfig: {
    size: 328,
    size_field: 0,
    role: 8,
    supported_versions: 16,
    supported_versions_count: 24,
    verify_peer: 32,
    retry_enabled: 33,
    application_protocol: 40,
    application_protocol_length: 48,
    identity: 56,
    transport: 64,
    max_outbound_datagram_size: 232,
    zero_rtt: 240,
    emit_shared_receive_stream_data: 264,
    enable_packet_inspection: 265,
    allow_peer_address_change: 266,
    max_server_connections: 272,
    enable_out_of_order_receive: 280,
    orphan_zero_rtt_buffer: 288, // max_packets 288, max_bytes 296, max_age_us 304
    enable_reserved_version_probe: 312,
    enable_long_header_stateless_reset: 313,
    enable_minimal_closing_state_retention: 314,
    retry_handshake_validation_policy: 320,
  },
  /** `coquic_client_connection_config_t` (168 bytes). */
  ClientConnectionConfig: {
    size: 168,
    size_field: 0,
    source_connection_id: 8,
    initial_destination_connection_id: 24,
    original_destination_connection_id: 40,
    has_original_destination_connection_id: 56,
    retry_source_connection_id: 64,
    has_retry_source_connection_id: 80,
    retry_token: 88,
    original_version: 104,
    initial_version: 108,
    reacted_to_version_negotiation: 112,
    server_name: 120,
    server_name_length: 128,
    resumption_state: 136,
    zero_rtt: 144,
  },
  /** `coquic_open_connection_t` (200 bytes). */
  OpenConnection: {
    size: 200,
    size_field: 0,
    connection: 8,
    initial_route_handle: 176,
    address_validation_identity: 184,
  },
  /** `coquic_inbound_datagram_t` (64 bytes). */
  InboundDatagram: {
    size: 64,
    size_field: 0,
    bytes: 8,
    route_handle: 24,
    address_validation_identity: 40,
    ecn: 56,
  },
  /** `coquic_path_mtu_update_t` (48 bytes). */
  PathMtuUpdate: { size: 48, size_field: 0, route_handle: 8, max_udp_payload_size: 24, quoted_packet: 32 },
  /** `coquic_send_stream_data_t` (40 bytes). */
  SendStreamData: { size: 40, size_field: 0, stream_id: 8, bytes: 16, fin: 32, priority: 36 },
  /** `coquic_send_datagram_data_t` (32 bytes). */
  SendDatagramData: { size: 32, size_field: 0, bytes: 8, priority: 24 },
  /** `coquic_reset_stream_t` and `coquic_stop_sending_t` (24 bytes each). */
  StreamCode: { size: 24, size_field: 0, stream_id: 8, application_error_code: 16 },
  /** `coquic_close_connection_t` (32 bytes). */
  CloseConnection: {
    size: 32,
    size_field: 0,
    application_error_code: 8,
    reason_phrase: 16,
    reason_phrase_length: 24,
  },
  /** `coquic_request_connection_migration_t` (40 bytes). */
  RequestMigration: {
    size: 40,
    size_field: 0,
    route_handle: 8,
    reason: 16,
    address_validation_identity: 24,
  },
  /** `coquic_connection_input_t` (48 bytes): kind at 0, union at 8. */
  ConnectionInput: { size: 48, kind: 0, as: 8 },
  /** `coquic_local_error_t` (40 bytes). */
  LocalError: { size: 40, connection: 0, code: 16, stream_id: 24 },
  /** `coquic_effect_t` (160 bytes): kind at 0, union at 8; member offsets below are absolute. */
  Effect: {
    size: 160,
    kind: 0,
    connection: 8,
    send_datagram: { route_handle: 16, bytes: 32, ecn: 48, is_pmtu_probe: 49 },
    receive_stream_data: { stream_id: 16, offset: 24, bytes: 32, fin: 48, final_size: 56 },
    receive_datagram_data: { bytes: 16 },
    peer_reset_stream: { stream_id: 16, application_error_code: 24, final_size: 32 },
    peer_stop_sending: { stream_id: 16, application_error_code: 24 },
    /** Extension `coquic_x_stream_effect_t` (STREAM_CLOSED / STREAM_ACKED). */
    x_stream: { stream_id: 16, value: 24 },
    /** Extension `coquic_x_path_effect_t` (PATH_VALIDATION). */
    x_path: { route_handle: 16, succeeded: 24 },
    state_event: { change: 16 },
    connection_lifecycle_event: { event: 16 },
    peer_preferred_address_available: {
      ipv4_address: 16,
      ipv4_port: 20,
      ipv6_address: 22,
      ipv6_port: 38,
      connection_id: 40,
      stateless_reset_token: 56,
    },
    resumption_state_available: { serialized: 16 },
    zero_rtt_status_event: { status: 16 },
    packet_inspection: {
      direction: 16,
      packet_type: 17,
      datagram_id: 24,
      datagram_length: 32,
      datagram_offset: 40,
      packet_length: 48,
      version: 56,
      destination_connection_id: 64,
      source_connection_id: 80,
      token: 96,
      spin_bit: 112,
      key_phase: 113,
      packet_number_length: 114,
      packet_number: 120,
      encrypted_packet: 128,
      plaintext_payload: 144,
    },
    new_token_available: { token: 16 },
  },
  /** Extension `coquic_x_close_info_t` (40 bytes). */
  CloseInfo: { size: 40, connection: 0, source: 8, is_application_error: 9, error_code: 16, reason: 24 },
  /** Extension `coquic_x_connection_stats_t` (160 bytes): u64 fields in this order after `size`. */
  ConnectionStats: {
    size: 160,
    fields: [
      "smoothedRttUs",
      "minRttUs",
      "latestRttUs",
      "rttVarianceUs",
      "congestionWindow",
      "bytesInFlight",
      "udpBytesSent",
      "udpBytesReceived",
      "packetsSent",
      "packetsReceived",
      "packetsLost",
      "streamBytesSent",
      "streamBytesReceived",
      "streamsOpenedLocal",
      "streamsOpenedRemote",
      "streamsActive",
      "datagramsSent",
      "datagramsReceived",
    ],
    first_field: 8,
    handshake_completed: 152,
    closing: 153,
    resumed: 154,
    early_data_accepted: 155,
  },
  /** Extension `coquic_x_io_stats_t` (152 bytes): u64 fields in this order after `size`. */
  IoStats: {
    size: 152,
    fields: [
      "recvSyscalls",
      "recvMessages",
      "recvDatagrams",
      "recvBytes",
      "sendSyscalls",
      "sendMessages",
      "sendDatagrams",
      "sendBytes",
      "sendWouldBlock",
      "sendErrors",
      "recvEcnEct0",
      "recvEcnEct1",
      "recvEcnCe",
      "sendEcnMarked",
      "droppedNoRoute",
      "queued",
      "peers",
    ],
    first_field: 8,
    gso: 144,
    gro: 145,
    ecn: 146,
  },
  /** Extension `coquic_x_result_summary_t` (48 bytes). */
  ResultSummary: {
    size: 48,
    effect_count: 0,
    datagram_count: 8,
    datagram_bytes: 16,
    other_effect_count: 24,
    next_wakeup: 32,
    has_next_wakeup: 40,
    send_continuation_pending: 41,
    has_local_error: 42,
    close_info_count: 43,
  },
} as const;

/**
 * `coquic_status_t` values.
 *
 * @example
 * ```ts
 * declare const status: number;
 * if (status !== Status.OK) throw new Error(`coquic_endpoint_create: status ${status}`);
 * ```
 */
export const Status = { OK: 0, INVALID_ARGUMENT: 1, OUT_OF_MEMORY: 2, INTERNAL_ERROR: 3 } as const;
/**
 * `coquic_role_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.EndpointConfig.role, Role.SERVER);
 * ```
 */
export const Role = { CLIENT: 0, SERVER: 1 } as const;
/**
 * `coquic_congestion_control_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.TransportConfig.congestion_control, CongestionControl.CUBIC);
 * ```
 */
export const CongestionControl = { NEWRENO: 0, CUBIC: 1, BBR: 2, COPA: 3, PCC: 4, PCC_VIVACE: 5 } as const;
/**
 * `coquic_ecn_codepoint_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.InboundDatagram.ecn, Ecn.ECT0);
 * ```
 */
export const Ecn = { UNAVAILABLE: 0, NOT_ECT: 1, ECT0: 2, ECT1: 3, CE: 4 } as const;
/**
 * `coquic_ecn_policy_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.TransportConfig.ecn_policy, EcnPolicy.RFC9000_ECT0);
 * ```
 */
export const EcnPolicy = { RFC9000_ECT0: 0, RFC8311_ECT1: 1 } as const;
/**
 * `coquic_retry_handshake_validation_policy_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.EndpointConfig.retry_handshake_validation_policy, RetryHandshakeValidation.DISABLED);
 * ```
 */
export const RetryHandshakeValidation = { DISABLED: 0, DISCARD: 1, CONNECTION_ERROR: 2 } as const;
/**
 * `coquic_state_change_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(16) === StateChange.HANDSHAKE_CONFIRMED) console.log("confirmed");
 * ```
 */
export const StateChange = { HANDSHAKE_READY: 0, HANDSHAKE_CONFIRMED: 1, FAILED: 2 } as const;
/**
 * `coquic_lifecycle_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(16) === Lifecycle.ACCEPTED) console.log("accepted");
 * ```
 */
export const Lifecycle = { CREATED: 0, ACCEPTED: 1, CLOSED: 2 } as const;
/**
 * `coquic_local_error_code_t` values (8 included, unlike some upstream bindings).
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.LocalError.code) === LocalErrorCode.FLOW_CONTROL_VIOLATION) console.log("slow down");
 * ```
 */
export const LocalErrorCode = {
  UNSUPPORTED_OPERATION: 0,
  INVALID_STREAM_ID: 1,
  INVALID_STREAM_DIRECTION: 2,
  SEND_SIDE_CLOSED: 3,
  RECEIVE_SIDE_CLOSED: 4,
  FINAL_SIZE_CONFLICT: 5,
  DATAGRAM_NOT_SUPPORTED: 6,
  DATAGRAM_TOO_LARGE: 7,
  FLOW_CONTROL_VIOLATION: 8,
} as const;
/**
 * `coquic_migration_reason_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.RequestMigration.reason, MigrationReason.ACTIVE);
 * ```
 */
export const MigrationReason = { ACTIVE: 0, PREFERRED_ADDRESS: 1 } as const;
/**
 * `coquic_zero_rtt_status_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.Effect.zero_rtt_status_event.status) === ZeroRttStatus.ACCEPTED) console.log("0-RTT");
 * ```
 */
export const ZeroRttStatus = { UNAVAILABLE: 0, NOT_ATTEMPTED: 1, ATTEMPTED: 2, ACCEPTED: 3, REJECTED: 4 } as const;
/**
 * `coquic_connection_input_kind_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * view.setUint8(Layout.ConnectionInput.kind, ConnectionInputKind.SEND_STREAM);
 * ```
 */
export const ConnectionInputKind = {
  SEND_STREAM: 0,
  SEND_DATAGRAM: 1,
  RESET_STREAM: 2,
  STOP_SENDING: 3,
  CLOSE: 4,
  REQUEST_KEY_UPDATE: 5,
  REQUEST_MIGRATION: 6,
} as const;
/**
 * `coquic_effect_kind_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.Effect.kind) === EffectKind.SEND_DATAGRAM) console.log("datagram");
 * ```
 */
export const EffectKind = {
  SEND_DATAGRAM: 0,
  RECEIVE_STREAM_DATA: 1,
  RECEIVE_DATAGRAM_DATA: 2,
  PEER_RESET_STREAM: 3,
  PEER_STOP_SENDING: 4,
  STATE_EVENT: 5,
  CONNECTION_LIFECYCLE_EVENT: 6,
  PEER_PREFERRED_ADDRESS_AVAILABLE: 7,
  RESUMPTION_STATE_AVAILABLE: 8,
  ZERO_RTT_STATUS_EVENT: 9,
  PACKET_INSPECTION: 10,
  NEW_TOKEN_AVAILABLE: 11,
} as const;
/**
 * `coquic_packet_inspection_direction_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.Effect.packet_inspection.direction) === PacketInspectionDirection.INBOUND) console.log("in");
 * ```
 */
export const PacketInspectionDirection = { OUTBOUND: 0, INBOUND: 1 } as const;
/**
 * `coquic_packet_inspection_packet_type_t` values.
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.Effect.packet_inspection.packet_type) === PacketInspectionPacketType.ONE_RTT) console.log("1-RTT");
 * ```
 */
export const PacketInspectionPacketType = { INITIAL: 0, ZERO_RTT: 1, HANDSHAKE: 2, ONE_RTT: 3 } as const;
/**
 * `coquic_x_close_source_t` values (extension).
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.CloseInfo.source) === CloseSource.PEER) console.log("peer closed");
 * ```
 */
export const CloseSource = {
  LOCAL: 0,
  PEER: 1,
  IDLE_TIMEOUT: 2,
  STATELESS_RESET: 3,
  PROTOCOL_ERROR: 4,
  HANDSHAKE_TIMEOUT: 5,
} as const;
/**
 * Extension effect kinds (outside the core range; emitted only when switched on with
 * `coquic_x_endpoint_set_stream_effects`).
 *
 * @example
 * ```ts
 * declare const view: DataView;
 * if (view.getUint8(Layout.Effect.kind) === XEffectKind.STREAM_CLOSED) console.log("stream closed");
 * ```
 */
export const XEffectKind = { STREAM_CLOSED: 0x80, STREAM_ACKED: 0x81, PATH_VALIDATION: 0x82 } as const;
/**
 * `coquic_x_endpoint_set_stream_effects` flags.
 *
 * @example
 * ```ts
 * const flags = StreamEffectFlag.CLOSED | StreamEffectFlag.ACKED;
 * ```
 */
export const StreamEffectFlag = { CLOSED: 1, ACKED: 2 } as const;
/**
 * Route value meaning "no route" in the batch extension arrays.
 *
 * @example
 * ```ts
 * declare const routes: bigint[], i: number;
 * const route = routes[i] === NO_ROUTE ? undefined : routes[i];
 * ```
 */
export const NO_ROUTE = 1n << 63n;

/**
 * `coquic_x_io_wait` results (extension, native I/O).
 *
 * @example
 * ```ts
 * declare const result: number; // a coquic_x_io_wait result
 * if (result === IoWait.CLOSED) console.log("closed");
 * ```
 */
export const IoWait = { TIMEOUT: 0, READY: 1, INTERRUPTED: 2, CLOSED: 3 } as const;

/**
 * `coquic_x_io_bind` flags: turn one offload off (measurements, tests).
 *
 * @example
 * ```ts
 * const flags = IoFlags.NO_GSO | IoFlags.NO_GRO;
 * ```
 */
export const IoFlags = { NO_GSO: 1, NO_GRO: 2, NO_ECN: 4 } as const;
