/* Config defaults (the *_init functions) and validation of caller configs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

static const char default_alpn[] = "coquic";
static const char default_server_name[] = "localhost";

COQUIC_FFI_API uint32_t coquic_ffi_abi_version(void) { return COQUIC_FFI_ABI_VERSION; }

bool cq_config_has_version(const cq_config *cfg, uint32_t version) {
    for (size_t i = 0; i < cfg->version_count; i++)
        if (cfg->versions[i] == version) return true;
    return false;
}

COQUIC_FFI_API void coquic_transport_config_init(coquic_transport_config_t *t) {
    if (!t) return;
    memset(t, 0, sizeof *t);
    t->max_idle_timeout = 0;
    t->max_udp_payload_size = 65527;
    t->pmtud_enabled = 1;
    t->pmtud_base_datagram_size = 1200;
    t->pmtud_max_datagram_size = 0;
    t->active_connection_id_limit = 2;
    t->ack_delay_exponent = 3;
    t->max_ack_delay = 25;
    t->ack_eliciting_threshold = 2;
    t->initial_max_data = 1048576;
    t->initial_max_stream_data_bidi_local = 262144;
    t->initial_max_stream_data_bidi_remote = 262144;
    t->initial_max_stream_data_uni = 262144;
    t->initial_max_streams_bidi = 16;
    t->initial_max_streams_uni = 16;
    t->max_datagram_frame_size = 65535;
    t->congestion_control = COQUIC_CONGESTION_CONTROL_NEWRENO;
    t->enable_hystart_plus_plus = 1;
    t->send_stream_fairness = 1;
    t->ecn_policy = COQUIC_ECN_POLICY_RFC9000_ECT0;
}

COQUIC_FFI_API void coquic_endpoint_config_init(coquic_endpoint_config_t *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->role = COQUIC_ROLE_CLIENT;
    c->verify_peer = 1;
    c->application_protocol = default_alpn;
    c->application_protocol_length = sizeof default_alpn - 1;
    coquic_transport_config_init(&c->transport);
    c->max_outbound_datagram_size = 1200;
    c->allow_peer_address_change = 1;
    c->retry_handshake_validation_policy = COQUIC_RETRY_HANDSHAKE_VALIDATION_DISABLED;
}

COQUIC_FFI_API void coquic_client_connection_config_init(coquic_client_connection_config_t *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->original_version = 1;
    c->initial_version = 1;
    c->server_name = default_server_name;
    c->server_name_length = sizeof default_server_name - 1;
}

/* A feature of the ABI this engine cannot honour: creation fails and says which. */
#define REJECT_IF(cond, what)                                                                  \
    do {                                                                                       \
        if (cond)                                                                              \
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,                                     \
                           "unsupported by the ngtcp2 engine: %s (see README feature table)", \
                           what);                                                              \
    } while (0)

static coquic_status_t import_transport(const coquic_transport_config_t *t, cq_config *out) {
    switch (t->congestion_control) {
    case COQUIC_CONGESTION_CONTROL_CUBIC: out->cc_algo = NGTCP2_CC_ALGO_CUBIC; break;
    case COQUIC_CONGESTION_CONTROL_BBR: out->cc_algo = NGTCP2_CC_ALGO_BBR; break;
    case COQUIC_CONGESTION_CONTROL_COPA: REJECT_IF(1, "congestion control copa");
    case COQUIC_CONGESTION_CONTROL_PCC: REJECT_IF(1, "congestion control pcc");
    case COQUIC_CONGESTION_CONTROL_PCC_VIVACE: REJECT_IF(1, "congestion control pcc-vivace");
    default: out->cc_algo = NGTCP2_CC_ALGO_RENO; break; /* out of range maps to newreno */
    }
    REJECT_IF(t->enable_latency_spin_bit, "transport.enable_latency_spin_bit");
    REJECT_IF(t->grease_reserved_versions, "transport.grease_reserved_versions");
    REJECT_IF(t->enable_optimistic_ack_mitigation, "transport.enable_optimistic_ack_mitigation");
    REJECT_IF(t->underfilled_packet_coalescing_delay_us != 0,
              "transport.underfilled_packet_coalescing_delay_us");
    REJECT_IF(t->ecn_policy == COQUIC_ECN_POLICY_RFC8311_ECT1, "transport.ecn_policy RFC8311_ECT1");
    REJECT_IF(t->pmtud_provisional_icmp_reductions, "transport.pmtud_provisional_icmp_reductions");
    REJECT_IF(t->defer_active_migration_path_validation,
              "transport.defer_active_migration_path_validation");
    REJECT_IF(t->migration_recovery_retention_timeout_us != 0,
              "transport.migration_recovery_retention_timeout_us");
    if (t->ack_delay_exponent > 20 || t->max_ack_delay >= (1u << 14) ||
        t->active_connection_id_limit < 2 || t->max_udp_payload_size < 1200)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "transport config: out-of-range value (ack_delay_exponent<=20, "
                       "max_ack_delay<16384 ms, active_connection_id_limit>=2, "
                       "max_udp_payload_size>=1200)");
    /* ngtcp2 stores at most 8 of the peer's connection IDs and asserts on a larger limit */
    if (t->active_connection_id_limit > 8)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "transport config: active_connection_id_limit %llu above 8 (the most ngtcp2 holds)",
                       (unsigned long long)t->active_connection_id_limit);
    if (t->initial_max_streams_bidi > (UINT64_C(1) << 60) ||
        t->initial_max_streams_uni > (UINT64_C(1) << 60))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "transport config: stream limit above 2^60");
    out->transport = *t;
    return COQUIC_STATUS_OK;
}

