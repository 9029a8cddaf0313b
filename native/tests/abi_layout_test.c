/*
 * Struct sizes, every field offset and every enum value, against the reference table
 * (/work/shared/reference/coquic-abi.md §1.2-§1.3, x86-64 SysV LP64) and the layouts
 * documented in ext.h. The numbers are typed from the table, never computed.
 */
#include <stddef.h>

#include "coquic/ffi/core.h"
#include "coquic/ffi/ext.h"
#include "test.h"

#define SIZE(type, expected) CHECK_EQ(sizeof(type), expected)
#define OFF(type, field, expected) CHECK_EQ(offsetof(type, field), expected)
/* offset and size of a field */
#define FIELD(type, field, off, sz)                                                \
    do {                                                                           \
        OFF(type, field, off);                                                     \
        CHECK_EQ(sizeof(((type *)0)->field), sz);                                  \
    } while (0)

TEST(abi_version) {
    CHECK_EQ(COQUIC_FFI_ABI_VERSION, 12);
    CHECK_EQ(coquic_ffi_abi_version(), 12);
    CHECK_EQ(COQUIC_X_VERSION, 2);
    CHECK_EQ(coquic_x_version(), 2);
    CHECK(coquic_x_engine_name() != NULL);
}

TEST(abi_scalar_typedefs) {
    SIZE(coquic_connection_handle_t, 8);
    SIZE(coquic_route_handle_t, 8);
    SIZE(coquic_stream_id_t, 8);
    SIZE(coquic_time_us_t, 8);
    SIZE(coquic_status_t, 1);
    SIZE(coquic_role_t, 1);
    SIZE(coquic_retry_handshake_validation_policy_t, 1);
    SIZE(coquic_congestion_control_t, 1);
    SIZE(coquic_ecn_codepoint_t, 1);
    SIZE(coquic_ecn_policy_t, 1);
    SIZE(coquic_state_change_t, 1);
    SIZE(coquic_local_error_code_t, 1);
    SIZE(coquic_lifecycle_t, 1);
    SIZE(coquic_migration_reason_t, 1);
    SIZE(coquic_zero_rtt_status_t, 1);
    SIZE(coquic_packet_inspection_direction_t, 1);
    SIZE(coquic_packet_inspection_packet_type_t, 1);
    SIZE(coquic_connection_input_kind_t, 1);
    SIZE(coquic_effect_kind_t, 1);
    SIZE(coquic_x_close_source_t, 1);
}

TEST(abi_small_structs) {
    SIZE(coquic_bytes_view_t, 16);
    FIELD(coquic_bytes_view_t, data, 0, 8);
    FIELD(coquic_bytes_view_t, length, 8, 8);
    SIZE(coquic_bytes_t, 16);
    FIELD(coquic_bytes_t, data, 0, 8);
    FIELD(coquic_bytes_t, length, 8, 8);

    SIZE(coquic_optional_route_handle_t, 16);
    FIELD(coquic_optional_route_handle_t, has_value, 0, 1);
    FIELD(coquic_optional_route_handle_t, value, 8, 8);
    SIZE(coquic_optional_connection_handle_t, 16);
    FIELD(coquic_optional_connection_handle_t, has_value, 0, 1);
    FIELD(coquic_optional_connection_handle_t, value, 8, 8);
    SIZE(coquic_optional_stream_id_t, 16);
    FIELD(coquic_optional_stream_id_t, has_value, 0, 1);
    FIELD(coquic_optional_stream_id_t, value, 8, 8);
    SIZE(coquic_optional_time_us_t, 16);
    FIELD(coquic_optional_time_us_t, has_value, 0, 1);
    FIELD(coquic_optional_time_us_t, value, 8, 8);
    SIZE(coquic_optional_u64_t, 16);
    FIELD(coquic_optional_u64_t, has_value, 0, 1);
    FIELD(coquic_optional_u64_t, value, 8, 8);

    SIZE(coquic_tls_identity_t, 32);
    FIELD(coquic_tls_identity_t, certificate_pem, 0, 8);
    FIELD(coquic_tls_identity_t, certificate_pem_length, 8, 8);
    FIELD(coquic_tls_identity_t, private_key_pem, 16, 8);
    FIELD(coquic_tls_identity_t, private_key_pem_length, 24, 8);

    SIZE(coquic_zero_rtt_config_t, 24);
    FIELD(coquic_zero_rtt_config_t, attempt, 0, 1);
    FIELD(coquic_zero_rtt_config_t, allow, 1, 1);
    FIELD(coquic_zero_rtt_config_t, strict_updated_transport_parameters, 2, 1);
    FIELD(coquic_zero_rtt_config_t, application_context, 8, 16);

    SIZE(coquic_orphan_zero_rtt_buffer_config_t, 24);
    FIELD(coquic_orphan_zero_rtt_buffer_config_t, max_packets, 0, 8);
    FIELD(coquic_orphan_zero_rtt_buffer_config_t, max_bytes, 8, 8);
    FIELD(coquic_orphan_zero_rtt_buffer_config_t, max_age_us, 16, 8);

    SIZE(coquic_resumption_state_t, 16);
    FIELD(coquic_resumption_state_t, serialized, 0, 16);
}

