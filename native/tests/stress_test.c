/* Less common but legal usage: key updates mid-transfer, heavy loss, tiny writes, empty
 * streams, server-initiated streams, clock oddities, traffic across an idle timeout. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

typedef struct want_stream {
    side *side;
    uint64_t stream;
} want_stream;

static bool fin_on(pair *p, void *ctx) {
    want_stream *w = ctx;
    coquic_connection_handle_t conn = w->side == &p->server ? side_accepted(&p->server) : 1;
    return conn && side_stream(w->side, conn, w->stream)->fin;
}

static bool exact(side *s, coquic_connection_handle_t conn, uint64_t stream, uint64_t size) {
    stream_record *r = side_stream(s, conn, stream);
    return r->fin && r->final_size == size && r->next_offset == size && r->mismatches == 0 && !r->offset_error;
}

/* Key updates requested over and over while 8 MiB flow: refused ones are fine, failures not. */
TEST(stress_key_updates_during_a_transfer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    size_t size = g_quick ? (2u << 20) : (8u << 20);
    pair_send_pattern(p, &p->client, c, 0, size, true);
    want_stream w = {&p->server, 0};
    size_t updates = 0, refused = 0;
    for (size_t steps = 0; !fin_on(p, &w) && steps < 3000000 && !pair_fault(p); steps++) {
        if (steps % 500 == 0) {
            coquic_result_t *r;
            side *s = (steps / 500) % 2 ? &p->server : &p->client;
            coquic_connection_handle_t conn = s == &p->client ? c : side_accepted(&p->server);
            CHECK_EQ(coquic_connection_request_key_update(s->ep, conn, p->now, &r), COQUIC_STATUS_OK);
            refused += coquic_result_has_local_error(r);
            updates++;
            pair_absorb(p, s, r);
        }
        if (!pair_step(p)) break;
    }
    test_note("%zu key update requests, %zu refused; fault %s", updates, refused, pair_fault(p) ? pair_fault(p) : "none");
    CHECK(fin_on(p, &w));
    CHECK(exact(&p->server, side_accepted(&p->server), 0, size));
    CHECK(updates > 5);
    CHECK(refused < updates); /* at least some went through */
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

/* 30% loss each way: the handshake still completes and a small transfer gets through. */
TEST(stress_handshake_under_heavy_loss) {
    for (uint64_t seed = 1; seed <= 5; seed++) {
        pair_options o = {.loss = 0.30, .seed = seed * 7919};
        pair *p = pair_new(&o);
        coquic_connection_handle_t c = pair_connect(p);
        bool ok = pair_run_until(p, pred_confirmed, &c, 9000000); /* inside the 10 s handshake timeout */
        test_note("seed %llu", (unsigned long long)seed);
        if (ok) {
            pair_send_pattern(p, &p->client, c, 0, 50000, true);
            want_stream w = {&p->server, 0};
            ok = pair_run_until(p, fin_on, &w, 60000000) && exact(&p->server, side_accepted(&p->server), 0, 50000);
        }
        pair_free(p);
        CHECK(ok);
    }
}

/* 20,000 one-byte writes on one stream arrive as one contiguous byte-exact stream. */
TEST(stress_many_tiny_writes) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    size_t n = g_quick ? 3000 : 20000;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = pattern_byte(i, 0);
        pair_send(p, &p->client, c, 0, &b, 1, false);
        if (i % 64 == 0) pair_step(p);
    }
    pair_send(p, &p->client, c, 0, NULL, 0, true); /* FIN alone */
    want_stream w = {&p->server, 0};
    CHECK(pair_run_until(p, fin_on, &w, 30000000));
    stream_record *r = side_stream(&p->server, side_accepted(&p->server), 0);
    test_note("final %llu next %llu mismatches %llu offset_error %d", (unsigned long long)r->final_size,
              (unsigned long long)r->next_offset, (unsigned long long)r->mismatches, r->offset_error);
    CHECK(exact(&p->server, side_accepted(&p->server), 0, n));
    CHECK_EQ(p->client.local_error_count, 0);
    pair_free(p);
}

