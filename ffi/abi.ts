/**
 * The one description of the CoQUIC C ABI v12 (plus our optional `coquic_x_` extensions):
 * every symbol's signature in a neutral type vocabulary, which `runtimes/` translates to
 * Deno's and Bun's FFI vocabularies. Struct layouts live in `layout.ts`.
 *
 * @module
 */

/** ABI version this binding is written against. */
export const COQUIC_FFI_ABI_VERSION = 12;

/**
 * Neutral FFI types.
 * - `ptr`: a native address held as a bigint (handles, result objects).
 * - `buf`: a JS `Uint8Array` passed by address for the duration of the call.
 * - `bytes16`: a 16-byte `{ptr, len}` struct passed BY VALUE (two integer registers on SysV x86-64).
 * - `opt16`: a 16-byte `{u8 has_value; u64 value}` struct RETURNED by value.
 */
export type NeutralType = "void" | "u8" | "u32" | "u64" | "i32" | "ptr" | "buf" | "bytes16" | "opt16";

/** One exported function. */
export interface SymbolSpec {
  readonly parameters: readonly NeutralType[];
  readonly result: NeutralType;
}

// The shape shared by result-returning calls: ..., now_us, coquic_result_t** out.
const R = ["u64", "buf"] as const;

/** Every core symbol of ABI v12: a library must export all of them. */
export const CORE_SYMBOLS = {
  coquic_ffi_abi_version: { parameters: [], result: "u32" },
  coquic_transport_config_init: { parameters: ["buf"], result: "void" },
  coquic_endpoint_config_init: { parameters: ["buf"], result: "void" },
  coquic_client_connection_config_init: { parameters: ["buf"], result: "void" },
  coquic_endpoint_create: { parameters: ["buf", "buf"], result: "u8" },
  coquic_endpoint_destroy: { parameters: ["ptr"], result: "void" },
  coquic_endpoint_open_connection: { parameters: ["ptr", "buf", ...R], result: "u8" },
  coquic_endpoint_input_datagram: { parameters: ["ptr", "buf", ...R], result: "u8" },
  coquic_endpoint_update_path_mtu: { parameters: ["ptr", "buf", ...R], result: "u8" },
  coquic_endpoint_timer_expired: { parameters: ["ptr", ...R], result: "u8" },
  coquic_connection_send_stream: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_send_datagram: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_reset_stream: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_stop_sending: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_close: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_request_key_update: { parameters: ["ptr", "u64", ...R], result: "u8" },
  coquic_connection_request_migration: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_connection_advance: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connect: { parameters: ["ptr", "buf", "u64", "buf", "buf"], result: "u8" },
  coquic_quic_receive_datagram: { parameters: ["ptr", "buf", ...R], result: "u8" },
  coquic_quic_update_path_mtu: { parameters: ["ptr", "buf", ...R], result: "u8" },
  coquic_quic_timer_expired: { parameters: ["ptr", ...R], result: "u8" },
  coquic_quic_connection_send_stream: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connection_send_datagram: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connection_reset_stream: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connection_stop_sending: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connection_close: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_connection_request_key_update: { parameters: ["ptr", "u64", ...R], result: "u8" },
  coquic_quic_connection_advance: { parameters: ["ptr", "u64", "buf", ...R], result: "u8" },
  coquic_quic_stream_send: { parameters: ["ptr", "u64", "u64", "bytes16", "u8", ...R], result: "u8" },
  coquic_quic_stream_finish: { parameters: ["ptr", "u64", "u64", ...R], result: "u8" },
  coquic_quic_stream_reset: { parameters: ["ptr", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_quic_stream_stop_sending: { parameters: ["ptr", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_endpoint_connection_count: { parameters: ["ptr"], result: "u64" },
  coquic_endpoint_has_send_continuation_pending: { parameters: ["ptr"], result: "u8" },
  coquic_endpoint_has_pending_stream_send: { parameters: ["ptr"], result: "u8" },
  coquic_endpoint_next_wakeup: { parameters: ["ptr"], result: "opt16" },
  coquic_result_destroy: { parameters: ["ptr"], result: "void" },
  coquic_result_effect_count: { parameters: ["ptr"], result: "u64" },
  coquic_result_effect_at: { parameters: ["ptr", "u64", "buf"], result: "u8" },
  coquic_result_next_wakeup: { parameters: ["ptr"], result: "opt16" },
  coquic_result_has_local_error: { parameters: ["ptr"], result: "u8" },
  coquic_result_local_error: { parameters: ["ptr", "buf"], result: "u8" },
  coquic_result_send_continuation_pending: { parameters: ["ptr"], result: "u8" },
} as const satisfies Record<string, SymbolSpec>;

/** Our engine's optional extensions (see native/include/coquic/ffi/ext.h). */
export const EXTENSION_SYMBOLS = {
  coquic_x_version: { parameters: [], result: "u32" },
  coquic_x_engine_name: { parameters: [], result: "ptr" },
  coquic_x_last_error_message: { parameters: ["buf", "u64"], result: "u64" },
  coquic_x_result_effects: { parameters: ["ptr", "buf"], result: "ptr" },
  coquic_x_endpoint_next_wakeup: { parameters: ["ptr", "buf"], result: "u8" },
  coquic_x_result_next_wakeup: { parameters: ["ptr", "buf"], result: "u8" },
  coquic_x_result_close_infos: { parameters: ["ptr", "buf"], result: "ptr" },
  coquic_x_connection_stats: { parameters: ["ptr", "u64", "buf"], result: "u8" },
  coquic_x_endpoint_add_trusted_ca: { parameters: ["ptr", "buf", "u64"], result: "u8" },
  coquic_x_endpoint_set_manual_credit: { parameters: ["ptr", "u8"], result: "u8" },
  coquic_x_connection_consume: { parameters: ["ptr", "u64", "u64", "u64", ...R], result: "u8" },
  coquic_x_stream_send_buffered: { parameters: ["ptr", "u64", "u64"], result: "u64" },
  coquic_x_endpoint_input_datagrams: { parameters: ["ptr", "buf", "buf", "buf", "u64", ...R], result: "u8" },
  coquic_x_result_summary: { parameters: ["ptr", "buf"], result: "void" },
  coquic_x_result_copy_datagrams: { parameters: ["ptr", "u64", "buf", "u64", "buf", "buf", "buf", "buf", "u64"], result: "u64" },
} as const satisfies Record<string, SymbolSpec>;

/** Names of the core symbols. */
export type CoreSymbol = keyof typeof CORE_SYMBOLS;
/** Names of the extension symbols. */
export type ExtensionSymbol = keyof typeof EXTENSION_SYMBOLS;

/** `coquic_status_t` values. */
export const Status = { OK: 0, INVALID_ARGUMENT: 1, OUT_OF_MEMORY: 2, INTERNAL_ERROR: 3 } as const;
/** `coquic_role_t` values. */
export const Role = { CLIENT: 0, SERVER: 1 } as const;
/** `coquic_congestion_control_t` values. */
export const CongestionControl = { NEWRENO: 0, CUBIC: 1, BBR: 2, COPA: 3, PCC: 4, PCC_VIVACE: 5 } as const;
/** `coquic_ecn_codepoint_t` values. */
export const Ecn = { UNAVAILABLE: 0, NOT_ECT: 1, ECT0: 2, ECT1: 3, CE: 4 } as const;
/** `coquic_ecn_policy_t` values. */
export const EcnPolicy = { RFC9000_ECT0: 0, RFC8311_ECT1: 1 } as const;
/** `coquic_retry_handshake_validation_policy_t` values. */
export const RetryHandshakeValidation = { DISABLED: 0, DISCARD: 1, CONNECTION_ERROR: 2 } as const;
/** `coquic_state_change_t` values. */
export const StateChange = { HANDSHAKE_READY: 0, HANDSHAKE_CONFIRMED: 1, FAILED: 2 } as const;
/** `coquic_lifecycle_t` values. */
export const Lifecycle = { CREATED: 0, ACCEPTED: 1, CLOSED: 2 } as const;
/** `coquic_local_error_code_t` values (8 included, unlike some upstream bindings). */
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
/** `coquic_migration_reason_t` values. */
export const MigrationReason = { ACTIVE: 0, PREFERRED_ADDRESS: 1 } as const;
/** `coquic_zero_rtt_status_t` values. */
export const ZeroRttStatus = { UNAVAILABLE: 0, NOT_ATTEMPTED: 1, ATTEMPTED: 2, ACCEPTED: 3, REJECTED: 4 } as const;
/** `coquic_connection_input_kind_t` values. */
export const ConnectionInputKind = {
  SEND_STREAM: 0,
  SEND_DATAGRAM: 1,
  RESET_STREAM: 2,
  STOP_SENDING: 3,
  CLOSE: 4,
  REQUEST_KEY_UPDATE: 5,
  REQUEST_MIGRATION: 6,
} as const;
/** `coquic_effect_kind_t` values. */
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
/** `coquic_x_close_source_t` values (extension). */
export const CloseSource = {
  LOCAL: 0,
  PEER: 1,
  IDLE_TIMEOUT: 2,
  STATELESS_RESET: 3,
  PROTOCOL_ERROR: 4,
  HANDSHAKE_TIMEOUT: 5,
} as const;
/** Route value meaning "no route" in the batch extension arrays. */
export const NO_ROUTE = 1n << 63n;
