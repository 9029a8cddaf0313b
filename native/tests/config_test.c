/* Defaults from the init functions, NULL safety, size gating, unsupported features. */
#include <string.h>

#include "pair.h"
#include "test.h"

TEST(config_transport_defaults) {
    coquic_transport_config_t t;
    memset(&t, 0xab, sizeof t);
    coquic_transport_config_init(&t);
    CHECK_EQ(t.max_idle_timeout, 0);
    CHECK_EQ(t.max_udp_payload_size, 65527);
    CHECK_EQ(t.pmtud_enabled, 1);
    CHECK_EQ(t.pmtud_base_datagram_size, 1200);
    CHECK_EQ(t.active_connection_id_limit, 2);
    CHECK_EQ(t.ack_delay_exponent, 3);
    CHECK_EQ(t.max_ack_delay, 25);
    CHECK_EQ(t.ack_eliciting_threshold, 2);
    CHECK_EQ(t.initial_max_data, 1048576);
    CHECK_EQ(t.initial_max_stream_data_bidi_local, 262144);
    CHECK_EQ(t.initial_max_stream_data_uni, 262144);
    CHECK_EQ(t.initial_max_streams_bidi, 16);
    CHECK_EQ(t.initial_max_streams_uni, 16);
    CHECK_EQ(t.max_datagram_frame_size, 65535);
    CHECK_EQ(t.congestion_control, COQUIC_CONGESTION_CONTROL_NEWRENO);
    CHECK_EQ(t.enable_hystart_plus_plus, 1);
    CHECK_EQ(t.send_stream_fairness, 1);
    CHECK_EQ(t.ecn_policy, COQUIC_ECN_POLICY_RFC9000_ECT0);
    /* the rest of §1.5 "Defaults from the init functions" */
    CHECK_EQ(t.pmtud_max_datagram_size, 0);
    CHECK_EQ(t.disable_active_migration, 0);
    CHECK_EQ(t.defer_active_migration_path_validation, 0);
    CHECK_EQ(t.migration_recovery_retention_timeout_us, 0);
    CHECK_EQ(t.initial_max_stream_data_bidi_remote, 262144);
    CHECK_EQ(t.enable_latency_spin_bit, 0);
    CHECK_EQ(t.grease_reserved_versions, 0);
    CHECK_EQ(t.grease_quic_bit, 0);
    CHECK_EQ(t.enable_optimistic_ack_mitigation, 0);
    CHECK_EQ(t.underfilled_packet_coalescing_delay_us, 0);
    CHECK_EQ(t.pmtud_provisional_icmp_reductions, 0);
    coquic_transport_config_init(NULL); /* NULL-safe */
}