coquic_status_t cq_config_import(const coquic_endpoint_config_t *in, cq_config *out) {
    if (!in) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "endpoint config is NULL");
    if (in->size < END_OF(coquic_endpoint_config_t, allow_peer_address_change))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "endpoint config size %zu is below the minimum %zu (set size = sizeof)",
                       in->size, END_OF(coquic_endpoint_config_t, allow_peer_address_change));
    memset(out, 0, sizeof *out);
    out->role = in->role == COQUIC_ROLE_SERVER ? COQUIC_ROLE_SERVER : COQUIC_ROLE_CLIENT;
    out->verify_peer = in->verify_peer != 0;
    out->retry_enabled = in->retry_enabled != 0;
    out->allow_peer_address_change = in->allow_peer_address_change != 0;
    out->zero_rtt_attempt = in->zero_rtt.attempt != 0;

    size_t alpn_len = in->application_protocol_length;
    if (alpn_len == 0 || alpn_len > 255 || !in->application_protocol)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "application_protocol (ALPN) must be 1..255 bytes, got %zu", alpn_len);
    memcpy(out->alpn, in->application_protocol, alpn_len);
    out->alpn_len = alpn_len;

    if (in->supported_versions_count > 0 && !in->supported_versions)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "supported_versions is NULL with a count");
    for (size_t i = 0; i < in->supported_versions_count; i++) {
        uint32_t v = in->supported_versions[i];
        if (!ngtcp2_is_supported_version(v))
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                           "supported_versions: version 0x%08x is not supported (1 = QUIC v1, "
                           "0x6b3343cf = QUIC v2)", v);
        if (cq_config_has_version(out, v)) continue; /* a repeat adds nothing */
        if (out->version_count < sizeof out->versions / sizeof out->versions[0])
            out->versions[out->version_count++] = v;
    }
    if (out->version_count == 0) out->versions[out->version_count++] = NGTCP2_PROTO_VER_V1;

    coquic_status_t st = import_transport(&in->transport, out);
    if (st != COQUIC_STATUS_OK) return st;

    size_t mtu = in->max_outbound_datagram_size;
    if (mtu < 1200 || mtu > CQ_MAX_UDP_PAYLOAD)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "max_outbound_datagram_size must be 1200..%d, got %zu", CQ_MAX_UDP_PAYLOAD, mtu);
    out->max_outbound_datagram_size = mtu;

    out->zero_rtt_allow = out->role == COQUIC_ROLE_SERVER && in->zero_rtt.allow != 0;
    REJECT_IF(in->enable_packet_inspection, "enable_packet_inspection");
    REJECT_IF(in->emit_shared_receive_stream_data, "emit_shared_receive_stream_data");
    if (in->size >= END_OF(coquic_endpoint_config_t, max_server_connections))
        out->max_server_connections = in->max_server_connections;
    /* Out-of-order delivery is optional for the engine: in-order data with offsets is valid. */
    if (in->size >= END_OF(coquic_endpoint_config_t, orphan_zero_rtt_buffer))
        REJECT_IF(in->orphan_zero_rtt_buffer.max_packets || in->orphan_zero_rtt_buffer.max_bytes,
                  "orphan_zero_rtt_buffer");
    if (in->size >= END_OF(coquic_endpoint_config_t, enable_reserved_version_probe))
        REJECT_IF(in->enable_reserved_version_probe, "enable_reserved_version_probe");
    if (in->size >= END_OF(coquic_endpoint_config_t, enable_long_header_stateless_reset))
        REJECT_IF(in->enable_long_header_stateless_reset, "enable_long_header_stateless_reset");
    if (in->size >= END_OF(coquic_endpoint_config_t, enable_minimal_closing_state_retention))
        REJECT_IF(in->enable_minimal_closing_state_retention, "enable_minimal_closing_state_retention");
    if (in->size >= END_OF(coquic_endpoint_config_t, retry_handshake_validation_policy))
        REJECT_IF(in->retry_handshake_validation_policy != COQUIC_RETRY_HANDSHAKE_VALIDATION_DISABLED,
                  "retry_handshake_validation_policy");
    /* last: nothing below may fail and leak the copy */
    if (in->zero_rtt.application_context.length > 0) {
        if (!in->zero_rtt.application_context.data)
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "zero_rtt.application_context: NULL data with a length");
        if (in->zero_rtt.application_context.length > 65536)
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "zero_rtt.application_context above 64 KiB");
        out->zero_rtt_context = malloc(in->zero_rtt.application_context.length);
        if (!out->zero_rtt_context) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "zero_rtt.application_context");
        memcpy(out->zero_rtt_context, in->zero_rtt.application_context.data, in->zero_rtt.application_context.length);
        out->zero_rtt_context_len = in->zero_rtt.application_context.length;
    }
    return COQUIC_STATUS_OK;
}