TEST(abi_transport_config) {
    typedef coquic_transport_config_t T;
    SIZE(T, 168);
    FIELD(T, max_idle_timeout, 0, 8);
    FIELD(T, max_udp_payload_size, 8, 8);
    FIELD(T, pmtud_enabled, 16, 1);
    FIELD(T, pmtud_base_datagram_size, 24, 8);
    FIELD(T, pmtud_max_datagram_size, 32, 8);
    FIELD(T, active_connection_id_limit, 40, 8);
    FIELD(T, disable_active_migration, 48, 1);
    FIELD(T, defer_active_migration_path_validation, 49, 1);
    FIELD(T, migration_recovery_retention_timeout_us, 56, 8);
    FIELD(T, ack_delay_exponent, 64, 8);
    FIELD(T, max_ack_delay, 72, 8);
    FIELD(T, ack_eliciting_threshold, 80, 8);
    FIELD(T, initial_max_data, 88, 8);
    FIELD(T, initial_max_stream_data_bidi_local, 96, 8);
    FIELD(T, initial_max_stream_data_bidi_remote, 104, 8);
    FIELD(T, initial_max_stream_data_uni, 112, 8);
    FIELD(T, initial_max_streams_bidi, 120, 8);
    FIELD(T, initial_max_streams_uni, 128, 8);
    FIELD(T, max_datagram_frame_size, 136, 8);
    FIELD(T, congestion_control, 144, 1);
    FIELD(T, enable_hystart_plus_plus, 145, 1);
    FIELD(T, send_stream_fairness, 146, 1);
    FIELD(T, enable_latency_spin_bit, 147, 1);
    FIELD(T, grease_reserved_versions, 148, 1);
    FIELD(T, grease_quic_bit, 149, 1);
    FIELD(T, enable_optimistic_ack_mitigation, 150, 1);
    FIELD(T, underfilled_packet_coalescing_delay_us, 152, 8);
    FIELD(T, ecn_policy, 160, 1);
    FIELD(T, pmtud_provisional_icmp_reductions, 161, 1);
}

TEST(abi_endpoint_config) {
    typedef coquic_endpoint_config_t T;
    SIZE(T, 328);
    FIELD(T, size, 0, 8);
    FIELD(T, role, 8, 1);
    FIELD(T, reserved_role_padding, 9, 7);
    FIELD(T, supported_versions, 16, 8);
    FIELD(T, supported_versions_count, 24, 8);
    FIELD(T, verify_peer, 32, 1);
    FIELD(T, retry_enabled, 33, 1);
    FIELD(T, reserved_retry_padding, 34, 6);
    FIELD(T, application_protocol, 40, 8);
    FIELD(T, application_protocol_length, 48, 8);
    FIELD(T, identity, 56, 8);
    FIELD(T, transport, 64, 168);
    FIELD(T, max_outbound_datagram_size, 232, 8);
    FIELD(T, zero_rtt, 240, 24);
    FIELD(T, emit_shared_receive_stream_data, 264, 1);
    FIELD(T, enable_packet_inspection, 265, 1);
    FIELD(T, allow_peer_address_change, 266, 1);
    FIELD(T, reserved_server_connections_padding, 267, 5);
    FIELD(T, max_server_connections, 272, 8);
    FIELD(T, enable_out_of_order_receive, 280, 1);
    FIELD(T, reserved_orphan_zero_rtt_padding, 281, 7);
    FIELD(T, orphan_zero_rtt_buffer, 288, 24);
    FIELD(T, enable_reserved_version_probe, 312, 1);
    FIELD(T, enable_long_header_stateless_reset, 313, 1);
    FIELD(T, enable_minimal_closing_state_retention, 314, 1);
    FIELD(T, reserved_endpoint_config_tail_padding, 315, 5);
    FIELD(T, retry_handshake_validation_policy, 320, 1);
}

