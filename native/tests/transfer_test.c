/* Handshakes, transfers, streams, DATAGRAMs, resets, closes and idle timeouts over a pair. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static size_t big(void) { return g_quick ? (4u << 20) : (64u << 20); }

TEST(handshake_events_in_order) {
    pair *p = pair_new(NULL);
    CHECK(p);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(c != 0);
    bool ok = pair_run_until(p, pred_confirmed, &c, 10000000);
    coquic_connection_handle_t s = side_accepted(&p->server);
    /* client: CREATED, READY, CONFIRMED; server: ACCEPTED, READY, CONFIRMED */
    const event_record *ce = p->client.events, *se = p->server.events;
    bool order = p->client.event_count >= 3 && p->server.event_count >= 3 &&
                 ce[0].kind == COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT && ce[0].a == COQUIC_LIFECYCLE_CREATED &&
                 ce[1].kind == COQUIC_EFFECT_STATE_EVENT && ce[1].a == COQUIC_STATE_CHANGE_HANDSHAKE_READY &&
                 ce[2].kind == COQUIC_EFFECT_STATE_EVENT && ce[2].a == COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED &&
                 se[0].kind == COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT && se[0].a == COQUIC_LIFECYCLE_ACCEPTED &&
                 se[1].a == COQUIC_STATE_CHANGE_HANDSHAKE_READY && se[2].a == COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED;
    size_t counts = coquic_endpoint_connection_count(p->client.ep) + coquic_endpoint_connection_count(p->server.ep);
    pair_free(p);
    CHECK(ok);
    CHECK(s != 0);
    CHECK(order);
    CHECK_EQ(counts, 2);
}

typedef struct transfer_ctx {
    side *receiver;
    uint64_t stream;
    size_t size;
} transfer_ctx;

static bool stream_complete(pair *p, void *ctx) {
    transfer_ctx *t = ctx;
    coquic_connection_handle_t conn = t->receiver == &p->server ? side_accepted(&p->server) : 1;
    return conn && side_stream(t->receiver, conn, t->stream)->fin;
}

/* Sends `size` pattern bytes on `stream` from sender to receiver; true when byte-exact. */
static bool transfer(pair *p, bool from_client, uint64_t stream, size_t size) {
    coquic_connection_handle_t c = pair_connect(p);
    if (!pair_run_until(p, pred_confirmed, &c, 20000000)) return false;
    side *sender = from_client ? &p->client : &p->server;
    coquic_connection_handle_t conn = from_client ? c : side_accepted(&p->server);
    if (!from_client) { /* the server answers on the client's stream: the client opens it with a request */
        uint8_t request = 0x5a;
        pair_send(p, &p->client, c, stream, &request, 1, true);
        transfer_ctx opened = {&p->server, stream, 1};
        if (!pair_run_until(p, stream_complete, &opened, 20000000)) return false;
    }
    uint8_t *buf = malloc(size);
    pattern_fill(buf, size, 0, stream);
    pair_send(p, sender, conn, stream, buf, size, true);
    free(buf);
    transfer_ctx t = {from_client ? &p->server : &p->client, stream, size};
    if (!pair_run_until(p, stream_complete, &t, 600000000)) return false;
    coquic_connection_handle_t rconn = from_client ? side_accepted(&p->server) : c;
    stream_record *r = side_stream(t.receiver, rconn, stream);
    return r->final_size == size && r->next_offset == size && r->mismatches == 0 && !r->offset_error;
}

TEST(transfer_client_to_server_byte_exact) {
    pair *p = pair_new(NULL);
    bool ok = transfer(p, true, 0, big());
    pair_free(p);
    CHECK(ok);
}

TEST(transfer_server_to_client_byte_exact) {
    pair *p = pair_new(NULL);
    bool ok = transfer(p, false, 0, big());
    pair_free(p);
    CHECK(ok);
}

TEST(transfer_under_loss_and_reordering) {
    pair_options o = {.loss = 0.05, .reorder = 0.05, .seed = 42};
    pair *p = pair_new(&o);
    bool ok = transfer(p, true, 0, g_quick ? (2u << 20) : (64u << 20));
    pair_free(p);
    CHECK(ok);
}

static void server_100_streams(coquic_endpoint_config_t *c) { c->transport.initial_max_streams_bidi = 100; }

static bool all_echoed(pair *p, void *ctx) {
    size_t n = *(size_t *)ctx, done = 0;
    for (size_t i = 0; i < p->client.stream_count; i++) done += p->client.streams[i].fin;
    return done == n;
}

