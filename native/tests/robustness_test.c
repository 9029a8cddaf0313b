/* Malformed input, protocol misuse and version negotiation. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static bool server_has_stream0_fin(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 0)->fin;
}

TEST(malformed_datagrams_then_a_normal_handshake) {
    pair *p = pair_new(NULL);
    /* Capture a genuine client Initial to mutate. */
    p->capture = true;
    pair_connect(p);
    CHECK(p->captured_count > 0);
    size_t initial_len = p->captured_lens[0];
    uint8_t *initial = malloc(initial_len);
    memcpy(initial, p->captured[0], initial_len);
    pair_free(p);

    p = pair_new(NULL);
    size_t n = g_quick ? 10000 : 100000;
    uint8_t buf[1500];
    for (size_t i = 0; i < n; i++) {
        size_t len;
        switch (i % 4) {
        case 0: /* random bytes, random length */
            len = pair_random(p) % 1500;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)pair_random(p);
            break;
        case 1: /* a truncated real Initial */
            len = pair_random(p) % initial_len;
            memcpy(buf, initial, len);
            break;
        case 2: /* a real Initial with flipped bits */
            len = initial_len;
            memcpy(buf, initial, len);
            for (int k = 0; k < 3; k++) buf[pair_random(p) % len] ^= (uint8_t)(1u << (pair_random(p) % 8));
            break;
        default: /* a plausible long header with garbage after it */
            len = 1200;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)pair_random(p);
            buf[0] = 0xc0 | (buf[0] & 0x0f);
            buf[1] = 0; buf[2] = 0; buf[3] = 0; buf[4] = 1;
            buf[5] = 8;
            break;
        }
        pair_inject(p, &p->server, buf, len);
    }
    size_t after_garbage = coquic_endpoint_connection_count(p->server.ep);
    size_t accepted = side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED);
    /* then a normal connection and transfer through the same server endpoint */
    coquic_connection_handle_t c = pair_connect(p);
    pair_send_pattern(p, &p->client, c, 0, 100000, true);
    bool ok = pair_run_until(p, server_has_stream0_fin, NULL, 30000000);
    coquic_connection_handle_t s = side_accepted(&p->server);
    stream_record *r = s ? side_stream(&p->server, s, 0) : NULL;
    bool exact = ok && r && r->next_offset == 100000 && r->mismatches == 0;
    free(initial);
    pair_free(p);
    /* garbage never becomes a connection: a bit-flipped Initial fails its AEAD check */
    CHECK_EQ(after_garbage, 0);
    CHECK_EQ(accepted, 0);
    CHECK(exact);
}

static coquic_local_error_t send_on(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, bool fin) {
    uint8_t byte = 1;
    coquic_send_stream_data_t d = {sizeof d, stream, {&byte, 1}, fin, 0};
    coquic_result_t *r = NULL;
    coquic_local_error_t le;
    memset(&le, 0xff, sizeof le);
    if (coquic_connection_send_stream(s->ep, conn, &d, p->now, &r) == COQUIC_STATUS_OK) {
        if (coquic_result_local_error(r, &le) != COQUIC_STATUS_OK) le.code = 0xff;
        pair_absorb(p, s, r);
    }
    return le;
}

TEST(misuse_comes_back_as_local_errors) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_local_error_t le = send_on(p, &p->client, 99, 0, false);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION);
    CHECK_EQ(le.connection.has_value, 1);
    CHECK_EQ(le.connection.value, 99);
    le = send_on(p, &p->client, c, 3, false); /* server-initiated unidirectional */
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION);
    le = send_on(p, &p->client, c, 1, false); /* server-initiated bidi the server never opened */
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID);
    le = send_on(p, &p->client, c, 1ull << 62, false);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID);
    le = send_on(p, &p->client, c, 8, true);
    CHECK_EQ(le.code, 0xff); /* fine */
    le = send_on(p, &p->client, c, 8, false);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED);
    /* stop-sending on our own unidirectional stream has no receive side */
    coquic_stop_sending_t ss = {sizeof ss, 2, 1};
    coquic_result_t *r;
    pair_send(p, &p->client, c, 2, (const uint8_t *)"x", 1, false);
    CHECK_EQ(coquic_connection_stop_sending(p->client.ep, c, &ss, p->now, &r), COQUIC_STATUS_OK);
    CHECK(coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION);
    coquic_result_destroy(r);
    /* opening a connection on a server endpoint */
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    CHECK_EQ(coquic_endpoint_open_connection(p->server.ep, &open, p->now, &r), COQUIC_STATUS_OK);
    CHECK(coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION);
    coquic_result_destroy(r);
    /* a path MTU report for a route no connection uses changes nothing (pmtu_test.c has the rest) */
    coquic_path_mtu_update_t mtu;
    memset(&mtu, 0, sizeof mtu);
    mtu.size = sizeof mtu;
    mtu.max_udp_payload_size = 1400;
    CHECK_EQ(coquic_endpoint_update_path_mtu(p->client.ep, &mtu, p->now, &r), COQUIC_STATUS_OK);
    CHECK(coquic_result_local_error(r, &le) != COQUIC_STATUS_OK);
    coquic_result_destroy(r);
    pair_free(p);
}