TEST(abi_client_connection_config) {
    typedef coquic_client_connection_config_t T;
    SIZE(T, 168);
    FIELD(T, size, 0, 8);
    FIELD(T, source_connection_id, 8, 16);
    FIELD(T, initial_destination_connection_id, 24, 16);
    FIELD(T, original_destination_connection_id, 40, 16);
    FIELD(T, has_original_destination_connection_id, 56, 1);
    FIELD(T, retry_source_connection_id, 64, 16);
    FIELD(T, has_retry_source_connection_id, 80, 1);
    FIELD(T, retry_token, 88, 16);
    FIELD(T, original_version, 104, 4);
    FIELD(T, initial_version, 108, 4);
    FIELD(T, reacted_to_version_negotiation, 112, 1);
    FIELD(T, server_name, 120, 8);
    FIELD(T, server_name_length, 128, 8);
    FIELD(T, resumption_state, 136, 8);
    FIELD(T, zero_rtt, 144, 24);

    SIZE(coquic_open_connection_t, 200);
    FIELD(coquic_open_connection_t, size, 0, 8);
    FIELD(coquic_open_connection_t, connection, 8, 168);
    FIELD(coquic_open_connection_t, initial_route_handle, 176, 8);
    FIELD(coquic_open_connection_t, address_validation_identity, 184, 16);
}

TEST(abi_inputs) {
    SIZE(coquic_inbound_datagram_t, 64);
    FIELD(coquic_inbound_datagram_t, size, 0, 8);
    FIELD(coquic_inbound_datagram_t, bytes, 8, 16);
    FIELD(coquic_inbound_datagram_t, route_handle, 24, 16);
    FIELD(coquic_inbound_datagram_t, address_validation_identity, 40, 16);
    FIELD(coquic_inbound_datagram_t, ecn, 56, 1);

    SIZE(coquic_path_mtu_update_t, 48);
    FIELD(coquic_path_mtu_update_t, size, 0, 8);
    FIELD(coquic_path_mtu_update_t, route_handle, 8, 16);
    FIELD(coquic_path_mtu_update_t, max_udp_payload_size, 24, 8);
    FIELD(coquic_path_mtu_update_t, quoted_packet, 32, 16);

    SIZE(coquic_send_stream_data_t, 40);
    FIELD(coquic_send_stream_data_t, size, 0, 8);
    FIELD(coquic_send_stream_data_t, stream_id, 8, 8);
    FIELD(coquic_send_stream_data_t, bytes, 16, 16);
    FIELD(coquic_send_stream_data_t, fin, 32, 1);
    FIELD(coquic_send_stream_data_t, priority, 36, 4);

    SIZE(coquic_send_datagram_data_t, 32);
    FIELD(coquic_send_datagram_data_t, size, 0, 8);
    FIELD(coquic_send_datagram_data_t, bytes, 8, 16);
    FIELD(coquic_send_datagram_data_t, priority, 24, 4);

    SIZE(coquic_reset_stream_t, 24);
    FIELD(coquic_reset_stream_t, size, 0, 8);
    FIELD(coquic_reset_stream_t, stream_id, 8, 8);
    FIELD(coquic_reset_stream_t, application_error_code, 16, 8);

    SIZE(coquic_stop_sending_t, 24);
    FIELD(coquic_stop_sending_t, size, 0, 8);
    FIELD(coquic_stop_sending_t, stream_id, 8, 8);
    FIELD(coquic_stop_sending_t, application_error_code, 16, 8);

    SIZE(coquic_close_connection_t, 32);
    FIELD(coquic_close_connection_t, size, 0, 8);
    FIELD(coquic_close_connection_t, application_error_code, 8, 8);
    FIELD(coquic_close_connection_t, reason_phrase, 16, 8);
    FIELD(coquic_close_connection_t, reason_phrase_length, 24, 8);

    SIZE(coquic_request_connection_migration_t, 40);
    FIELD(coquic_request_connection_migration_t, size, 0, 8);
    FIELD(coquic_request_connection_migration_t, route_handle, 8, 8);
    FIELD(coquic_request_connection_migration_t, reason, 16, 1);
    FIELD(coquic_request_connection_migration_t, address_validation_identity, 24, 16);

    typedef coquic_connection_input_t T;
    SIZE(T, 48);
    FIELD(T, kind, 0, 1);
    FIELD(T, as, 8, 40);
    FIELD(T, as.send_stream, 8, 40);
    FIELD(T, as.send_datagram, 8, 32);
    FIELD(T, as.reset_stream, 8, 24);
    FIELD(T, as.stop_sending, 8, 24);
    FIELD(T, as.close, 8, 32);
    FIELD(T, as.request_migration, 8, 40);
}