/* An empty stream (just a FIN) in both directions, bidi and uni, via the scalar helpers. */
TEST(stress_empty_streams) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_result_t *r;
    CHECK_EQ(coquic_quic_stream_finish(p->client.ep, c, 0, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->client, r);
    CHECK_EQ(coquic_quic_stream_send(p->client.ep, c, 2, (coquic_bytes_t){NULL, 0}, 1, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->client, r);
    want_stream w0 = {&p->server, 0}, w2 = {&p->server, 2};
    CHECK(pair_run_until(p, fin_on, &w0, 10000000));
    CHECK(pair_run_until(p, fin_on, &w2, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    CHECK(exact(&p->server, s, 0, 0));
    CHECK(exact(&p->server, s, 2, 0));
    /* and the server answers with empty streams of its own: bidi 1, uni 3 */
    CHECK_EQ(coquic_quic_stream_finish(p->server.ep, s, 1, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    CHECK_EQ(coquic_quic_stream_finish(p->server.ep, s, 3, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    want_stream w1 = {&p->client, 1}, w3 = {&p->client, 3};
    CHECK(pair_run_until(p, fin_on, &w1, 10000000));
    CHECK(pair_run_until(p, fin_on, &w3, 10000000));
    CHECK(exact(&p->client, c, 1, 0));
    CHECK(exact(&p->client, c, 3, 0));
    pair_free(p);
}

/* Server-initiated unidirectional and bidirectional streams carry bulk data to the client. */
TEST(stress_server_initiated_streams_transfer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    size_t size = g_quick ? (1u << 20) : (6u << 20);
    pair_send_pattern(p, &p->server, s, 3, size, true);
    pair_send_pattern(p, &p->server, s, 7, size / 2, true);
    pair_send_pattern(p, &p->server, s, 1, size / 3, true);
    want_stream w3 = {&p->client, 3}, w7 = {&p->client, 7}, w1 = {&p->client, 1};
    CHECK(pair_run_until(p, fin_on, &w3, 60000000));
    CHECK(pair_run_until(p, fin_on, &w7, 60000000));
    CHECK(pair_run_until(p, fin_on, &w1, 60000000));
    CHECK(exact(&p->client, c, 3, size));
    CHECK(exact(&p->client, c, 7, size / 2));
    CHECK(exact(&p->client, c, 1, size / 3));
    /* the client answers on the server's bidi stream 1 */
    pair_send_pattern(p, &p->client, c, 1, 1000, true);
    want_stream back = {&p->server, 1};
    CHECK(pair_run_until(p, fin_on, &back, 10000000));
    CHECK(exact(&p->server, s, 1, 1000));
    pair_free(p);
}

static void short_idle(coquic_endpoint_config_t *c) { c->transport.max_idle_timeout = 2000; }
static bool never(pair *p, void *ctx) { return false; }

/* Traffic keeps a connection with a 2 s idle timeout alive for 10 s; silence then ends it. */
TEST(stress_traffic_defers_the_idle_timeout) {
    pair_options o = {.client_config = short_idle, .server_config = short_idle};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    for (uint64_t i = 0; i < 10; i++) { /* one small message per virtual second */
        pair_send_pattern(p, &p->client, c, 4 * i, 100, true);
        pair_run_until(p, never, NULL, 1000000);
    }
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 1);
    CHECK(pair_run_until(p, pred_no_connections, NULL, 10000000));
    CHECK_EQ(p->client.closes[0].source, COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT);
    pair_free(p);
}

/* Calls with a time earlier than one already seen are tolerated (the clock is clamped). */
TEST(stress_clock_going_backwards_is_harmless) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_result_t *r;
    CHECK_EQ(coquic_endpoint_timer_expired(p->client.ep, 0, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    CHECK_EQ(coquic_endpoint_timer_expired(p->server.ep, p->now / 2, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    uint8_t b[10] = {0};
    coquic_send_stream_data_t d = {sizeof d, 0, {b, sizeof b}, 1, 0};
    pattern_fill(b, sizeof b, 0, 0);
    CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &d, 1, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    want_stream w = {&p->server, 0};
    CHECK(pair_run_until(p, fin_on, &w, 10000000));
    CHECK(exact(&p->server, side_accepted(&p->server), 0, sizeof b));
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    /* a timer fired long before its time does nothing harmful either */
    CHECK_EQ(coquic_endpoint_timer_expired(p->client.ep, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 1);
    pair_free(p);
}

/* next_wakeup from the endpoint query, the result and the by-pointer variants agree. */
TEST(stress_next_wakeup_views_agree) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 100000, false);
    for (int i = 0; i < 200 && pair_step(p); i++) {
        coquic_result_t *r;
        CHECK_EQ(coquic_endpoint_timer_expired(p->client.ep, p->now, &r), COQUIC_STATUS_OK);
        coquic_optional_time_us_t a = coquic_result_next_wakeup(r);
        coquic_optional_time_us_t b = coquic_endpoint_next_wakeup(p->client.ep);
        coquic_time_us_t ta = 0, tb = 0;
        uint8_t ha = coquic_x_result_next_wakeup(r, &ta), hb = coquic_x_endpoint_next_wakeup(p->client.ep, &tb);
        pair_absorb(p, &p->client, r);
        CHECK_EQ(a.has_value, b.has_value);
        CHECK_EQ(a.has_value, ha);
        CHECK_EQ(b.has_value, hb);
        if (a.has_value) {
            CHECK_EQ(a.value, b.value);
            CHECK_EQ(a.value, ta);
            CHECK_EQ(b.value, tb);
        }
    }
    pair_free(p);
}
