/* Handshakes, transfers, streams, DATAGRAMs, resets, closes and idle timeouts over a pair. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static size_t big(void) { return g_quick ? (4u << 20) : (64u << 20); }

/* The first n events of a side are exactly `want` (kind, value) pairs, all for `conn`. */
static bool events_are(const side *s, coquic_connection_handle_t conn, const event_record *want, size_t n) {
    if (s->event_count < n) return false;
    for (size_t i = 0; i < n; i++)
        if (s->events[i].kind != want[i].kind || s->events[i].a != want[i].a || s->events[i].conn != conn) return false;
    return true;
}

TEST(handshake_events_in_order) {
    pair *p = pair_new(NULL);
    CHECK(p);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK_EQ(c, 1); /* handles start at 1 */
    bool ok = pair_run_until(p, pred_confirmed, &c, 10000000);
    coquic_connection_handle_t s = side_accepted(&p->server);
    static const event_record client_want[] = {
        {COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, 0, COQUIC_LIFECYCLE_CREATED, 0, 0, 0},
        {COQUIC_EFFECT_STATE_EVENT, 0, COQUIC_STATE_CHANGE_HANDSHAKE_READY, 0, 0, 0},
        {COQUIC_EFFECT_STATE_EVENT, 0, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED, 0, 0, 0},
    };
    static const event_record server_want[] = {
        {COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, 0, COQUIC_LIFECYCLE_ACCEPTED, 0, 0, 0},
        {COQUIC_EFFECT_STATE_EVENT, 0, COQUIC_STATE_CHANGE_HANDSHAKE_READY, 0, 0, 0},
        {COQUIC_EFFECT_STATE_EVENT, 0, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED, 0, 0, 0},
    };
    bool client_order = events_are(&p->client, c, client_want, 3);
    bool server_order = events_are(&p->server, s, server_want, 3);
    /* a server emits READY and CONFIRMED together (§1.5) */
    bool server_together = p->server.event_count >= 3 && p->server.events[1].at == p->server.events[2].at;
    /* the client confirms only when HANDSHAKE_DONE arrives, after READY */
    bool client_later = p->client.event_count >= 3 && p->client.events[2].at >= p->client.events[1].at;
    size_t counts = coquic_endpoint_connection_count(p->client.ep) + coquic_endpoint_connection_count(p->server.ep);
    /* nothing fails during a clean handshake */
    bool no_failure = side_count(&p->client, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 0 &&
                      side_count(&p->server, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 0 &&
                      p->client.local_error_count == 0 && p->server.local_error_count == 0;
    pair_free(p);
    CHECK(ok);
    CHECK_EQ(s, 1);
    CHECK(client_order);
    CHECK(server_order);
    CHECK(server_together);
    CHECK(client_later);
    CHECK(no_failure);
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
    bool ok = transfer(p, true, 0, big());
    if (!ok) test_note("fault: %s", pair_fault(p) ? pair_fault(p) : "none");
    pair_free(p);
    CHECK(ok);
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

static bool server_close_info(pair *p, void *ctx) { return p->server.close_count > 0; }

TEST(close_code_and_reason_reach_peer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    coquic_close_connection_t cl = {sizeof cl, 0x1234, "bye", 3};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &cl, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->client, r);
    /* FAILED comes at once for our own close (§1.5) */
    bool local_failed_now = side_event(&p->client, c, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) != NULL;
    bool seen = pair_run_until(p, server_close_info, NULL, 10000000);
    bool peer_ok = seen && p->server.closes[0].connection == s &&
                   p->server.closes[0].source == COQUIC_X_CLOSE_SOURCE_PEER &&
                   p->server.closes[0].is_application_error == 1 && p->server.closes[0].error_code == 0x1234 &&
                   strcmp(p->server.close_reasons[0], "bye") == 0;
    bool local_ok = p->client.close_count == 1 && p->client.closes[0].connection == c &&
                    p->client.closes[0].source == COQUIC_X_CLOSE_SOURCE_LOCAL &&
                    p->client.closes[0].is_application_error == 1 && p->client.closes[0].error_code == 0x1234;
    bool gone = pair_run_until(p, pred_no_connections, NULL, 10000000);
    const event_record *cf = side_event(&p->client, c, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED);
    const event_record *sf = side_event(&p->server, s, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED);
    const event_record *cc = side_event(&p->client, c, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED);
    const event_record *sc = side_event(&p->server, s, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED);
    /* CLOSED only after the closing/draining period, i.e. strictly later than FAILED */
    bool closed_later = cf && sf && cc && sc && cc->at > cf->at && sc->at > sf->at;
    bool once = side_count(&p->client, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1 &&
                side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1 &&
                side_count(&p->client, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 1 &&
                side_count(&p->server, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 1;
    /* a closed handle is unknown afterwards */
    uint8_t byte = 1;
    coquic_send_stream_data_t d = {sizeof d, 0, {&byte, 1}, 0, 0};
    CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
    coquic_local_error_t le;
    bool unknown_after = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK &&
                         le.code == COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION && le.connection.value == c;
    coquic_result_destroy(r);
    size_t after_failed = p->client.effects_after_failed + p->server.effects_after_failed;
    pair_free(p);
    CHECK(local_failed_now);
    CHECK(peer_ok);
    CHECK(local_ok);
    CHECK(gone);
    CHECK(closed_later);
    CHECK(once);
    CHECK(unknown_after);
    CHECK_EQ(after_failed, 0);
}

static void short_idle(coquic_endpoint_config_t *c) { c->transport.max_idle_timeout = 2000; }

TEST(idle_timeout_closes_both_sides) {
    pair_options o = {.client_config = short_idle, .server_config = short_idle};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    uint64_t start = p->now;
    bool gone = pair_run_until(p, pred_no_connections, NULL, 30000000);
    const event_record *cf = side_event(&p->client, c, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED);
    const event_record *sf = side_event(&p->server, s, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED);
    const event_record *cc = side_event(&p->client, c, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED);
    const event_record *sc = side_event(&p->server, s, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED);
    /* 2 s of silence (the effective timeout is max(2 s, 3 PTO), and PTO is tens of ms here) */
    bool client_timing = cf && cf->at >= start + 1900000 && cf->at <= start + 2500000;
    bool server_timing = sf && sf->at >= start + 1900000 && sf->at <= start + 2500000;
    bool client_info = p->client.close_count == 1 && p->client.closes[0].connection == c &&
                       p->client.closes[0].source == COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT;
    bool server_info = p->server.close_count == 1 && p->server.closes[0].connection == s &&
                       p->server.closes[0].source == COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT;
    bool closed_after_failed = cc && sc && cf && sf && cc->at >= cf->at && sc->at >= sf->at;
    bool once = side_count(&p->client, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 1 &&
                side_count(&p->server, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED) == 1 &&
                side_count(&p->client, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1 &&
                side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED) == 1;
    /* an idle timeout is silent: no CONNECTION_CLOSE, so nothing is left in flight */
    size_t in_flight = p->heap_len;
    /* with no connection left, no timer is needed */
    coquic_time_us_t t;
    bool no_timer = !coquic_x_endpoint_next_wakeup(p->client.ep, &t) && !coquic_x_endpoint_next_wakeup(p->server.ep, &t);
    pair_free(p);
    CHECK(gone);
    CHECK(client_timing);
    CHECK(server_timing);
    CHECK(client_info);
    CHECK(server_info);
    CHECK(closed_after_failed);
    CHECK(once);
    CHECK_EQ(in_flight, 0);
    CHECK(no_timer);
}

static bool stream_done(pair *p, void *ctx) {
    transfer_ctx *t = ctx;
    coquic_connection_handle_t conn = t->receiver == &p->server ? side_accepted(&p->server) : 1;
    return conn && side_stream(t->receiver, conn, t->stream)->next_offset >= t->size;
}

static uint64_t client_cwnd(pair *p, coquic_connection_handle_t c) {
    coquic_x_connection_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    return coquic_x_connection_stats(p->client.ep, c, &st) == COQUIC_STATUS_OK ? st.congestion_window : 0;
}

/* One call that could send far more than 256 datagrams returns exactly the cap with
 * send_continuation_pending = 1; timer_expired(now) at the same instant drains the rest
 * (<= 256 each), and the transfer then completes byte-exact. */
TEST(send_continuation_caps_datagrams_per_call) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    /* grow the congestion window well past 256 full datagrams first */
    size_t warm = g_quick ? (4u << 20) : (8u << 20);
    uint64_t need = 256u * 1500u;
    for (uint64_t stream = 0; stream < 40 && client_cwnd(p, c) < need; stream += 4) {
        pair_send_pattern(p, &p->client, c, stream, warm, true);
        transfer_ctx w = {&p->server, stream, warm};
        CHECK(pair_run_until(p, stream_done, &w, 60000000));
    }
    uint64_t cwnd = client_cwnd(p, c);
    test_note("cwnd %llu", (unsigned long long)cwnd);
    CHECK(cwnd >= need);

    size_t size = 16u << 20;
    uint64_t stream = 100;
    uint8_t *buf = malloc(size);
    pattern_fill(buf, size, 0, stream);
    coquic_send_stream_data_t d = {sizeof d, stream, {buf, size}, 1, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
    free(buf);
    coquic_x_result_summary_t sum;
    coquic_x_result_summary(r, &sum);
    CHECK_EQ(sum.datagram_count, 256);
    CHECK_EQ(sum.send_continuation_pending, 1);
    CHECK_EQ(coquic_result_send_continuation_pending(r), 1);
    CHECK(sum.has_next_wakeup && sum.next_wakeup <= p->now); /* clamped to now */
    coquic_optional_time_us_t w = coquic_result_next_wakeup(r);
    CHECK(w.has_value && w.value <= p->now);
    CHECK_EQ(coquic_endpoint_has_send_continuation_pending(p->client.ep), 1);
    bool more = pair_absorb_once(p, &p->client, r);
    CHECK(more);
    /* drain: timer_expired at the same instant, nothing delivered in between */
    size_t calls = 0, total = 256;
    bool within_cap = true;
    while (more && calls < 10000) {
        CHECK_EQ(coquic_endpoint_timer_expired(p->client.ep, p->now, &r), COQUIC_STATUS_OK);
        coquic_x_result_summary(r, &sum);
        within_cap &= sum.datagram_count <= 256;
        within_cap &= !sum.send_continuation_pending || sum.datagram_count == 256;
        total += sum.datagram_count;
        calls++;
        more = pair_absorb_once(p, &p->client, r);
    }
    test_note("cwnd %llu, %zu continuation calls, %zu datagrams", (unsigned long long)cwnd, calls, total);
    CHECK(!more);
    CHECK(calls >= 1);
    CHECK(within_cap);
    CHECK_EQ(coquic_endpoint_has_send_continuation_pending(p->client.ep), 0);
    /* the rest flows normally and arrives intact */
    transfer_ctx t = {&p->server, stream, size};
    CHECK(pair_run_until(p, stream_complete, &t, 120000000));
    stream_record *rec = side_stream(&p->server, side_accepted(&p->server), stream);
    CHECK_EQ(rec->final_size, size);
    CHECK_EQ(rec->mismatches, 0);
    CHECK(!rec->offset_error);
    pair_free(p);
}

/* A rough link: duplicates, corrupted bytes (must fail AEAD and be dropped), a rate limit
 * that builds a queue, plus some loss. */
TEST(transfer_over_duplicating_corrupting_rate_limited_link) {
    pair_options o = {.loss = 0.01, .duplicate = 0.03, .corrupt = 0.02, .reorder = 0.02,
                      .rate_bytes_per_s = 20u << 20, .delay_us = 15000, .seed = 1234};
    pair *p = pair_new(&o);
    size_t size = g_quick ? (2u << 20) : (16u << 20);
    bool ok = transfer(p, true, 0, size);
    test_note("fault: %s", pair_fault(p) ? pair_fault(p) : "none");
    bool no_close = p->client.close_count == 0 && p->server.close_count == 0;
    pair_free(p);
    CHECK(ok);
    CHECK(no_close);
}

/* The same traffic read through coquic_result_effect_count/effect_at instead of the batch
 * array; the harness cross-checks both views of every result. */
TEST(transfer_through_core_effect_accessors) {
    pair_options o = {.use_effect_at = true};
    pair *p = pair_new(&o);
    bool ok = transfer(p, false, 0, g_quick ? (1u << 20) : (8u << 20));
    test_note("fault: %s", pair_fault(p) ? pair_fault(p) : "none");
    bool fault = pair_fault(p) != NULL;
    pair_free(p);
    CHECK(ok);
    CHECK(!fault);
}