TEST(abi_effect_payloads) {
    SIZE(coquic_local_error_t, 40);
    FIELD(coquic_local_error_t, connection, 0, 16);
    FIELD(coquic_local_error_t, code, 16, 1);
    FIELD(coquic_local_error_t, stream_id, 24, 16);

    SIZE(coquic_send_datagram_effect_t, 48);
    FIELD(coquic_send_datagram_effect_t, connection, 0, 8);
    FIELD(coquic_send_datagram_effect_t, route_handle, 8, 16);
    FIELD(coquic_send_datagram_effect_t, bytes, 24, 16);
    FIELD(coquic_send_datagram_effect_t, ecn, 40, 1);
    FIELD(coquic_send_datagram_effect_t, is_pmtu_probe, 41, 1);

    SIZE(coquic_receive_stream_data_effect_t, 64);
    FIELD(coquic_receive_stream_data_effect_t, connection, 0, 8);
    FIELD(coquic_receive_stream_data_effect_t, stream_id, 8, 8);
    FIELD(coquic_receive_stream_data_effect_t, offset, 16, 8);
    FIELD(coquic_receive_stream_data_effect_t, bytes, 24, 16);
    FIELD(coquic_receive_stream_data_effect_t, fin, 40, 1);
    FIELD(coquic_receive_stream_data_effect_t, final_size, 48, 16);

    SIZE(coquic_receive_datagram_data_effect_t, 24);
    FIELD(coquic_receive_datagram_data_effect_t, connection, 0, 8);
    FIELD(coquic_receive_datagram_data_effect_t, bytes, 8, 16);

    SIZE(coquic_peer_reset_stream_effect_t, 32);
    FIELD(coquic_peer_reset_stream_effect_t, connection, 0, 8);
    FIELD(coquic_peer_reset_stream_effect_t, stream_id, 8, 8);
    FIELD(coquic_peer_reset_stream_effect_t, application_error_code, 16, 8);
    FIELD(coquic_peer_reset_stream_effect_t, final_size, 24, 8);

    SIZE(coquic_peer_stop_sending_effect_t, 24);
    FIELD(coquic_peer_stop_sending_effect_t, connection, 0, 8);
    FIELD(coquic_peer_stop_sending_effect_t, stream_id, 8, 8);
    FIELD(coquic_peer_stop_sending_effect_t, application_error_code, 16, 8);

    SIZE(coquic_state_event_effect_t, 16);
    FIELD(coquic_state_event_effect_t, connection, 0, 8);
    FIELD(coquic_state_event_effect_t, change, 8, 1);

    SIZE(coquic_connection_lifecycle_event_effect_t, 16);
    FIELD(coquic_connection_lifecycle_event_effect_t, connection, 0, 8);
    FIELD(coquic_connection_lifecycle_event_effect_t, event, 8, 1);

    SIZE(coquic_preferred_address_t, 56);
    FIELD(coquic_preferred_address_t, ipv4_address, 0, 4);
    FIELD(coquic_preferred_address_t, ipv4_port, 4, 2);
    FIELD(coquic_preferred_address_t, ipv6_address, 6, 16);
    FIELD(coquic_preferred_address_t, ipv6_port, 22, 2);
    FIELD(coquic_preferred_address_t, connection_id, 24, 16);
    FIELD(coquic_preferred_address_t, stateless_reset_token, 40, 16);

    SIZE(coquic_peer_preferred_address_available_effect_t, 64);
    FIELD(coquic_peer_preferred_address_available_effect_t, connection, 0, 8);
    FIELD(coquic_peer_preferred_address_available_effect_t, preferred_address, 8, 56);

    SIZE(coquic_resumption_state_available_effect_t, 24);
    FIELD(coquic_resumption_state_available_effect_t, connection, 0, 8);
    FIELD(coquic_resumption_state_available_effect_t, serialized, 8, 16);

    SIZE(coquic_zero_rtt_status_event_effect_t, 16);
    FIELD(coquic_zero_rtt_status_event_effect_t, connection, 0, 8);
    FIELD(coquic_zero_rtt_status_event_effect_t, status, 8, 1);

    typedef coquic_packet_inspection_effect_t P;
    SIZE(P, 152);
    FIELD(P, connection, 0, 8);
    FIELD(P, direction, 8, 1);
    FIELD(P, packet_type, 9, 1);
    FIELD(P, datagram_id, 16, 8);
    FIELD(P, datagram_length, 24, 8);
    FIELD(P, datagram_offset, 32, 8);
    FIELD(P, packet_length, 40, 8);
    FIELD(P, version, 48, 4);
    FIELD(P, destination_connection_id, 56, 16);
    FIELD(P, source_connection_id, 72, 16);
    FIELD(P, token, 88, 16);
    FIELD(P, spin_bit, 104, 1);
    FIELD(P, key_phase, 105, 1);
    FIELD(P, packet_number_length, 106, 1);
    FIELD(P, packet_number, 112, 8);
    FIELD(P, encrypted_packet, 120, 16);
    FIELD(P, plaintext_payload, 136, 16);

    SIZE(coquic_new_token_available_effect_t, 24);
    FIELD(coquic_new_token_available_effect_t, connection, 0, 8);
    FIELD(coquic_new_token_available_effect_t, token, 8, 16);
}

