/* Struct sizes, field offsets and enum values against the reference table (x86-64). */
#include <stddef.h>

#include "coquic/ffi/core.h"
#include "coquic/ffi/ext.h"
#include "test.h"

#define OFF(type, field, expected) CHECK_EQ(offsetof(type, field), expected)

TEST(abi_version) {
    CHECK_EQ(COQUIC_FFI_ABI_VERSION, 12);
    CHECK_EQ(coquic_ffi_abi_version(), 12);
}

TEST(abi_small_structs) {
    CHECK_EQ(sizeof(coquic_bytes_view_t), 16);
    CHECK_EQ(sizeof(coquic_bytes_t), 16);
    OFF(coquic_bytes_t, length, 8);
    CHECK_EQ(sizeof(coquic_optional_route_handle_t), 16);
    CHECK_EQ(sizeof(coquic_optional_connection_handle_t), 16);
    CHECK_EQ(sizeof(coquic_optional_stream_id_t), 16);
    CHECK_EQ(sizeof(coquic_optional_time_us_t), 16);
    CHECK_EQ(sizeof(coquic_optional_u64_t), 16);
    OFF(coquic_optional_u64_t, value, 8);
    CHECK_EQ(sizeof(coquic_tls_identity_t), 32);
    OFF(coquic_tls_identity_t, certificate_pem_length, 8);
    OFF(coquic_tls_identity_t, private_key_pem, 16);
    OFF(coquic_tls_identity_t, private_key_pem_length, 24);
    CHECK_EQ(sizeof(coquic_zero_rtt_config_t), 24);
    OFF(coquic_zero_rtt_config_t, allow, 1);
    OFF(coquic_zero_rtt_config_t, strict_updated_transport_parameters, 2);
    OFF(coquic_zero_rtt_config_t, application_context, 8);
    CHECK_EQ(sizeof(coquic_orphan_zero_rtt_buffer_config_t), 24);
    OFF(coquic_orphan_zero_rtt_buffer_config_t, max_bytes, 8);
    OFF(coquic_orphan_zero_rtt_buffer_config_t, max_age_us, 16);
    CHECK_EQ(sizeof(coquic_resumption_state_t), 16);
}

TEST(abi_transport_config) {
    CHECK_EQ(sizeof(coquic_transport_config_t), 168);
    OFF(coquic_transport_config_t, max_idle_timeout, 0);
    OFF(coquic_transport_config_t, max_udp_payload_size, 8);
    OFF(coquic_transport_config_t, pmtud_enabled, 16);
    OFF(coquic_transport_config_t, pmtud_base_datagram_size, 24);
    OFF(coquic_transport_config_t, pmtud_max_datagram_size, 32);
    OFF(coquic_transport_config_t, active_connection_id_limit, 40);
    OFF(coquic_transport_config_t, disable_active_migration, 48);
    OFF(coquic_transport_config_t, defer_active_migration_path_validation, 49);
    OFF(coquic_transport_config_t, migration_recovery_retention_timeout_us, 56);
    OFF(coquic_transport_config_t, ack_delay_exponent, 64);
    OFF(coquic_transport_config_t, max_ack_delay, 72);
    OFF(coquic_transport_config_t, ack_eliciting_threshold, 80);
    OFF(coquic_transport_config_t, initial_max_data, 88);
    OFF(coquic_transport_config_t, initial_max_stream_data_bidi_local, 96);
    OFF(coquic_transport_config_t, initial_max_stream_data_bidi_remote, 104);
    OFF(coquic_transport_config_t, initial_max_stream_data_uni, 112);
    OFF(coquic_transport_config_t, initial_max_streams_bidi, 120);
    OFF(coquic_transport_config_t, initial_max_streams_uni, 128);
    OFF(coquic_transport_config_t, max_datagram_frame_size, 136);
    OFF(coquic_transport_config_t, congestion_control, 144);
    OFF(coquic_transport_config_t, enable_hystart_plus_plus, 145);
    OFF(coquic_transport_config_t, send_stream_fairness, 146);
    OFF(coquic_transport_config_t, enable_latency_spin_bit, 147);
    OFF(coquic_transport_config_t, grease_reserved_versions, 148);
    OFF(coquic_transport_config_t, grease_quic_bit, 149);
    OFF(coquic_transport_config_t, enable_optimistic_ack_mitigation, 150);
    OFF(coquic_transport_config_t, underfilled_packet_coalescing_delay_us, 152);
    OFF(coquic_transport_config_t, ecn_policy, 160);
    OFF(coquic_transport_config_t, pmtud_provisional_icmp_reductions, 161);
}

