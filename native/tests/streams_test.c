/* Many streams, stream limits, RESET_STREAM and STOP_SENDING over a pair. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static size_t payload_len(size_t i) { return 50 + i % 200; }

static bool all_echoed(pair *p, void *ctx) {
    size_t n = *(size_t *)ctx, done = 0;
    for (size_t i = 0; i < p->client.stream_count; i++) done += p->client.streams[i].fin;
    return done == n;
}

/* Echoes every stream the server has finished receiving, once. */
static void echo_finished(pair *p, bool *echoed, size_t n) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    for (size_t i = 0; s && i < n; i++) {
        if (echoed[i]) continue;
        stream_record *r = side_stream(&p->server, s, 4 * i);
        if (!r->fin) continue;
        echoed[i] = true;
        pair_send(p, &p->server, s, 4 * i, r->data, (size_t)r->next_offset, true);
    }
}

/* The client opens n bidi streams (0, 4, 8, ...) with a payload + FIN each, all at once; the
 * server echoes each back on the same stream; everything must come back byte-exact. */
static void many_streams(size_t n, void (*server_config)(coquic_endpoint_config_t *)) {
    pair_options o = {.server_config = server_config};
    pair *p = pair_new(&o);
    CHECK(p != NULL);
    coquic_connection_handle_t c = pair_connect(p);
    for (size_t i = 0; i < n; i++) pair_send_pattern(p, &p->client, c, 4 * i, payload_len(i), true);
    bool sends_ok = p->client.local_error_count == 0; /* sends beyond MAX_STREAMS are queued, not refused */
    bool *echoed = calloc(n, sizeof *echoed);
    uint64_t deadline = p->now + 60000000;
    for (size_t steps = 0; !all_echoed(p, &n) && steps < 5000000 && p->now < deadline; steps++) {
        echo_finished(p, echoed, n);
        if (!pair_step(p)) break;
    }
    bool done = all_echoed(p, &n);
    coquic_connection_handle_t s = side_accepted(&p->server);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        stream_record *sr = side_stream(&p->server, s, 4 * i), *cr = side_stream(&p->client, c, 4 * i);
        bad += !(sr->fin && sr->final_size == payload_len(i) && sr->mismatches == 0 && !sr->offset_error &&
                 cr->fin && cr->final_size == payload_len(i) && cr->mismatches == 0 && !cr->offset_error);
    }
    /* no stream the client did not open shows up anywhere */
    bool no_strays = p->server.stream_count == n && p->client.stream_count == n;
    test_note("fault: %s; client local errors %zu", pair_fault(p) ? pair_fault(p) : "none", p->client.local_error_count);
    bool no_errors = p->client.local_error_count == 0 && p->server.local_error_count == 0 && p->client.close_count == 0;
    free(echoed);
    pair_free(p);
    CHECK(sends_ok);
    CHECK(done);
    CHECK_EQ(bad, 0);
    CHECK(no_strays);
    CHECK(no_errors);
}

/* The pair's server allows 1100 concurrent bidi streams: all 1000 fit at once. */
TEST(streams_1000_on_one_connection) { many_streams(1000, NULL); }

static void server_100_streams(coquic_endpoint_config_t *c) { c->transport.initial_max_streams_bidi = 100; }

/* The server allows 100 concurrent streams: the client's sends beyond that wait for
 * MAX_STREAMS, which arrives as the server finishes (echoes) earlier streams. */
TEST(streams_1000_on_one_connection_with_stream_limit) { many_streams(1000, server_100_streams); }

/* ---- RESET_STREAM / STOP_SENDING --------------------------------------------------------- */

static bool server_has(pair *p, void *ctx) {
    return side_find(&p->server, *(coquic_effect_kind_t *)ctx, UINT64_MAX, 0) != NULL;
}
static bool client_has(pair *p, void *ctx) {
    return side_find(&p->client, *(coquic_effect_kind_t *)ctx, UINT64_MAX, 0) != NULL;
}

typedef struct stream_at {
    uint64_t stream, bytes;
} stream_at;

static bool server_stream_has(pair *p, void *ctx) {
    stream_at *w = ctx;
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, w->stream)->next_offset >= w->bytes;
}