TEST(config_endpoint_and_client_defaults) {
    coquic_endpoint_config_t c;
    memset(&c, 0xab, sizeof c); /* init must overwrite everything, padding included */
    coquic_endpoint_config_init(&c);
    CHECK_EQ(c.size, 328);
    CHECK_EQ(c.role, COQUIC_ROLE_CLIENT);
    CHECK_EQ(c.verify_peer, 1);
    CHECK_EQ(c.application_protocol_length, 6);
    CHECK(memcmp(c.application_protocol, "coquic", 6) == 0);
    CHECK(c.identity == NULL);
    CHECK_EQ(c.max_outbound_datagram_size, 1200);
    CHECK_EQ(c.allow_peer_address_change, 1);
    CHECK_EQ(c.max_server_connections, 0);
    CHECK(c.supported_versions == NULL);
    CHECK_EQ(c.supported_versions_count, 0);
    CHECK_EQ(c.retry_enabled, 0);
    CHECK_EQ(c.zero_rtt.attempt, 0);
    CHECK_EQ(c.zero_rtt.allow, 0);
    CHECK_EQ(c.zero_rtt.strict_updated_transport_parameters, 0);
    CHECK_EQ(c.zero_rtt.application_context.length, 0);
    CHECK_EQ(c.emit_shared_receive_stream_data, 0);
    CHECK_EQ(c.enable_packet_inspection, 0);
    CHECK_EQ(c.enable_out_of_order_receive, 0);
    CHECK_EQ(c.orphan_zero_rtt_buffer.max_packets, 0);
    CHECK_EQ(c.orphan_zero_rtt_buffer.max_bytes, 0);
    CHECK_EQ(c.orphan_zero_rtt_buffer.max_age_us, 0);
    CHECK_EQ(c.enable_reserved_version_probe, 0);
    CHECK_EQ(c.enable_long_header_stateless_reset, 0);
    CHECK_EQ(c.enable_minimal_closing_state_retention, 0);
    CHECK_EQ(c.retry_handshake_validation_policy, COQUIC_RETRY_HANDSHAKE_VALIDATION_DISABLED);
    /* the embedded transport config is initialised too */
    CHECK_EQ(c.transport.max_udp_payload_size, 65527);
    CHECK_EQ(c.transport.initial_max_streams_bidi, 16);
    /* explicit padding is zero-filled */
    const uint8_t *raw = (const uint8_t *)&c;
    for (size_t i = 9; i < 16; i++) CHECK_EQ(raw[i], 0);
    for (size_t i = 34; i < 40; i++) CHECK_EQ(raw[i], 0);
    for (size_t i = 267; i < 272; i++) CHECK_EQ(raw[i], 0);
    for (size_t i = 281; i < 288; i++) CHECK_EQ(raw[i], 0);
    for (size_t i = 315; i < 320; i++) CHECK_EQ(raw[i], 0);
    coquic_client_connection_config_t cc;
    memset(&cc, 0xab, sizeof cc);
    coquic_client_connection_config_init(&cc);
    CHECK_EQ(cc.source_connection_id.length, 0);
    CHECK_EQ(cc.initial_destination_connection_id.length, 0);
    CHECK_EQ(cc.original_destination_connection_id.length, 0);
    CHECK_EQ(cc.has_original_destination_connection_id, 0);
    CHECK_EQ(cc.retry_source_connection_id.length, 0);
    CHECK_EQ(cc.has_retry_source_connection_id, 0);
    CHECK_EQ(cc.retry_token.length, 0);
    CHECK_EQ(cc.reacted_to_version_negotiation, 0);
    CHECK(cc.resumption_state == NULL);
    CHECK_EQ(cc.zero_rtt.attempt, 0);
    CHECK_EQ(cc.zero_rtt.allow, 0);
    CHECK_EQ(cc.size, 168);
    CHECK_EQ(cc.initial_version, 1);
    CHECK_EQ(cc.original_version, 1);
    CHECK_EQ(cc.server_name_length, 9);
    CHECK(memcmp(cc.server_name, "localhost", 9) == 0);
    coquic_endpoint_config_init(NULL);
    coquic_client_connection_config_init(NULL);
}