TEST(abi_endpoint_config) {
    CHECK_EQ(sizeof(coquic_endpoint_config_t), 328);
    OFF(coquic_endpoint_config_t, size, 0);
    OFF(coquic_endpoint_config_t, role, 8);
    OFF(coquic_endpoint_config_t, reserved_role_padding, 9);
    OFF(coquic_endpoint_config_t, supported_versions, 16);
    OFF(coquic_endpoint_config_t, supported_versions_count, 24);
    OFF(coquic_endpoint_config_t, verify_peer, 32);
    OFF(coquic_endpoint_config_t, retry_enabled, 33);
    OFF(coquic_endpoint_config_t, reserved_retry_padding, 34);
    OFF(coquic_endpoint_config_t, application_protocol, 40);
    OFF(coquic_endpoint_config_t, application_protocol_length, 48);
    OFF(coquic_endpoint_config_t, identity, 56);
    OFF(coquic_endpoint_config_t, transport, 64);
    OFF(coquic_endpoint_config_t, max_outbound_datagram_size, 232);
    OFF(coquic_endpoint_config_t, zero_rtt, 240);
    OFF(coquic_endpoint_config_t, emit_shared_receive_stream_data, 264);
    OFF(coquic_endpoint_config_t, enable_packet_inspection, 265);
    OFF(coquic_endpoint_config_t, allow_peer_address_change, 266);
    OFF(coquic_endpoint_config_t, reserved_server_connections_padding, 267);
    OFF(coquic_endpoint_config_t, max_server_connections, 272);
    OFF(coquic_endpoint_config_t, enable_out_of_order_receive, 280);
    OFF(coquic_endpoint_config_t, reserved_orphan_zero_rtt_padding, 281);
    OFF(coquic_endpoint_config_t, orphan_zero_rtt_buffer, 288);
    OFF(coquic_endpoint_config_t, enable_reserved_version_probe, 312);
    OFF(coquic_endpoint_config_t, enable_long_header_stateless_reset, 313);
    OFF(coquic_endpoint_config_t, enable_minimal_closing_state_retention, 314);
    OFF(coquic_endpoint_config_t, reserved_endpoint_config_tail_padding, 315);
    OFF(coquic_endpoint_config_t, retry_handshake_validation_policy, 320);
}

TEST(abi_client_connection_config) {
    CHECK_EQ(sizeof(coquic_client_connection_config_t), 168);
    OFF(coquic_client_connection_config_t, source_connection_id, 8);
    OFF(coquic_client_connection_config_t, initial_destination_connection_id, 24);
    OFF(coquic_client_connection_config_t, original_destination_connection_id, 40);
    OFF(coquic_client_connection_config_t, has_original_destination_connection_id, 56);
    OFF(coquic_client_connection_config_t, retry_source_connection_id, 64);
    OFF(coquic_client_connection_config_t, has_retry_source_connection_id, 80);
    OFF(coquic_client_connection_config_t, retry_token, 88);
    OFF(coquic_client_connection_config_t, original_version, 104);
    OFF(coquic_client_connection_config_t, initial_version, 108);
    OFF(coquic_client_connection_config_t, reacted_to_version_negotiation, 112);
    OFF(coquic_client_connection_config_t, server_name, 120);
    OFF(coquic_client_connection_config_t, server_name_length, 128);
    OFF(coquic_client_connection_config_t, resumption_state, 136);
    OFF(coquic_client_connection_config_t, zero_rtt, 144);
    CHECK_EQ(sizeof(coquic_open_connection_t), 200);
    OFF(coquic_open_connection_t, connection, 8);
    OFF(coquic_open_connection_t, initial_route_handle, 176);
    OFF(coquic_open_connection_t, address_validation_identity, 184);
}

