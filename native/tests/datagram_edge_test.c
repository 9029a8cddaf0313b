/* DATAGRAM edge cases: empty, the largest that fits a packet, one that does not. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static bool server_has_n(pair *p, void *ctx) { return p->server.datagram_count >= *(size_t *)ctx; }

static coquic_local_error_t send_dgram(pair *p, coquic_connection_handle_t c, const uint8_t *b, size_t len, bool *had) {
    coquic_send_datagram_data_t d = {sizeof d, {b, len}, 0};
    coquic_result_t *r = NULL;
    coquic_local_error_t le;
    memset(&le, 0, sizeof le);
    *had = false;
    if (coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r) != COQUIC_STATUS_OK) return le;
    *had = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK;
    pair_absorb(p, &p->client, r);
    return le;
}

/* A zero-length DATAGRAM is legal (RFC 9221) and arrives as an empty datagram. */
TEST(datagram_empty) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    bool had;
    send_dgram(p, c, (const uint8_t *)"", 0, &had);
    CHECK(!had);
    size_t want = 1;
    CHECK(pair_run_until(p, server_has_n, &want, 10000000));
    CHECK_EQ(p->server.datagram_lens[0], 0);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

TEST(datagram_sizes_at_the_edges) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    static uint8_t buf[70000];
    pattern_fill(buf, sizeof buf, 0, 9);
    bool had;
    size_t want;
    /* find the largest size that is accepted without a local error (<= one packet) */
    size_t lo = 1, hi = 2000; /* lo accepted, hi refused */
    coquic_local_error_t le = send_dgram(p, c, buf, hi, &had);
    CHECK(had);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE);
    CHECK_EQ(le.connection.value, c);
    size_t sent_ok = 0;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        send_dgram(p, c, buf, mid, &had);
        if (had) hi = mid;
        else {
            lo = mid;
            sent_ok++;
        }
    }
    test_note("largest accepted DATAGRAM payload: %zu bytes", lo);
    CHECK(lo >= 1000);  /* a 1200-byte packet minus headers and AEAD tag */
    CHECK(lo <= 1472);
    want = sent_ok;
    CHECK(pair_run_until(p, server_has_n, &want, 10000000));
    /* accepted datagrams arrive complete (the last one is the largest, lo bytes) */
    bool exact = true;
    for (size_t i = 0; i < p->server.datagram_count; i++)
        exact &= memcmp(p->server.datagrams[i], buf, p->server.datagram_lens[i]) == 0;
    CHECK(exact);
    size_t largest = 0;
    for (size_t i = 0; i < p->server.datagram_count; i++)
        if (p->server.datagram_lens[i] > largest) largest = p->server.datagram_lens[i];
    CHECK_EQ(largest, lo);
    /* the 70000-byte one of the brief */
    le = send_dgram(p, c, buf, sizeof buf, &had);
    CHECK(had);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

static void small_datagram_frames(coquic_endpoint_config_t *c) { c->transport.max_datagram_frame_size = 200; }

/* The peer's max_datagram_frame_size bounds what we may send. */
TEST(datagram_peer_frame_limit_is_honoured) {
    pair_options o = {.server_config = small_datagram_frames};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    uint8_t buf[400];
    pattern_fill(buf, sizeof buf, 0, 1);
    bool had;
    send_dgram(p, c, buf, 150, &had);
    CHECK(!had);
    coquic_local_error_t le = send_dgram(p, c, buf, 400, &had);
    CHECK(had);
    CHECK_EQ(le.code, COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE);
    size_t want = 1;
    CHECK(pair_run_until(p, server_has_n, &want, 10000000));
    CHECK_EQ(p->server.datagram_lens[0], 150);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

/* DATAGRAMs before the handshake completes are either queued or refused, never fatal. */
TEST(datagram_before_handshake) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    uint8_t b[50] = {0};
    bool had;
    coquic_local_error_t le = send_dgram(p, c, b, sizeof b, &had);
    test_note("local error %d code %u", had, le.code);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}