/* Echoes every stream the server has finished receiving, once; returns how many were echoed. */
static size_t echo_finished(pair *p, bool *echoed, size_t n) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    size_t count = 0;
    for (size_t i = 0; s && i < n; i++) {
        if (!echoed[i]) {
            stream_record *r = side_stream(&p->server, s, 4 * i);
            if (!r->fin) continue;
            echoed[i] = true;
            pair_send(p, &p->server, s, 4 * i, r->data, (size_t)r->next_offset, true);
        }
        count++;
    }
    return count;
}

TEST(streams_1000_on_one_connection_with_stream_limit) {
    /* The server allows 100 concurrent streams: the client's sends beyond that wait for
     * MAX_STREAMS, which arrives as the server finishes (echoes) earlier streams. */
    size_t n = g_quick ? 200 : 1000;
    pair_options o = {.server_config = server_100_streams};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    for (size_t i = 0; i < n; i++) pair_send_pattern(p, &p->client, c, 4 * i, 50 + i % 200, true);
    bool *echoed = calloc(n, sizeof *echoed);
    size_t steps = 0;
    while (!all_echoed(p, &n) && steps++ < 5000000) {
        echo_finished(p, echoed, n);
        if (!pair_step(p)) break;
    }
    bool done = all_echoed(p, &n);
    bool exact = done;
    coquic_connection_handle_t s = side_accepted(&p->server);
    for (size_t i = 0; i < n && exact; i++) {
        stream_record *sr = side_stream(&p->server, s, 4 * i), *cr = side_stream(&p->client, c, 4 * i);
        exact = sr->next_offset == 50 + i % 200 && sr->mismatches == 0 && cr->next_offset == sr->next_offset &&
                cr->mismatches == 0 && !cr->offset_error;
    }
    free(echoed);
    pair_free(p);
    CHECK(done);
    CHECK(exact);
}

static bool server_got_datagrams(pair *p, void *ctx) { return p->server.datagram_count >= *(size_t *)ctx; }
static bool client_got_datagram(pair *p, void *ctx) { return p->client.datagram_count >= 1; }

TEST(datagrams_both_ways) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    size_t n = 20;
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[300];
        pattern_fill(buf, 100 + i, 0, i);
        coquic_send_datagram_data_t d = {sizeof d, {buf, 100 + i}, 0};
        coquic_result_t *r;
        CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
        pair_absorb(p, &p->client, r);
    }
    bool ok = pair_run_until(p, server_got_datagrams, &n, 10000000);
    bool exact = ok;
    for (size_t i = 0; i < n && exact; i++) {
        exact = p->server.datagram_lens[i] == 100 + i;
        for (size_t j = 0; exact && j < p->server.datagram_lens[i]; j++) exact = p->server.datagrams[i][j] == pattern_byte(j, i);
    }
    uint8_t back[10] = "datagram!";
    coquic_send_datagram_data_t d = {sizeof d, {back, sizeof back}, 0};
    coquic_result_t *r;
    coquic_connection_send_datagram(p->server.ep, side_accepted(&p->server), &d, p->now, &r);
    pair_absorb(p, &p->server, r);
    bool back_ok = pair_run_until(p, client_got_datagram, NULL, 10000000) && p->client.datagram_lens[0] == sizeof back &&
                   memcmp(p->client.datagrams[0], back, sizeof back) == 0;
    static uint8_t huge[70000];
    coquic_send_datagram_data_t h = {sizeof h, {huge, sizeof huge}, 0};
    coquic_connection_send_datagram(p->client.ep, c, &h, p->now, &r);
    coquic_local_error_t le = {0};
    bool too_large = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE;
    coquic_result_destroy(r);
    pair_free(p);
    CHECK(ok);
    CHECK(exact);
    CHECK(back_ok);
    CHECK(too_large);
}

static void no_datagrams(coquic_endpoint_config_t *c) { c->transport.max_datagram_frame_size = 0; }

TEST(datagrams_not_supported_by_peer) {
    pair_options o = {.server_config = no_datagrams};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    uint8_t b = 1;
    coquic_send_datagram_data_t d = {sizeof d, {&b, 1}, 0};
    coquic_result_t *r;
    coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r);
    coquic_local_error_t le = {0};
    bool ok = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_DATAGRAM_NOT_SUPPORTED;
    coquic_result_destroy(r);
    pair_free(p);
    CHECK(ok);
}

static bool server_has(pair *p, void *ctx) { return side_count(&p->server, *(coquic_effect_kind_t *)ctx, 0) > 0 || side_find(&p->server, *(coquic_effect_kind_t *)ctx, UINT64_MAX, 0); }
static bool client_has(pair *p, void *ctx) { return side_find(&p->client, *(coquic_effect_kind_t *)ctx, UINT64_MAX, 0) != NULL; }
static bool server_saw_stream4(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 4)->next_offset > 0;
}

