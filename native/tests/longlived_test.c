/* Long-lived connections: finished streams are reported (and freed), bounded queues. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static bool both_closed_stream0(pair *p, void *ctx) {
    return side_count(&p->client, COQUIC_X_EFFECT_STREAM_CLOSED, 0) > 0 &&
           side_count(&p->server, COQUIC_X_EFFECT_STREAM_CLOSED, 0) > 0;
}

static bool client_stream0_fin(pair *p, void *ctx) {
    return side_stream(&p->client, *(coquic_connection_handle_t *)ctx, 0)->fin;
}

/* A request/response stream ends in one STREAM_CLOSED on each side, after STREAM_ACKED
 * reported the send side fully acknowledged; nothing of the kind without the switch. */
TEST(ext_stream_effects_report_close_and_acks) {
    for (int on = 0; on <= 1; on++) {
        pair *p = pair_new(NULL);
        uint32_t flags = on ? COQUIC_X_STREAM_EFFECT_CLOSED | COQUIC_X_STREAM_EFFECT_ACKED : 0;
        CHECK_EQ(coquic_x_endpoint_set_stream_effects(p->client.ep, flags), COQUIC_STATUS_OK);
        CHECK_EQ(coquic_x_endpoint_set_stream_effects(p->server.ep, flags), COQUIC_STATUS_OK);
        coquic_connection_handle_t c = pair_connect(p);
        CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
        pair_send_pattern(p, &p->client, c, 0, 3000, true);
        coquic_connection_handle_t s = side_accepted(&p->server);
        CHECK(s != 0);
        for (int i = 0; i < 2000 && !side_stream(&p->server, s, 0)->fin; i++) pair_step(p);
        CHECK(side_stream(&p->server, s, 0)->fin);
        pair_send_pattern(p, &p->server, s, 0, 5000, true);
        CHECK(pair_run_until(p, client_stream0_fin, &c, 10000000));
        if (on) {
            CHECK(pair_run_until(p, both_closed_stream0, NULL, 10000000));
            CHECK_EQ(side_count(&p->client, COQUIC_X_EFFECT_STREAM_CLOSED, 0), 1);
            CHECK_EQ(side_count(&p->server, COQUIC_X_EFFECT_STREAM_CLOSED, 0), 1);
            /* the last ACK report for the client's stream says nothing is left unacknowledged */
            size_t n = side_count(&p->client, COQUIC_X_EFFECT_STREAM_ACKED, 0);
            CHECK(n >= 1);
            const event_record *last = side_find(&p->client, COQUIC_X_EFFECT_STREAM_ACKED, 0, n - 1);
            CHECK_EQ(last->b, 0);
            CHECK_EQ(coquic_x_stream_send_buffered(p->client.ep, c, 0), 0);
        } else {
            for (int i = 0; i < 200; i++) pair_step(p);
            CHECK_EQ(side_count(&p->client, COQUIC_X_EFFECT_STREAM_CLOSED, 0), 0);
            CHECK_EQ(side_count(&p->client, COQUIC_X_EFFECT_STREAM_ACKED, 0), 0);
        }
        pair_free(p);
    }
}

TEST(ext_stream_effects_refuse_unknown_flags) {
    pair *p = pair_new(NULL);
    CHECK_EQ(coquic_x_endpoint_set_stream_effects(p->client.ep, 4), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_endpoint_set_stream_effects(NULL, 1), COQUIC_STATUS_INVALID_ARGUMENT);
    pair_free(p);
}

/* DATAGRAMs sent before the handshake wait in a bounded queue: a client that sends many
 * loses the oldest, not memory. */
TEST(datagram_queue_before_handshake_is_capped) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    uint8_t b[100] = {0};
    for (uint32_t i = 0; i < 2000; i++) {
        memcpy(b, &i, sizeof i);
        coquic_send_datagram_data_t d = {sizeof d, {b, sizeof b}, 0};
        coquic_result_t *r = NULL;
        CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
        pair_absorb(p, &p->client, r);
    }
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    for (int i = 0; i < 2000; i++) pair_step(p);
    test_note("%zu of 2000 delivered", p->server.datagram_count);
    CHECK(p->server.datagram_count > 0);
    CHECK(p->server.datagram_count <= 128);
    /* the newest were kept */
    uint32_t last;
    memcpy(&last, p->server.datagrams[p->server.datagram_count - 1], sizeof last);
    CHECK_EQ(last, 1999);
    pair_free(p);
}

static void tiny_windows(coquic_endpoint_config_t *c) {
    c->transport.initial_max_stream_data_bidi_remote = 1000;
    c->transport.initial_max_data = 2000;
}

/* The endpoint's counts (connections, queued sends) are kept as connections change, not
 * counted per query: they follow a flow-control-blocked send and a close. */
TEST(endpoint_counters_follow_connections) {
    pair_options o = {.server_config = tiny_windows};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 1);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 1);
    CHECK_EQ(coquic_endpoint_has_pending_stream_send(p->client.ep), 0);
    pair_send_pattern(p, &p->client, c, 0, 100000, true); /* far more than the peer lets us send */
    for (int i = 0; i < 200; i++) pair_step(p);
    CHECK_EQ(coquic_endpoint_has_pending_stream_send(p->client.ep), 1);
    coquic_close_connection_t cl = {sizeof cl, 0, "bye", 3};
    coquic_result_t *r = NULL;
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    CHECK_EQ(coquic_endpoint_has_pending_stream_send(p->client.ep), 0); /* closing: nothing more to send */
    CHECK(pair_run_until(p, pred_no_connections, NULL, 60000000));
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    pair_free(p);
}