TEST(reset_and_stop_sending_reach_peer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    pair_send_pattern(p, &p->client, c, 0, 1000, false);
    coquic_reset_stream_t rs = {sizeof rs, 0, 77};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_reset_stream(p->client.ep, c, &rs, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->client, r);
    coquic_effect_kind_t k = COQUIC_EFFECT_PEER_RESET_STREAM;
    bool reset_seen = pair_run_until(p, server_has, &k, 10000000);
    const event_record *e = side_find(&p->server, k, UINT64_MAX, 0);
    /* reset before the handshake finished: whatever was sent counts, at most 1000 */
    bool reset_ok = e && e->conn == side_accepted(&p->server) && e->a == 0 && e->b == 77 && e->c <= 1000;

    stream_at w = {4, 10};
    pair_send_pattern(p, &p->client, c, 4, 10, false);
    CHECK(pair_run_until(p, server_stream_has, &w, 10000000));
    coquic_stop_sending_t ss = {sizeof ss, 4, 99};
    CHECK_EQ(coquic_connection_stop_sending(p->server.ep, side_accepted(&p->server), &ss, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->server, r);
    k = COQUIC_EFFECT_PEER_STOP_SENDING;
    bool stop_seen = pair_run_until(p, client_has, &k, 10000000);
    e = side_find(&p->client, k, UINT64_MAX, 0);
    bool stop_ok = e && e->conn == c && e->a == 4 && e->b == 99;
    /* after the peer's STOP_SENDING our send side is closed */
    uint8_t more = 1;
    coquic_send_stream_data_t sd = {sizeof sd, 4, {&more, 1}, 0, 0};
    coquic_connection_send_stream(p->client.ep, c, &sd, p->now, &r);
    coquic_local_error_t le = {0};
    bool closed = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED &&
                  le.stream_id.has_value && le.stream_id.value == 4;
    coquic_result_destroy(r);
    pair_free(p);
    CHECK(reset_seen);
    CHECK(reset_ok);
    CHECK(stop_seen);
    CHECK(stop_ok);
    CHECK(closed);
}

/* Data fully delivered, then RESET_STREAM: the peer sees the code and the exact final size,
 * and the connection keeps working for other streams. */
TEST(reset_after_delivery_reports_exact_final_size) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    stream_at w = {8, 12345};
    pair_send_pattern(p, &p->client, c, 8, 12345, false);
    CHECK(pair_run_until(p, server_stream_has, &w, 10000000));
    coquic_result_t *r;
    CHECK_EQ(coquic_quic_stream_reset(p->client.ep, c, 8, 0xabcdef, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->client, r);
    coquic_effect_kind_t k = COQUIC_EFFECT_PEER_RESET_STREAM;
    CHECK(pair_run_until(p, server_has, &k, 10000000));
    const event_record *e = side_find(&p->server, k, UINT64_MAX, 0);
    CHECK(e != NULL);
    CHECK_EQ(e->a, 8);
    CHECK_EQ(e->b, 0xabcdef);
    CHECK_EQ(e->c, 12345);
    CHECK_EQ(side_count(&p->server, k, 8), 1); /* reported once */
    /* our own send side is gone */
    uint8_t byte = 1;
    coquic_send_stream_data_t sd = {sizeof sd, 8, {&byte, 1}, 0, 0};
    CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &sd, p->now, &r), COQUIC_STATUS_OK);
    coquic_local_error_t le;
    CHECK(coquic_result_local_error(r, &le) == COQUIC_STATUS_OK && le.code == COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED);
    coquic_result_destroy(r);
    /* the connection still carries other streams */
    stream_at w2 = {12, 5000};
    pair_send_pattern(p, &p->client, c, 12, 5000, true);
    CHECK(pair_run_until(p, server_stream_has, &w2, 10000000));
    CHECK_EQ(side_stream(&p->server, side_accepted(&p->server), 12)->mismatches, 0);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

/* The server resets its answer on the client's stream with the scalar helper; STOP_SENDING
 * through coquic_connection_advance. */