TEST(reset_and_stop_sending_reach_peer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    pair_send_pattern(p, &p->client, c, 0, 1000, false);
    coquic_reset_stream_t rs = {sizeof rs, 0, 77};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_reset_stream(p->client.ep, c, &rs, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    coquic_effect_kind_t k = COQUIC_EFFECT_PEER_RESET_STREAM;
    bool reset_seen = pair_run_until(p, server_has, &k, 10000000);
    const event_record *e = side_find(&p->server, k, UINT64_MAX, 0);
    bool reset_ok = e && e->a == 0 && e->b == 77 && e->c <= 1000;

    pair_send_pattern(p, &p->client, c, 4, 10, false);
    CHECK(pair_run_until(p, server_saw_stream4, NULL, 10000000));
    coquic_stop_sending_t ss = {sizeof ss, 4, 99};
    CHECK_EQ(coquic_connection_stop_sending(p->server.ep, side_accepted(&p->server), &ss, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    k = COQUIC_EFFECT_PEER_STOP_SENDING;
    bool stop_seen = pair_run_until(p, client_has, &k, 10000000);
    e = side_find(&p->client, k, UINT64_MAX, 0);
    bool stop_ok = e && e->a == 4 && e->b == 99;
    /* after the peer's STOP_SENDING our send side is closed */
    uint8_t more = 1;
    coquic_send_stream_data_t sd = {sizeof sd, 4, {&more, 1}, 0, 0};
    coquic_connection_send_stream(p->client.ep, c, &sd, p->now, &r);
    coquic_local_error_t le = {0};
    bool closed = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED;
    coquic_result_destroy(r);
    pair_free(p);
    CHECK(reset_seen);
    CHECK(reset_ok);
    CHECK(stop_seen);
    CHECK(stop_ok);
    CHECK(closed);
}

static bool server_close_info(pair *p, void *ctx) { return p->server.close_count > 0; }

TEST(close_code_and_reason_reach_peer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_close_connection_t cl = {sizeof cl, 0x1234, "bye", 3};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    bool seen = pair_run_until(p, server_close_info, NULL, 10000000);
    bool peer_ok = seen && p->server.closes[0].source == COQUIC_X_CLOSE_SOURCE_PEER &&
                   p->server.closes[0].is_application_error && p->server.closes[0].error_code == 0x1234 &&
                   strcmp(p->server.close_reasons[0], "bye") == 0;
    bool local_ok = p->client.close_count == 1 && p->client.closes[0].source == COQUIC_X_CLOSE_SOURCE_LOCAL;
    bool failed_both = side_has_state(&p->client, c, COQUIC_STATE_CHANGE_FAILED) &&
                       side_has_state(&p->server, side_accepted(&p->server), COQUIC_STATE_CHANGE_FAILED);
    bool gone = pair_run_until(p, pred_no_connections, NULL, 10000000);
    bool closed = side_count(&p->client, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1 &&
                  side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1;
    pair_free(p);
    CHECK(peer_ok);
    CHECK(local_ok);
    CHECK(failed_both);
    CHECK(gone);
    CHECK(closed);
}

static void short_idle(coquic_endpoint_config_t *c) { c->transport.max_idle_timeout = 2000; }

TEST(idle_timeout_closes_both_sides) {
    pair_options o = {.client_config = short_idle, .server_config = short_idle};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    uint64_t start = p->now;
    bool gone = pair_run_until(p, pred_no_connections, NULL, 30000000);
    uint64_t elapsed = p->now - start;
    bool idle = p->client.close_count > 0 && p->client.closes[0].source == COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT;
    pair_free(p);
    CHECK(gone);
    CHECK(elapsed >= 2000000);
    CHECK(idle);
}

TEST(send_continuation_caps_datagrams_per_call) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    size_t size = 16u << 20;
    uint8_t *buf = malloc(size);
    pattern_fill(buf, size, 0, 0);
    coquic_send_stream_data_t d = {sizeof d, 0, {buf, size}, 1, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
    free(buf);
    coquic_x_result_summary_t sum;
    coquic_x_result_summary(r, &sum);
    /* congestion control limits the first flight, so the cap may or may not be hit; never above */
    bool capped = sum.datagram_count <= 256;
    bool flag_consistent = !sum.send_continuation_pending || (sum.datagram_count == 256 && sum.has_next_wakeup &&
                                                              sum.next_wakeup <= p->now);
    pair_absorb(p, &p->client, r);
    pair_free(p);
    CHECK(capped);
    CHECK(flag_consistent);
}