TEST(abi_effect_union) {
    typedef coquic_effect_t E;
    SIZE(E, 160);
    FIELD(E, kind, 0, 1);
    FIELD(E, as, 8, 152);
    /* members in kind order, each at the start of the union (absolute offset 8) */
    FIELD(E, as.send_datagram, 8, 48);
    FIELD(E, as.receive_stream_data, 8, 64);
    FIELD(E, as.receive_datagram_data, 8, 24);
    FIELD(E, as.peer_reset_stream, 8, 32);
    FIELD(E, as.peer_stop_sending, 8, 24);
    FIELD(E, as.state_event, 8, 16);
    FIELD(E, as.connection_lifecycle_event, 8, 16);
    FIELD(E, as.peer_preferred_address_available, 8, 64);
    FIELD(E, as.resumption_state_available, 8, 24);
    FIELD(E, as.zero_rtt_status_event, 8, 16);
    FIELD(E, as.packet_inspection, 8, 152);
    FIELD(E, as.new_token_available, 8, 24);
    /* the connection handle of every member sits at absolute offset 8 */
    OFF(E, as.receive_stream_data.connection, 8);
    OFF(E, as.packet_inspection.connection, 8);
    OFF(E, as.new_token_available.connection, 8);
}

TEST(abi_extension_structs) {
    /* stream effects ride in coquic_effect_t's union (offset 8), laid out like peer_stop_sending */
    typedef coquic_x_stream_effect_t X;
    SIZE(X, 24);
    FIELD(X, connection, 0, 8);
    FIELD(X, stream_id, 8, 8);
    FIELD(X, value, 16, 8);
    CHECK(sizeof(X) <= sizeof(((coquic_effect_t *)0)->as));
    CHECK(COQUIC_X_EFFECT_STREAM_CLOSED > COQUIC_EFFECT_NEW_TOKEN_AVAILABLE);

    typedef coquic_x_close_info_t C; /* 40 bytes: 0 connection, 8 source, 9 is_app, 16 code, 24 reason */
    SIZE(C, 40);
    FIELD(C, connection, 0, 8);
    FIELD(C, source, 8, 1);
    FIELD(C, is_application_error, 9, 1);
    FIELD(C, error_code, 16, 8);
    FIELD(C, reason, 24, 16);

    typedef coquic_x_connection_stats_t S; /* 160 bytes */
    SIZE(S, 160);
    FIELD(S, size, 0, 8);
    FIELD(S, smoothed_rtt_us, 8, 8);
    FIELD(S, min_rtt_us, 16, 8);
    FIELD(S, latest_rtt_us, 24, 8);
    FIELD(S, rtt_variance_us, 32, 8);
    FIELD(S, congestion_window, 40, 8);
    FIELD(S, bytes_in_flight, 48, 8);
    FIELD(S, udp_bytes_sent, 56, 8);
    FIELD(S, udp_bytes_received, 64, 8);
    FIELD(S, packets_sent, 72, 8);
    FIELD(S, packets_received, 80, 8);
    FIELD(S, packets_lost, 88, 8);
    FIELD(S, stream_bytes_sent, 96, 8);
    FIELD(S, stream_bytes_received, 104, 8);
    FIELD(S, streams_opened_local, 112, 8);
    FIELD(S, streams_opened_remote, 120, 8);
    FIELD(S, streams_active, 128, 8);
    FIELD(S, datagrams_sent, 136, 8);
    FIELD(S, datagrams_received, 144, 8);
    FIELD(S, handshake_completed, 152, 1);
    FIELD(S, closing, 153, 1);
    FIELD(S, resumed, 154, 1);
    FIELD(S, early_data_accepted, 155, 1);

    typedef coquic_x_result_summary_t R; /* 48 bytes */
    SIZE(R, 48);
    FIELD(R, effect_count, 0, 8);
    FIELD(R, datagram_count, 8, 8);
    FIELD(R, datagram_bytes, 16, 8);
    FIELD(R, other_effect_count, 24, 8);
    FIELD(R, next_wakeup, 32, 8);
    FIELD(R, has_next_wakeup, 40, 1);
    FIELD(R, send_continuation_pending, 41, 1);
    FIELD(R, has_local_error, 42, 1);
    FIELD(R, close_info_count, 43, 1);
}

