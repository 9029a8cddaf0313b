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
    coquic_transport_config_init(NULL); /* NULL-safe */
}

TEST(config_endpoint_and_client_defaults) {
    coquic_endpoint_config_t c;
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
    coquic_client_connection_config_t cc;
    coquic_client_connection_config_init(&cc);
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