TEST(config_null_safety) {
    coquic_endpoint_destroy(NULL);
    coquic_result_destroy(NULL);
    CHECK_EQ(coquic_result_effect_count(NULL), 0);
    CHECK_EQ(coquic_result_has_local_error(NULL), 0);
    CHECK_EQ(coquic_result_send_continuation_pending(NULL), 0);
    CHECK_EQ(coquic_result_next_wakeup(NULL).has_value, 0);
    CHECK_EQ(coquic_endpoint_connection_count(NULL), 0);
    CHECK_EQ(coquic_endpoint_next_wakeup(NULL).has_value, 0);
    coquic_effect_t e;
    CHECK_EQ(coquic_result_effect_at(NULL, 0, &e), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_endpoint_t *ep = (coquic_endpoint_t *)1;
    CHECK_EQ(coquic_endpoint_create(NULL, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(ep == NULL); /* out-pointers are cleared first */
    coquic_result_t *r = (coquic_result_t *)1;
    CHECK_EQ(coquic_endpoint_timer_expired(NULL, 0, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
}

static coquic_endpoint_t *client_endpoint(void) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.verify_peer = 0;
    coquic_endpoint_t *ep = NULL;
    return coquic_endpoint_create(&c, &ep) == COQUIC_STATUS_OK ? ep : NULL;
}

TEST(config_size_gating) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    coquic_endpoint_t *ep = NULL;
    c.size = 266;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    c.size = 267;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_OK);
    coquic_endpoint_destroy(ep);

    ep = client_endpoint();
    CHECK(ep != NULL);
    coquic_result_t *r = NULL;
    uint8_t byte = 0;
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.bytes = (coquic_bytes_t){&byte, 1};
    in.size = 56;
    CHECK_EQ(coquic_endpoint_input_datagram(ep, &in, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    in.size = 57;
    CHECK_EQ(coquic_endpoint_input_datagram(ep, &in, 1, &r), COQUIC_STATUS_OK);
    coquic_result_destroy(r);

    coquic_send_stream_data_t sd = {32, 0, {NULL, 0}, 1, 0};
    CHECK_EQ(coquic_connection_send_stream(ep, 1, &sd, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    sd.size = 33;
    CHECK_EQ(coquic_connection_send_stream(ep, 1, &sd, 1, &r), COQUIC_STATUS_OK); /* unknown connection: local error */
    CHECK_EQ(coquic_result_has_local_error(r), 1);
    coquic_result_destroy(r);

    coquic_send_datagram_data_t dd = {23, {NULL, 0}, 0};
    CHECK_EQ(coquic_connection_send_datagram(ep, 1, &dd, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_reset_stream_t rs = {23, 0, 0};
    CHECK_EQ(coquic_connection_reset_stream(ep, 1, &rs, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_stop_sending_t ss = {23, 0, 0};
    CHECK_EQ(coquic_connection_stop_sending(ep, 1, &ss, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_close_connection_t cl = {31, 0, NULL, 0};
    CHECK_EQ(coquic_connection_close(ep, 1, &cl, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_request_connection_migration_t mg = {39, 1, 0, {NULL, 0}};
    CHECK_EQ(coquic_connection_request_migration(ep, 1, &mg, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_path_mtu_update_t mtu;
    memset(&mtu, 0, sizeof mtu);
    mtu.size = 31;
    CHECK_EQ(coquic_endpoint_update_path_mtu(ep, &mtu, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = 199;
    coquic_client_connection_config_init(&open.connection);
    CHECK_EQ(coquic_endpoint_open_connection(ep, &open, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_connection_input_t input;
    memset(&input, 0, sizeof input);
    input.kind = 7; /* unknown tag */
    CHECK_EQ(coquic_connection_advance(ep, 1, &input, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    coquic_endpoint_destroy(ep);
}

static coquic_status_t create_with_cc(uint8_t cc, char *msg, size_t cap) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.transport.congestion_control = cc;
    coquic_endpoint_t *ep = NULL;
    coquic_status_t st = coquic_endpoint_create(&c, &ep);
    coquic_x_last_error_message(msg, cap);
    coquic_endpoint_destroy(ep);
    return st;
}

TEST(config_unsupported_congestion_control) {
    char msg[256];
    CHECK_EQ(create_with_cc(COQUIC_CONGESTION_CONTROL_COPA, msg, sizeof msg), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "unsupported") && strstr(msg, "copa"));
    CHECK_EQ(create_with_cc(COQUIC_CONGESTION_CONTROL_PCC, msg, sizeof msg), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "pcc"));
    CHECK_EQ(create_with_cc(COQUIC_CONGESTION_CONTROL_PCC_VIVACE, msg, sizeof msg), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "pcc-vivace"));
    CHECK_EQ(create_with_cc(99, msg, sizeof msg), COQUIC_STATUS_OK); /* out of range maps to newreno */
}

static uint8_t chosen_cc;
static void set_cc(coquic_endpoint_config_t *c) { c->transport.congestion_control = chosen_cc; }

static bool server_got_1mib(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 0)->fin;
}

TEST(config_each_supported_congestion_control_transfers) {
    uint8_t ccs[] = {COQUIC_CONGESTION_CONTROL_NEWRENO, COQUIC_CONGESTION_CONTROL_CUBIC, COQUIC_CONGESTION_CONTROL_BBR};
    for (size_t i = 0; i < sizeof ccs; i++) {
        chosen_cc = ccs[i];
        pair_options o = {.client_config = set_cc, .server_config = set_cc, .loss = 0.01, .seed = 7 + i};
        pair *p = pair_new(&o);
        CHECK(p != NULL);
        coquic_connection_handle_t c = pair_connect(p);
        pair_send_pattern(p, &p->client, c, 0, 1u << 20, true);
        bool ok = pair_run_until(p, server_got_1mib, NULL, 60000000);
        stream_record *r = side_stream(&p->server, side_accepted(&p->server), 0);
        bool exact = ok && r->final_size == (1u << 20) && r->mismatches == 0 && !r->offset_error;
        pair_free(p);
        CHECK(exact);
    }
}

TEST(config_rejects_bad_identity_and_alpn) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.role = COQUIC_ROLE_SERVER;
    coquic_tls_identity_t id = {"not a pem", 9, "nor this", 8};
    c.identity = &id;
    coquic_endpoint_t *ep = NULL;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    char msg[256];
    CHECK(coquic_x_last_error_message(msg, sizeof msg) > 0 && strstr(msg, "identity"));
    coquic_endpoint_config_init(&c);
    c.application_protocol_length = 0;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_endpoint_config_init(&c);
    c.enable_packet_inspection = 1;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(coquic_x_last_error_message(msg, sizeof msg) > 0 && strstr(msg, "packet_inspection"));
}

/* ---- NULL safety and output pointers --------------------------------------------------- */

#define SENTINEL_RESULT ((coquic_result_t *)(uintptr_t)0x1)

/* Every result-returning call with a NULL endpoint: INVALID_ARGUMENT and *out stays NULL. */
TEST(config_null_endpoint_everywhere) {
    coquic_result_t *r;
    coquic_send_stream_data_t sd = {sizeof sd, 0, {NULL, 0}, 1, 0};
    coquic_send_datagram_data_t dd = {sizeof dd, {NULL, 0}, 0};
    coquic_reset_stream_t rs = {sizeof rs, 0, 0};
    coquic_stop_sending_t ss = {sizeof ss, 0, 0};
    coquic_close_connection_t cl = {sizeof cl, 0, NULL, 0};
    coquic_request_connection_migration_t mg = {sizeof mg, 1, 0, {NULL, 0}};
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    coquic_path_mtu_update_t mtu;
    memset(&mtu, 0, sizeof mtu);
    mtu.size = sizeof mtu;
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    coquic_connection_input_t ci;
    memset(&ci, 0, sizeof ci);
    ci.kind = COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE;
    coquic_connection_handle_t h;
#define NULL_EP(call)                                                              \
    do {                                                                           \
        r = SENTINEL_RESULT;                                                       \
        CHECK_EQ(call, COQUIC_STATUS_INVALID_ARGUMENT);                            \
        CHECK(r == NULL);                                                          \
    } while (0)
    NULL_EP(coquic_endpoint_open_connection(NULL, &open, 1, &r));
    NULL_EP(coquic_endpoint_input_datagram(NULL, &in, 1, &r));
    NULL_EP(coquic_endpoint_update_path_mtu(NULL, &mtu, 1, &r));
    NULL_EP(coquic_endpoint_timer_expired(NULL, 1, &r));
    NULL_EP(coquic_connection_send_stream(NULL, 1, &sd, 1, &r));
    NULL_EP(coquic_connection_send_datagram(NULL, 1, &dd, 1, &r));
    NULL_EP(coquic_connection_reset_stream(NULL, 1, &rs, 1, &r));
    NULL_EP(coquic_connection_stop_sending(NULL, 1, &ss, 1, &r));
    NULL_EP(coquic_connection_close(NULL, 1, &cl, 1, &r));
    NULL_EP(coquic_connection_request_key_update(NULL, 1, 1, &r));
    NULL_EP(coquic_connection_request_migration(NULL, 1, &mg, 1, &r));
    NULL_EP(coquic_connection_advance(NULL, 1, &ci, 1, &r));
    h = 77;
    NULL_EP(coquic_quic_connect(NULL, &open, 1, &h, &r));
    CHECK_EQ(h, 0); /* *out_connection is cleared first */
    NULL_EP(coquic_quic_receive_datagram(NULL, &in, 1, &r));
    NULL_EP(coquic_quic_update_path_mtu(NULL, &mtu, 1, &r));
    NULL_EP(coquic_quic_timer_expired(NULL, 1, &r));
    NULL_EP(coquic_quic_connection_send_stream(NULL, 1, &sd, 1, &r));
    NULL_EP(coquic_quic_connection_send_datagram(NULL, 1, &dd, 1, &r));
    NULL_EP(coquic_quic_connection_reset_stream(NULL, 1, &rs, 1, &r));
    NULL_EP(coquic_quic_connection_stop_sending(NULL, 1, &ss, 1, &r));
    NULL_EP(coquic_quic_connection_close(NULL, 1, &cl, 1, &r));
    NULL_EP(coquic_quic_connection_request_key_update(NULL, 1, 1, &r));
    NULL_EP(coquic_quic_connection_advance(NULL, 1, &ci, 1, &r));
    NULL_EP(coquic_quic_stream_send(NULL, 1, 0, (coquic_bytes_t){NULL, 0}, 1, 1, &r));
    NULL_EP(coquic_quic_stream_finish(NULL, 1, 0, 1, &r));
    NULL_EP(coquic_quic_stream_reset(NULL, 1, 0, 0, 1, &r));
    NULL_EP(coquic_quic_stream_stop_sending(NULL, 1, 0, 0, 1, &r));
    NULL_EP(coquic_x_connection_consume(NULL, 1, 0, 1, 1, &r));
#undef NULL_EP
}

/* NULL inputs and NULL out_result with a live endpoint: INVALID_ARGUMENT, never a crash. */
TEST(config_null_inputs_and_outputs) {
    coquic_endpoint_t *ep = NULL;
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.verify_peer = 0;
    CHECK_EQ(coquic_endpoint_create(&c, &ep), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_endpoint_create(&c, NULL), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_result_t *r;
#define NULL_IN(call)                                                              \
    do {                                                                           \
        r = SENTINEL_RESULT;                                                       \
        CHECK_EQ(call, COQUIC_STATUS_INVALID_ARGUMENT);                            \
        CHECK(r == NULL);                                                          \
    } while (0)
    NULL_IN(coquic_endpoint_open_connection(ep, NULL, 1, &r));
    NULL_IN(coquic_endpoint_input_datagram(ep, NULL, 1, &r));
    NULL_IN(coquic_endpoint_update_path_mtu(ep, NULL, 1, &r));
    NULL_IN(coquic_connection_send_stream(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_send_datagram(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_reset_stream(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_stop_sending(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_close(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_request_migration(ep, 1, NULL, 1, &r));
    NULL_IN(coquic_connection_advance(ep, 1, NULL, 1, &r));
#undef NULL_IN
    /* NULL out_result */
    CHECK_EQ(coquic_endpoint_timer_expired(ep, 1, NULL), COQUIC_STATUS_INVALID_ARGUMENT);
    coquic_send_stream_data_t sd = {sizeof sd, 0, {NULL, 0}, 1, 0};
    CHECK_EQ(coquic_connection_send_stream(ep, 1, &sd, 1, NULL), COQUIC_STATUS_INVALID_ARGUMENT);
    /* NULL data with a non-zero length */
    sd.bytes.length = 10;
    r = SENTINEL_RESULT;
    CHECK_EQ(coquic_connection_send_stream(ep, 1, &sd, 1, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    /* the endpoint still works afterwards */
    CHECK_EQ(coquic_endpoint_timer_expired(ep, 2, &r), COQUIC_STATUS_OK);
    CHECK(r != NULL);
    CHECK_EQ(coquic_result_effect_count(r), 0);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    coquic_local_error_t le;
    CHECK_EQ(coquic_result_local_error(r, &le), COQUIC_STATUS_INVALID_ARGUMENT); /* none */
    coquic_effect_t e;
    CHECK_EQ(coquic_result_effect_at(r, 0, &e), COQUIC_STATUS_INVALID_ARGUMENT); /* index past the end */
    coquic_result_destroy(r);
    coquic_endpoint_destroy(ep);
}

TEST(config_null_safe_queries) {
    coquic_local_error_t le;
    CHECK_EQ(coquic_result_local_error(NULL, &le), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_endpoint_has_send_continuation_pending(NULL), 0);
    CHECK_EQ(coquic_endpoint_has_pending_stream_send(NULL), 0);
    size_t n = 99;
    CHECK(coquic_x_result_effects(NULL, &n) == NULL);
    CHECK_EQ(n, 0);
    n = 99;
    CHECK(coquic_x_result_close_infos(NULL, &n) == NULL);
    CHECK_EQ(n, 0);
    coquic_time_us_t t = 5;
    CHECK_EQ(coquic_x_endpoint_next_wakeup(NULL, &t), 0);
    CHECK_EQ(coquic_x_result_next_wakeup(NULL, &t), 0);
    coquic_x_connection_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    CHECK_EQ(coquic_x_connection_stats(NULL, 1, &st), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_endpoint_add_trusted_ca(NULL, "x", 1), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_endpoint_set_manual_credit(NULL, 1), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_stream_send_buffered(NULL, 1, 0), 0);
    CHECK_EQ(coquic_x_connection_stream_id_limit(NULL, 1, 0), 0);
    /* the message buffer may be NULL with capacity 0; the length is still reported */
    coquic_endpoint_t *ep = NULL;
    CHECK_EQ(coquic_endpoint_create(NULL, &ep), COQUIC_STATUS_INVALID_ARGUMENT);
    size_t len = coquic_x_last_error_message(NULL, 0);
    CHECK(len > 0);
    char small[4] = {'x', 'x', 'x', 'x'};
    CHECK_EQ(coquic_x_last_error_message(small, sizeof small), len);
    CHECK_EQ(small[3], '\0'); /* truncated and terminated */
}

/* ---- size gating (§1.6) ---------------------------------------------------------------- */

/* Every size-gated input is accepted at exactly its v1 threshold (the rejections one byte
 * below are checked in config_size_gating). Unknown connection 1: OK plus a local error. */
TEST(config_size_gating_accepts_thresholds) {
    coquic_endpoint_t *ep = client_endpoint();
    CHECK(ep != NULL);
    coquic_result_t *r;
#define ACCEPTED(call)                                                             \
    do {                                                                           \
        r = NULL;                                                                  \
        CHECK_EQ(call, COQUIC_STATUS_OK);                                          \
        CHECK(r != NULL);                                                          \
        coquic_result_destroy(r);                                                  \
    } while (0)
#define REJECTED(call, what)                                                       \
    do {                                                                           \
        r = SENTINEL_RESULT;                                                       \
        CHECK_EQ(call, COQUIC_STATUS_INVALID_ARGUMENT);                            \
        CHECK(r == NULL);                                                          \
        char msg_[256];                                                            \
        coquic_x_last_error_message(msg_, sizeof msg_);                            \
        CHECK(strstr(msg_, what) != NULL);                                         \
    } while (0)
    coquic_send_stream_data_t sd = {32, 0, {NULL, 0}, 1, 0};
    REJECTED(coquic_connection_send_stream(ep, 1, &sd, 1, &r), "send_stream");
    sd.size = 33;
    ACCEPTED(coquic_connection_send_stream(ep, 1, &sd, 1, &r));
    coquic_send_datagram_data_t dd = {23, {NULL, 0}, 0};
    REJECTED(coquic_connection_send_datagram(ep, 1, &dd, 1, &r), "datagram");
    dd.size = 24;
    ACCEPTED(coquic_connection_send_datagram(ep, 1, &dd, 1, &r));
    coquic_reset_stream_t rs = {23, 0, 0};
    REJECTED(coquic_connection_reset_stream(ep, 1, &rs, 1, &r), "reset");
    rs.size = 24;
    ACCEPTED(coquic_connection_reset_stream(ep, 1, &rs, 1, &r));
    coquic_stop_sending_t ss = {23, 0, 0};
    REJECTED(coquic_connection_stop_sending(ep, 1, &ss, 1, &r), "stop");
    ss.size = 24;
    ACCEPTED(coquic_connection_stop_sending(ep, 1, &ss, 1, &r));
    coquic_close_connection_t cl = {31, 0, NULL, 0};
    REJECTED(coquic_connection_close(ep, 1, &cl, 1, &r), "close");
    cl.size = 32;
    ACCEPTED(coquic_connection_close(ep, 1, &cl, 1, &r));
    coquic_request_connection_migration_t mg = {39, 1, 0, {NULL, 0}};
    REJECTED(coquic_connection_request_migration(ep, 1, &mg, 1, &r), "migration");
    mg.size = 40;
    ACCEPTED(coquic_connection_request_migration(ep, 1, &mg, 1, &r));
    coquic_path_mtu_update_t mtu;
    memset(&mtu, 0, sizeof mtu);
    mtu.max_udp_payload_size = 1400;
    mtu.size = 31;
    REJECTED(coquic_endpoint_update_path_mtu(ep, &mtu, 1, &r), "path_mtu");
    mtu.size = 32;
    ACCEPTED(coquic_endpoint_update_path_mtu(ep, &mtu, 1, &r));
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = 56;
    REJECTED(coquic_endpoint_input_datagram(ep, &in, 1, &r), "inbound_datagram");
    in.size = 57;
    ACCEPTED(coquic_endpoint_input_datagram(ep, &in, 1, &r));
    /* the same gates apply inside coquic_connection_advance */
    coquic_connection_input_t ci;
    memset(&ci, 0, sizeof ci);
    ci.kind = COQUIC_CONNECTION_INPUT_SEND_STREAM;
    ci.as.send_stream = (coquic_send_stream_data_t){32, 0, {NULL, 0}, 1, 0};
    REJECTED(coquic_connection_advance(ep, 1, &ci, 1, &r), "send_stream");
    ci.as.send_stream.size = 33;
    ACCEPTED(coquic_connection_advance(ep, 1, &ci, 1, &r));
    ci.kind = COQUIC_CONNECTION_INPUT_CLOSE;
    ci.as.close = (coquic_close_connection_t){31, 0, NULL, 0};
    REJECTED(coquic_connection_advance(ep, 1, &ci, 1, &r), "close");
    /* open_connection: 200 and an embedded client config of 168, both full */
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    coquic_client_connection_config_init(&open.connection);
    uint8_t cid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    open.connection.source_connection_id = (coquic_bytes_t){cid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){cid, 8};
    open.initial_route_handle = 1;
    open.size = 199;
    REJECTED(coquic_endpoint_open_connection(ep, &open, 1, &r), "open_connection");
    open.size = 200;
    open.connection.size = 167;
    REJECTED(coquic_endpoint_open_connection(ep, &open, 1, &r), "client_connection_config");
    open.connection.size = 168;
    coquic_connection_handle_t h = 0;
    r = NULL;
    CHECK_EQ(coquic_quic_connect(ep, &open, 1, &h, &r), COQUIC_STATUS_OK);
    CHECK_EQ(h, 1); /* the first handle of an endpoint */
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    coquic_result_destroy(r);
    CHECK_EQ(coquic_endpoint_connection_count(ep), 1);
#undef ACCEPTED
#undef REJECTED
    coquic_endpoint_destroy(ep);
}

static coquic_status_t create_sized(size_t size, void (*set)(coquic_endpoint_config_t *)) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.verify_peer = 0;
    c.size = size;
    set(&c);
    coquic_endpoint_t *ep = NULL;
    coquic_status_t st = coquic_endpoint_create(&c, &ep);
    coquic_endpoint_destroy(ep);
    return st;
}

/* This engine rejects the endpoint options it does not implement (with a message): that makes
 * the "read only if size covers it" rule of §1.6 observable for each optional field. */
static void set_orphan(coquic_endpoint_config_t *c) { c->orphan_zero_rtt_buffer.max_packets = 4; }
static void set_probe(coquic_endpoint_config_t *c) { c->enable_reserved_version_probe = 1; }
static void set_lh_reset(coquic_endpoint_config_t *c) { c->enable_long_header_stateless_reset = 1; }
static void set_min_closing(coquic_endpoint_config_t *c) { c->enable_minimal_closing_state_retention = 1; }
static void set_retry_policy(coquic_endpoint_config_t *c) {
    c->retry_handshake_validation_policy = COQUIC_RETRY_HANDSHAKE_VALIDATION_DISCARD;
}

TEST(config_optional_endpoint_fields_read_only_when_covered) {
    CHECK_EQ(create_sized(311, set_orphan), COQUIC_STATUS_OK);
    CHECK_EQ(create_sized(312, set_orphan), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(create_sized(312, set_probe), COQUIC_STATUS_OK);
    CHECK_EQ(create_sized(313, set_probe), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(create_sized(313, set_lh_reset), COQUIC_STATUS_OK);
    CHECK_EQ(create_sized(314, set_lh_reset), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(create_sized(314, set_min_closing), COQUIC_STATUS_OK);
    CHECK_EQ(create_sized(315, set_min_closing), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(create_sized(320, set_retry_policy), COQUIC_STATUS_OK);
    CHECK_EQ(create_sized(321, set_retry_policy), COQUIC_STATUS_INVALID_ARGUMENT);
    char msg[256];
    coquic_x_last_error_message(msg, sizeof msg);
    CHECK(strstr(msg, "retry_handshake_validation_policy") != NULL);
}

/* max_server_connections (size >= 280) is ignored by a config of size 279. */
static void limit_one_but_size_279(coquic_endpoint_config_t *c) {
    c->max_server_connections = 1;
    c->size = 279;
}

TEST(config_max_server_connections_ignored_below_its_size) {
    pair_options o = {.server_config = limit_one_but_size_279};
    pair *p = pair_new(&o);
    CHECK(p != NULL);
    coquic_connection_handle_t c1 = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c1, 10000000));
    coquic_connection_handle_t c2 = pair_connect(p);
    bool second = pair_run_until(p, pred_confirmed, &c2, 10000000); /* pred looks at the first ACCEPTED only */
    second = second && side_has_state(&p->client, c2, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
    size_t conns = coquic_endpoint_connection_count(p->server.ep);
    pair_free(p);
    CHECK(second);
    CHECK_EQ(conns, 2);
}

static coquic_status_t create_with_versions(const uint32_t *v, size_t n, char *msg, size_t cap) {
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.verify_peer = 0;
    c.supported_versions = v;
    c.supported_versions_count = n;
    coquic_endpoint_t *ep = NULL;
    coquic_status_t st = coquic_endpoint_create(&c, &ep);
    coquic_x_last_error_message(msg, cap);
    coquic_endpoint_destroy(ep);
    return st;
}

TEST(config_supported_versions) {
    char msg[256];
    static const uint32_t v1[] = {1}, v1v2[] = {1, 0x6b3343cf}, unknown[] = {0x1a2a3a4a};
    CHECK_EQ(create_with_versions(v1, 1, msg, sizeof msg), COQUIC_STATUS_OK);
    CHECK_EQ(create_with_versions(v1v2, 2, msg, sizeof msg), COQUIC_STATUS_OK);
    CHECK_EQ(create_with_versions(NULL, 0, msg, sizeof msg), COQUIC_STATUS_OK);
    CHECK_EQ(create_with_versions(NULL, 1, msg, sizeof msg), COQUIC_STATUS_INVALID_ARGUMENT);
    /* documented engine behaviour: a version ngtcp2 cannot speak is refused at creation */
    CHECK_EQ(create_with_versions(unknown, 1, msg, sizeof msg), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "0x1a2a3a4a") != NULL);
}