TEST(abi_enum_values) {
    CHECK_EQ(COQUIC_STATUS_OK, 0);
    CHECK_EQ(COQUIC_STATUS_INVALID_ARGUMENT, 1);
    CHECK_EQ(COQUIC_STATUS_OUT_OF_MEMORY, 2);
    CHECK_EQ(COQUIC_STATUS_INTERNAL_ERROR, 3);

    CHECK_EQ(COQUIC_ROLE_CLIENT, 0);
    CHECK_EQ(COQUIC_ROLE_SERVER, 1);

    CHECK_EQ(COQUIC_RETRY_HANDSHAKE_VALIDATION_DISABLED, 0);
    CHECK_EQ(COQUIC_RETRY_HANDSHAKE_VALIDATION_DISCARD, 1);
    CHECK_EQ(COQUIC_RETRY_HANDSHAKE_VALIDATION_CONNECTION_ERROR, 2);

    CHECK_EQ(COQUIC_CONGESTION_CONTROL_NEWRENO, 0);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_CUBIC, 1);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_BBR, 2);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_COPA, 3);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_PCC, 4);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_PCC_VIVACE, 5);

    CHECK_EQ(COQUIC_ECN_UNAVAILABLE, 0);
    CHECK_EQ(COQUIC_ECN_NOT_ECT, 1);
    CHECK_EQ(COQUIC_ECN_ECT0, 2);
    CHECK_EQ(COQUIC_ECN_ECT1, 3);
    CHECK_EQ(COQUIC_ECN_CE, 4);

    CHECK_EQ(COQUIC_ECN_POLICY_RFC9000_ECT0, 0);
    CHECK_EQ(COQUIC_ECN_POLICY_RFC8311_ECT1, 1);

    CHECK_EQ(COQUIC_STATE_CHANGE_HANDSHAKE_READY, 0);
    CHECK_EQ(COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED, 1);
    CHECK_EQ(COQUIC_STATE_CHANGE_FAILED, 2);

    CHECK_EQ(COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 0);
    CHECK_EQ(COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, 1);
    CHECK_EQ(COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, 2);
    CHECK_EQ(COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, 3);
    CHECK_EQ(COQUIC_LOCAL_ERROR_RECEIVE_SIDE_CLOSED, 4);
    CHECK_EQ(COQUIC_LOCAL_ERROR_FINAL_SIZE_CONFLICT, 5);
    CHECK_EQ(COQUIC_LOCAL_ERROR_DATAGRAM_NOT_SUPPORTED, 6);
    CHECK_EQ(COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE, 7);
    CHECK_EQ(COQUIC_LOCAL_ERROR_FLOW_CONTROL_VIOLATION, 8);

    CHECK_EQ(COQUIC_LIFECYCLE_CREATED, 0);
    CHECK_EQ(COQUIC_LIFECYCLE_ACCEPTED, 1);
    CHECK_EQ(COQUIC_LIFECYCLE_CLOSED, 2);

    CHECK_EQ(COQUIC_MIGRATION_REASON_ACTIVE, 0);
    CHECK_EQ(COQUIC_MIGRATION_REASON_PREFERRED_ADDRESS, 1);

    CHECK_EQ(COQUIC_ZERO_RTT_UNAVAILABLE, 0);
    CHECK_EQ(COQUIC_ZERO_RTT_NOT_ATTEMPTED, 1);
    CHECK_EQ(COQUIC_ZERO_RTT_ATTEMPTED, 2);
    CHECK_EQ(COQUIC_ZERO_RTT_ACCEPTED, 3);
    CHECK_EQ(COQUIC_ZERO_RTT_REJECTED, 4);

    CHECK_EQ(COQUIC_PACKET_INSPECTION_OUTBOUND, 0);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_INBOUND, 1);

    CHECK_EQ(COQUIC_PACKET_INSPECTION_INITIAL, 0);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_ZERO_RTT, 1);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_HANDSHAKE, 2);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_ONE_RTT, 3);

    CHECK_EQ(COQUIC_CONNECTION_INPUT_SEND_STREAM, 0);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_SEND_DATAGRAM, 1);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_RESET_STREAM, 2);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_STOP_SENDING, 3);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_CLOSE, 4);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE, 5);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_REQUEST_MIGRATION, 6);

    CHECK_EQ(COQUIC_EFFECT_SEND_DATAGRAM, 0);
    CHECK_EQ(COQUIC_EFFECT_RECEIVE_STREAM_DATA, 1);
    CHECK_EQ(COQUIC_EFFECT_RECEIVE_DATAGRAM_DATA, 2);
    CHECK_EQ(COQUIC_EFFECT_PEER_RESET_STREAM, 3);
    CHECK_EQ(COQUIC_EFFECT_PEER_STOP_SENDING, 4);
    CHECK_EQ(COQUIC_EFFECT_STATE_EVENT, 5);
    CHECK_EQ(COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, 6);
    CHECK_EQ(COQUIC_EFFECT_PEER_PREFERRED_ADDRESS_AVAILABLE, 7);
    CHECK_EQ(COQUIC_EFFECT_RESUMPTION_STATE_AVAILABLE, 8);
    CHECK_EQ(COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT, 9);
    CHECK_EQ(COQUIC_EFFECT_PACKET_INSPECTION, 10);
    CHECK_EQ(COQUIC_EFFECT_NEW_TOKEN_AVAILABLE, 11);

    /* ext.h */
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_LOCAL, 0);
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_PEER, 1);
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT, 2);
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_STATELESS_RESET, 3);
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR, 4);
    CHECK_EQ(COQUIC_X_CLOSE_SOURCE_HANDSHAKE_TIMEOUT, 5);
    CHECK_EQ(COQUIC_X_NO_ROUTE, 0x8000000000000000ull);
}