TEST(server_reset_and_advance_stop_sending) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    stream_at w = {0, 1};
    pair_send(p, &p->client, c, 0, (const uint8_t *)"?", 1, false);
    CHECK(pair_run_until(p, server_stream_has, &w, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    pair_send_pattern(p, &p->server, s, 0, 3000, false);
    coquic_result_t *r;
    CHECK_EQ(coquic_quic_stream_reset(p->server.ep, s, 0, 5, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    coquic_effect_kind_t k = COQUIC_EFFECT_PEER_RESET_STREAM;
    CHECK(pair_run_until(p, client_has, &k, 10000000));
    const event_record *e = side_find(&p->client, k, UINT64_MAX, 0);
    CHECK(e && e->conn == c && e->a == 0 && e->b == 5 && e->c == 3000);
    /* the client still may send on stream 0; the server asks it to stop via advance() */
    coquic_connection_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_STOP_SENDING;
    in.as.stop_sending = (coquic_stop_sending_t){sizeof(coquic_stop_sending_t), 0, 6};
    CHECK_EQ(coquic_connection_advance(p->server.ep, s, &in, p->now, &r), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_result_has_local_error(r), 0);
    pair_absorb(p, &p->server, r);
    k = COQUIC_EFFECT_PEER_STOP_SENDING;
    CHECK(pair_run_until(p, client_has, &k, 10000000));
    e = side_find(&p->client, k, UINT64_MAX, 0);
    CHECK(e && e->conn == c && e->a == 0 && e->b == 6);
    pair_free(p);
}

/* Minimal repro for a FIN overtaking queued data: 40 separate 25-byte writes queued while the
 * handshake is still running, then a FIN. The peer must get all 1000 bytes, final size 1000. */
TEST(streams_fin_after_many_queued_chunks) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    uint8_t buf[1000];
    pattern_fill(buf, sizeof buf, 0, 0);
    for (size_t i = 0; i < 40; i++) pair_send(p, &p->client, c, 0, buf + 25 * i, 25, false);
    pair_send(p, &p->client, c, 0, NULL, 0, true);
    stream_at w = {0, 1};
    pair_run_until(p, server_stream_has, &w, 10000000);
    coquic_connection_handle_t s = side_accepted(&p->server);
    pair_step(p);
    for (int i = 0; i < 10000 && !(s && side_stream(&p->server, s, 0)->fin) && pair_step(p); i++) {
    }
    stream_record *r = side_stream(&p->server, s, 0);
    test_note("server got final size %llu (%llu bytes)", (unsigned long long)r->final_size,
              (unsigned long long)r->next_offset);
    CHECK(r->fin);
    CHECK_EQ(r->final_size, 1000);
    CHECK_EQ(r->next_offset, 1000);
    CHECK_EQ(r->mismatches, 0);
    CHECK_EQ(p->client.local_error_count, 0);
    pair_free(p);
}

/* ---- flow control and uni stream limits ----------------------------------------------------- */

static void tiny_windows(coquic_endpoint_config_t *c) {
    c->transport.initial_max_data = 64 * 1024;
    c->transport.initial_max_stream_data_bidi_local = 16 * 1024;
    c->transport.initial_max_stream_data_bidi_remote = 16 * 1024;
    c->transport.initial_max_stream_data_uni = 16 * 1024;
}

static bool server_fin(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, *(uint64_t *)ctx)->fin;
}

/* 16 KiB stream / 64 KiB connection windows on the receiver: a 4 MiB transfer (and a few
 * parallel streams) only completes if MAX_DATA / MAX_STREAM_DATA keep coming. */
TEST(streams_small_flow_control_windows) {
    pair_options o = {.server_config = tiny_windows};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    size_t size = g_quick ? (1u << 20) : (4u << 20);
    for (uint64_t id = 0; id < 16; id += 4) pair_send_pattern(p, &p->client, c, id, size, true);
    for (uint64_t id = 0; id < 16; id += 4) {
        CHECK(pair_run_until(p, server_fin, &id, 120000000));
        stream_record *r = side_stream(&p->server, side_accepted(&p->server), id);
        CHECK_EQ(r->final_size, size);
        CHECK_EQ(r->mismatches, 0);
        CHECK(!r->offset_error);
    }
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

static void server_5_uni(coquic_endpoint_config_t *c) { c->transport.initial_max_streams_uni = 5; }

/* 200 unidirectional streams against a peer that allows 5 at a time. */
TEST(streams_uni_limit_waits_for_credit) {
    pair_options o = {.server_config = server_5_uni};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    size_t n = g_quick ? 50 : 200;
    for (size_t i = 0; i < n; i++) pair_send_pattern(p, &p->client, c, 2 + 4 * i, 300 + i, true);
    CHECK_EQ(p->client.local_error_count, 0);
    uint64_t last = 2 + 4 * (n - 1);
    CHECK(pair_run_until(p, server_fin, &last, 60000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    for (size_t i = 0; i < n; i++) {
        stream_record *r = side_stream(&p->server, s, 2 + 4 * i);
        CHECK(r->fin);
        CHECK_EQ(r->final_size, 300 + i);
        CHECK_EQ(r->mismatches, 0);
    }
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

static bool server_reset_seen(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, *(uint64_t *)ctx)->reset;
}

/* RESET_STREAM while megabytes are in flight (and some lost): once the receiver reports the
 * reset, no more data for that stream is delivered, and the final size covers what was. */
TEST(streams_reset_with_data_in_flight) {
    pair_options o = {.loss = 0.02, .seed = 99};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 4u << 20, false);
    stream_at w = {0, 100000};
    CHECK(pair_run_until(p, server_stream_has, &w, 10000000));
    coquic_result_t *r;
    CHECK_EQ(coquic_quic_stream_reset(p->client.ep, c, 0, 42, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    uint64_t id = 0;
    CHECK(pair_run_until(p, server_reset_seen, &id, 10000000));
    pair_run_until(p, pred_no_connections, NULL, 2000000); /* let everything in flight land */
    stream_record *sr = side_stream(&p->server, side_accepted(&p->server), 0);
    test_note("delivered %llu, reset final size %llu", (unsigned long long)sr->next_offset,
              (unsigned long long)sr->reset_final_size);
    CHECK(!sr->data_after_reset);
    CHECK(!sr->offset_error);
    CHECK(sr->reset_final_size >= sr->next_offset);
    CHECK(sr->reset_final_size <= (4u << 20));
    CHECK_EQ(sr->mismatches, 0);
    CHECK_EQ(side_count(&p->server, COQUIC_EFFECT_PEER_RESET_STREAM, 0), 1);
    /* the connection is fine */
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

/* ngtcp2 1.11 has no callback for a peer's STOP_SENDING, so the engine re-scans decrypted
 * packets for the frames (ngtcp2_compat.c). A packet can carry hundreds of them: here the
 * server's first STOP_SENDING packets are lost, ngtcp2 retransmits the frames together, and
 * every stream must still get its PEER_STOP_SENDING (an old fixed table kept 32 per packet). */
typedef struct stops_wanted {
    coquic_connection_handle_t conn;
    size_t streams;
} stops_wanted;

static size_t stops_seen(const side *s) {
    size_t n = 0;
    while (side_find(s, COQUIC_EFFECT_PEER_STOP_SENDING, UINT64_MAX, n)) n++;
    return n;
}

static bool client_saw_every_stop(pair *p, void *ctx) { return stops_seen(&p->client) >= ((stops_wanted *)ctx)->streams; }

static bool server_has_every_stream(pair *p, void *ctx) {
    stops_wanted *w = ctx;
    coquic_connection_handle_t s = side_accepted(&p->server);
    if (!s) return false;
    for (size_t i = 0; i < w->streams; i++)
        if (side_stream(&p->server, s, 4 * i)->next_offset < 10) return false;
    return true;
}

TEST(many_stop_sending_frames_in_one_packet_all_reported) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    stops_wanted w = {c, 200};
    for (size_t i = 0; i < w.streams; i++) pair_send_pattern(p, &p->client, c, 4 * i, 10, false);
    CHECK(pair_run_until(p, server_has_every_stream, &w, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    for (size_t i = 0; i < w.streams; i++) {
        coquic_stop_sending_t ss = {sizeof ss, 4 * i, 1000 + i};
        coquic_result_t *r;
        CHECK_EQ(coquic_connection_stop_sending(p->server.ep, s, &ss, p->now, &r), COQUIC_STATUS_OK);
        CHECK_EQ(coquic_result_has_local_error(r), 0);
        coquic_result_destroy(r); /* its datagrams are lost: the frames come again, packed together */
    }
    CHECK(pair_run_until(p, client_saw_every_stop, &w, 30000000));
    for (size_t i = 0; i < w.streams; i++) {
        const event_record *e = side_event(&p->client, c, COQUIC_EFFECT_PEER_STOP_SENDING, 4 * i);
        CHECK(e != NULL);
        CHECK_EQ(e->b, 1000 + i);
    }
    CHECK_EQ(stops_seen(&p->client), w.streams); /* once each */
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}