TEST(version_negotiation_for_unknown_versions) {
    pair *p = pair_new(NULL);
    p->capture = true;
    pair_connect(p);
    size_t len = p->captured_lens[0];
    uint8_t *pkt = malloc(len);
    memcpy(pkt, p->captured[0], len);
    pair_free(p);
    p = pair_new(NULL);
    pkt[1] = 0x1a; pkt[2] = 0x2a; pkt[3] = 0x3a; pkt[4] = 0x4a; /* an unknown version */
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.bytes = (coquic_bytes_t){pkt, len};
    coquic_result_t *r;
    CHECK_EQ(coquic_endpoint_input_datagram(p->server.ep, &in, p->now, &r), COQUIC_STATUS_OK);
    coquic_effect_t e;
    bool vn = coquic_result_effect_count(r) == 1 && coquic_result_effect_at(r, 0, &e) == COQUIC_STATUS_OK &&
              e.kind == COQUIC_EFFECT_SEND_DATAGRAM && e.as.send_datagram.bytes.length >= 7 &&
              (e.as.send_datagram.bytes.data[0] & 0x80) && e.as.send_datagram.bytes.data[1] == 0 &&
              e.as.send_datagram.bytes.data[2] == 0 && e.as.send_datagram.bytes.data[3] == 0 &&
              e.as.send_datagram.bytes.data[4] == 0;
    coquic_result_destroy(r);
    size_t conns = coquic_endpoint_connection_count(p->server.ep);
    /* a short datagram with an unknown version gets no answer (no amplification) */
    in.bytes.length = 100;
    CHECK_EQ(coquic_endpoint_input_datagram(p->server.ep, &in, p->now, &r), COQUIC_STATUS_OK);
    size_t short_answer = coquic_result_effect_count(r);
    coquic_result_destroy(r);
    free(pkt);
    pair_free(p);
    CHECK(vn);
    CHECK_EQ(conns, 0);
    CHECK_EQ(short_answer, 0);
}

static void retry_on(coquic_endpoint_config_t *c) { c->retry_enabled = 1; }

TEST(retry_validates_the_address_then_connects) {
    pair_options o = {.server_config = retry_on};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    bool ok = pair_run_until(p, pred_confirmed, &c, 10000000);
    pair_send_pattern(p, &p->client, c, 0, 50000, true);
    bool data = ok && pair_run_until(p, server_has_stream0_fin, NULL, 10000000);
    pair_free(p);
    CHECK(ok);
    CHECK(data);
}

static void max_one(coquic_endpoint_config_t *c) { c->max_server_connections = 1; }

static bool second_refused(pair *p, void *ctx) {
    coquic_connection_handle_t second = *(coquic_connection_handle_t *)ctx;
    return side_has_state(&p->client, second, COQUIC_STATE_CHANGE_FAILED);
}

TEST(max_server_connections_refuses_extra_connections) {
    pair_options o = {.server_config = max_one};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c1 = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c1, 10000000));
    coquic_connection_handle_t c2 = pair_connect(p);
    bool refused = pair_run_until(p, second_refused, &c2, 20000000);
    size_t server_conns = coquic_endpoint_connection_count(p->server.ep);
    bool peer_code = false;
    for (size_t i = 0; i < p->client.close_count; i++)
        peer_code |= p->client.closes[i].connection == c2 && p->client.closes[i].source == COQUIC_X_CLOSE_SOURCE_PEER &&
                     p->client.closes[i].error_code == 0x2; /* CONNECTION_REFUSED */
    pair_free(p);
    CHECK(refused);
    CHECK(peer_code);
    CHECK_EQ(server_conns, 1);
}