TEST(abi_inputs) {
    CHECK_EQ(sizeof(coquic_inbound_datagram_t), 64);
    OFF(coquic_inbound_datagram_t, bytes, 8);
    OFF(coquic_inbound_datagram_t, route_handle, 24);
    OFF(coquic_inbound_datagram_t, address_validation_identity, 40);
    OFF(coquic_inbound_datagram_t, ecn, 56);
    CHECK_EQ(sizeof(coquic_path_mtu_update_t), 48);
    OFF(coquic_path_mtu_update_t, route_handle, 8);
    OFF(coquic_path_mtu_update_t, max_udp_payload_size, 24);
    OFF(coquic_path_mtu_update_t, quoted_packet, 32);
    CHECK_EQ(sizeof(coquic_send_stream_data_t), 40);
    OFF(coquic_send_stream_data_t, stream_id, 8);
    OFF(coquic_send_stream_data_t, bytes, 16);
    OFF(coquic_send_stream_data_t, fin, 32);
    OFF(coquic_send_stream_data_t, priority, 36);
    CHECK_EQ(sizeof(coquic_send_datagram_data_t), 32);
    OFF(coquic_send_datagram_data_t, bytes, 8);
    OFF(coquic_send_datagram_data_t, priority, 24);
    CHECK_EQ(sizeof(coquic_reset_stream_t), 24);
    OFF(coquic_reset_stream_t, stream_id, 8);
    OFF(coquic_reset_stream_t, application_error_code, 16);
    CHECK_EQ(sizeof(coquic_stop_sending_t), 24);
    OFF(coquic_stop_sending_t, application_error_code, 16);
    CHECK_EQ(sizeof(coquic_close_connection_t), 32);
    OFF(coquic_close_connection_t, application_error_code, 8);
    OFF(coquic_close_connection_t, reason_phrase, 16);
    OFF(coquic_close_connection_t, reason_phrase_length, 24);
    CHECK_EQ(sizeof(coquic_request_connection_migration_t), 40);
    OFF(coquic_request_connection_migration_t, route_handle, 8);
    OFF(coquic_request_connection_migration_t, reason, 16);
    OFF(coquic_request_connection_migration_t, address_validation_identity, 24);
    CHECK_EQ(sizeof(coquic_connection_input_t), 48);
    OFF(coquic_connection_input_t, as, 8);
}

TEST(abi_outputs) {
    CHECK_EQ(sizeof(coquic_local_error_t), 40);
    OFF(coquic_local_error_t, code, 16);
    OFF(coquic_local_error_t, stream_id, 24);
    CHECK_EQ(sizeof(coquic_send_datagram_effect_t), 48);
    OFF(coquic_send_datagram_effect_t, route_handle, 8);
    OFF(coquic_send_datagram_effect_t, bytes, 24);
    OFF(coquic_send_datagram_effect_t, ecn, 40);
    OFF(coquic_send_datagram_effect_t, is_pmtu_probe, 41);
    CHECK_EQ(sizeof(coquic_receive_stream_data_effect_t), 64);
    OFF(coquic_receive_stream_data_effect_t, stream_id, 8);
    OFF(coquic_receive_stream_data_effect_t, offset, 16);
    OFF(coquic_receive_stream_data_effect_t, bytes, 24);
    OFF(coquic_receive_stream_data_effect_t, fin, 40);
    OFF(coquic_receive_stream_data_effect_t, final_size, 48);
    CHECK_EQ(sizeof(coquic_receive_datagram_data_effect_t), 24);
    OFF(coquic_receive_datagram_data_effect_t, bytes, 8);
    CHECK_EQ(sizeof(coquic_peer_reset_stream_effect_t), 32);
    OFF(coquic_peer_reset_stream_effect_t, application_error_code, 16);
    OFF(coquic_peer_reset_stream_effect_t, final_size, 24);
    CHECK_EQ(sizeof(coquic_peer_stop_sending_effect_t), 24);
    CHECK_EQ(sizeof(coquic_state_event_effect_t), 16);
    OFF(coquic_state_event_effect_t, change, 8);
    CHECK_EQ(sizeof(coquic_connection_lifecycle_event_effect_t), 16);
    CHECK_EQ(sizeof(coquic_preferred_address_t), 56);
    OFF(coquic_preferred_address_t, ipv4_port, 4);
    OFF(coquic_preferred_address_t, ipv6_address, 6);
    OFF(coquic_preferred_address_t, ipv6_port, 22);
    OFF(coquic_preferred_address_t, connection_id, 24);
    OFF(coquic_preferred_address_t, stateless_reset_token, 40);
    CHECK_EQ(sizeof(coquic_peer_preferred_address_available_effect_t), 64);
    CHECK_EQ(sizeof(coquic_resumption_state_available_effect_t), 24);
    CHECK_EQ(sizeof(coquic_zero_rtt_status_event_effect_t), 16);
    CHECK_EQ(sizeof(coquic_packet_inspection_effect_t), 152);
    OFF(coquic_packet_inspection_effect_t, direction, 8);
    OFF(coquic_packet_inspection_effect_t, packet_type, 9);
    OFF(coquic_packet_inspection_effect_t, datagram_id, 16);
    OFF(coquic_packet_inspection_effect_t, datagram_length, 24);
    OFF(coquic_packet_inspection_effect_t, datagram_offset, 32);
    OFF(coquic_packet_inspection_effect_t, packet_length, 40);
    OFF(coquic_packet_inspection_effect_t, version, 48);
    OFF(coquic_packet_inspection_effect_t, destination_connection_id, 56);
    OFF(coquic_packet_inspection_effect_t, source_connection_id, 72);
    OFF(coquic_packet_inspection_effect_t, token, 88);
    OFF(coquic_packet_inspection_effect_t, spin_bit, 104);
    OFF(coquic_packet_inspection_effect_t, key_phase, 105);
    OFF(coquic_packet_inspection_effect_t, packet_number_length, 106);
    OFF(coquic_packet_inspection_effect_t, packet_number, 112);
    OFF(coquic_packet_inspection_effect_t, encrypted_packet, 120);
    OFF(coquic_packet_inspection_effect_t, plaintext_payload, 136);
    CHECK_EQ(sizeof(coquic_new_token_available_effect_t), 24);
    CHECK_EQ(sizeof(coquic_effect_t), 160);
    OFF(coquic_effect_t, as, 8);
}

