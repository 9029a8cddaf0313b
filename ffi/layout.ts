/**
 * Struct layouts of the CoQUIC C ABI v12 on x86-64 (LP64): sizes and field offsets, the
 * one place the binding knows them. `tests/abi_layout.test.ts` checks them against the
 * reference table and the native test suite checks the C side.
 *
 * @module
 */

/** `coquic_transport_config_t` (168 bytes, no size field). */
export const TransportConfig = {
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
} as const;

/** `coquic_tls_identity_t` (32 bytes). */
export const TlsIdentity = {
  size: 32,
  certificate_pem: 0,
  certificate_pem_length: 8,
  private_key_pem: 16,
  private_key_pem_length: 24,
} as const;

/** `coquic_zero_rtt_config_t` (24 bytes). */
export const ZeroRttConfig = {
  size: 24,
  attempt: 0,
  allow: 1,
  strict_updated_transport_parameters: 2,
  application_context: 8,
} as const;

/** `coquic_endpoint_config_t` (328 bytes). */
export const EndpointConfig = {
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
} as const;

/** `coquic_client_connection_config_t` (168 bytes). */
export const ClientConnectionConfig = {
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
} as const;

/** `coquic_open_connection_t` (200 bytes). */
export const OpenConnection = {
  size: 200,
  size_field: 0,
  connection: 8,
  initial_route_handle: 176,
  address_validation_identity: 184,
} as const;

/** `coquic_inbound_datagram_t` (64 bytes). */
export const InboundDatagram = {
  size: 64,
  size_field: 0,
  bytes: 8,
  route_handle: 24,
  address_validation_identity: 40,
  ecn: 56,
} as const;

/** `coquic_path_mtu_update_t` (48 bytes). */
export const PathMtuUpdate = { size: 48, size_field: 0, route_handle: 8, max_udp_payload_size: 24, quoted_packet: 32 } as const;

/** `coquic_send_stream_data_t` (40 bytes). */
export const SendStreamData = { size: 40, size_field: 0, stream_id: 8, bytes: 16, fin: 32, priority: 36 } as const;
/** `coquic_send_datagram_data_t` (32 bytes). */
export const SendDatagramData = { size: 32, size_field: 0, bytes: 8, priority: 24 } as const;
/** `coquic_reset_stream_t` and `coquic_stop_sending_t` (24 bytes each). */
export const StreamCode = { size: 24, size_field: 0, stream_id: 8, application_error_code: 16 } as const;
/** `coquic_close_connection_t` (32 bytes). */
export const CloseConnection = {
  size: 32,
  size_field: 0,
  application_error_code: 8,
  reason_phrase: 16,
  reason_phrase_length: 24,
} as const;
/** `coquic_request_connection_migration_t` (40 bytes). */
export const RequestMigration = {
  size: 40,
  size_field: 0,
  route_handle: 8,
  reason: 16,
  address_validation_identity: 24,
} as const;
/** `coquic_connection_input_t` (48 bytes): kind at 0, union at 8. */
export const ConnectionInput = { size: 48, kind: 0, as: 8 } as const;
/** `coquic_local_error_t` (40 bytes). */
export const LocalError = { size: 40, connection: 0, code: 16, stream_id: 24 } as const;

/** `coquic_effect_t` (160 bytes): kind at 0, union at 8; member offsets below are absolute. */
export const Effect = {
  size: 160,
  kind: 0,
  connection: 8,
  send_datagram: { route_handle: 16, bytes: 32, ecn: 48, is_pmtu_probe: 49 },
  receive_stream_data: { stream_id: 16, offset: 24, bytes: 32, fin: 48, final_size: 56 },
  receive_datagram_data: { bytes: 16 },
  peer_reset_stream: { stream_id: 16, application_error_code: 24, final_size: 32 },
  peer_stop_sending: { stream_id: 16, application_error_code: 24 },
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
} as const;

/** Extension `coquic_x_close_info_t` (40 bytes). */
export const CloseInfo = { size: 40, connection: 0, source: 8, is_application_error: 9, error_code: 16, reason: 24 } as const;

/** Extension `coquic_x_connection_stats_t` (160 bytes): u64 fields in this order after `size`. */
export const ConnectionStats = {
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
} as const;

/** Extension `coquic_x_result_summary_t` (48 bytes). */
export const ResultSummary = {
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
} as const;