TEST(abi_extension_structs) {
    CHECK_EQ(sizeof(coquic_x_close_info_t), 40);
    OFF(coquic_x_close_info_t, source, 8);
    OFF(coquic_x_close_info_t, is_application_error, 9);
    OFF(coquic_x_close_info_t, error_code, 16);
    OFF(coquic_x_close_info_t, reason, 24);
    CHECK_EQ(sizeof(coquic_x_connection_stats_t), 160);
    OFF(coquic_x_connection_stats_t, smoothed_rtt_us, 8);
    OFF(coquic_x_connection_stats_t, datagrams_received, 144);
    OFF(coquic_x_connection_stats_t, handshake_completed, 152);
    OFF(coquic_x_connection_stats_t, closing, 153);
    CHECK_EQ(sizeof(coquic_x_result_summary_t), 48);
    OFF(coquic_x_result_summary_t, next_wakeup, 32);
    OFF(coquic_x_result_summary_t, has_next_wakeup, 40);
    OFF(coquic_x_result_summary_t, close_info_count, 43);
}

TEST(abi_enum_values) {
    CHECK_EQ(COQUIC_STATUS_INTERNAL_ERROR, 3);
    CHECK_EQ(COQUIC_ROLE_SERVER, 1);
    CHECK_EQ(COQUIC_RETRY_HANDSHAKE_VALIDATION_CONNECTION_ERROR, 2);
    CHECK_EQ(COQUIC_CONGESTION_CONTROL_PCC_VIVACE, 5);
    CHECK_EQ(COQUIC_ECN_CE, 4);
    CHECK_EQ(COQUIC_ECN_POLICY_RFC8311_ECT1, 1);
    CHECK_EQ(COQUIC_STATE_CHANGE_FAILED, 2);
    CHECK_EQ(COQUIC_LOCAL_ERROR_FLOW_CONTROL_VIOLATION, 8);
    CHECK_EQ(COQUIC_LIFECYCLE_CLOSED, 2);
    CHECK_EQ(COQUIC_MIGRATION_REASON_PREFERRED_ADDRESS, 1);
    CHECK_EQ(COQUIC_ZERO_RTT_REJECTED, 4);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_INBOUND, 1);
    CHECK_EQ(COQUIC_PACKET_INSPECTION_ONE_RTT, 3);
    CHECK_EQ(COQUIC_CONNECTION_INPUT_REQUEST_MIGRATION, 6);
    CHECK_EQ(COQUIC_EFFECT_NEW_TOKEN_AVAILABLE, 11);
    CHECK_EQ(COQUIC_EFFECT_STATE_EVENT, 5);
}
