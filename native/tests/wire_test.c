/* What goes on the wire: datagram sizes, Initial padding, the anti-amplification limit,
 * Retry tokens bound to the client's address. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

typedef struct size_log {
    size_t max_client, max_server, client_initial_min, count;
    size_t probes;
} size_log;

static void log_sizes(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    size_log *l = ctx;
    l->count++;
    if (from == &p->client) {
        if (len > l->max_client) l->max_client = len;
        /* long header, type Initial (v1: bits 0x30 == 0) */
        if (len && (b[0] & 0x80) && (b[0] & 0x30) == 0 && len < l->client_initial_min) l->client_initial_min = len;
    } else if (len > l->max_server) {
        l->max_server = len;
    }
}

static bool server_fin0(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 0)->fin;
}

static size_t g_max_out;
static void fixed_size(coquic_endpoint_config_t *c) {
    c->transport.pmtud_enabled = 0;
    c->max_outbound_datagram_size = g_max_out;
}

/* Without PMTUD every datagram respects max_outbound_datagram_size, bulk data uses most of it,
 * and client datagrams carrying an Initial are padded to at least 1200 bytes (RFC 9000 §14.1). */
static void check_sizes(size_t max_out) {
    g_max_out = max_out;
    pair_options o = {.client_config = fixed_size, .server_config = fixed_size};
    pair *p = pair_new(&o);
    CHECK(p != NULL);
    size_log l = {0, 0, SIZE_MAX, 0, 0};
    p->tap = log_sizes;
    p->tap_ctx = &l;
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 500000, true);
    CHECK(pair_run_until(p, server_fin0, NULL, 20000000));
    test_note("max_out %zu: client max %zu, server max %zu, smallest client Initial %zu", max_out, l.max_client,
              l.max_server, l.client_initial_min);
    CHECK(l.max_client <= max_out);
    CHECK(l.max_server <= max_out);
    CHECK(l.max_client >= max_out - 60); /* full-size packets for bulk data */
    CHECK(l.client_initial_min >= 1200);
    pair_free(p);
}

TEST(wire_datagram_sizes_1200) { check_sizes(1200); }
TEST(wire_datagram_sizes_1400) { check_sizes(1400); }

/* With PMTUD on (the default) nothing exceeds the IPv4 ceiling of §1.5 (1472) on this path. */
TEST(wire_pmtud_stays_below_the_ipv4_ceiling) {
    pair *p = pair_new(NULL);
    size_log l = {0, 0, SIZE_MAX, 0, 0};
    p->tap = log_sizes;
    p->tap_ctx = &l;
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 2000000, true);
    CHECK(pair_run_until(p, server_fin0, NULL, 20000000));
    test_note("client max %zu, server max %zu", l.max_client, l.max_server);
    CHECK(l.max_client <= 1472);
    CHECK(l.max_server <= 1472);
    CHECK(l.client_initial_min >= 1200);
    pair_free(p);
}

/* Anti-amplification (RFC 9000 §8.1): a server that got one 1200-byte Initial and never hears
 * from the client again sends at most 3600 bytes, however long its timers run. */
TEST(wire_server_respects_the_amplification_limit) {
    pair *p = pair_new(NULL);
    p->capture = true;
    pair_connect(p);
    CHECK(p->captured_count >= 1);
    size_t len = p->captured_lens[0];
    uint8_t *initial = malloc(len);
    memcpy(initial, p->captured[0], len);
    pair_free(p);

    p = pair_new(NULL);
    pair_inject(p, &p->server, initial, len);
    free(initial);
    /* run the server alone for 20 s: drain its output into nowhere */
    uint64_t sent = 0;
    for (int i = 0; i < 1000; i++) {
        coquic_time_us_t t;
        if (!coquic_x_endpoint_next_wakeup(p->server.ep, &t)) break;
        if (t > 20000000) break;
        if (t > p->now) p->now = t;
        coquic_result_t *r;
        CHECK_EQ(coquic_endpoint_timer_expired(p->server.ep, p->now, &r), COQUIC_STATUS_OK);
        pair_absorb(p, &p->server, r);
    }
    sent = p->server.bytes_sent;
    test_note("received %zu, sent %llu in %zu datagrams", len, (unsigned long long)sent, (size_t)p->server.datagrams_sent);
    CHECK(sent > 0);
    CHECK(sent <= 3 * len);
    pair_free(p);
}

static void retry_on(coquic_endpoint_config_t *c) { c->retry_enabled = 1; }

typedef struct retry_spy {
    bool saw_retry;
    bool moved;
} retry_spy;

/* As soon as the server has sent its Retry, the client "moves" to another address: the token
 * is bound to 127.0.0.1:50000, so the Initial that carries it from 127.0.0.2:50000 must not be
 * accepted. */
static void move_after_retry(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    retry_spy *spy = ctx;
    if (from == &p->server && len && (b[0] & 0x80) && (b[0] & 0x30) == 0x30) { /* v1 Retry */
        spy->saw_retry = true;
        p->client_address[4] = 2; /* 127.0.0.2 */
        spy->moved = true;
    }
}

TEST(wire_retry_token_is_bound_to_the_address) {
    pair_options o = {.server_config = retry_on};
    pair *p = pair_new(&o);
    retry_spy spy = {false, false};
    p->tap = move_after_retry;
    p->tap_ctx = &spy;
    coquic_connection_handle_t c = pair_connect(p);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 5000000);
    size_t accepted = side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED);
    pair_free(p);
    CHECK(spy.saw_retry);
    CHECK(!confirmed);
    CHECK_EQ(accepted, 0);
}

/* Control: the same flow without moving completes (Retry + token from the same address). */
static void watch_retry(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    retry_spy *spy = ctx;
    if (from == &p->server && len && (b[0] & 0x80) && (b[0] & 0x30) == 0x30) spy->saw_retry = true;
}

TEST(wire_retry_then_connect_from_the_same_address) {
    pair_options o = {.server_config = retry_on};
    pair *p = pair_new(&o);
    retry_spy spy = {false, false};
    p->tap = watch_retry;
    p->tap_ctx = &spy;
    coquic_connection_handle_t c = pair_connect(p);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 5000000);
    size_t accepted = side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED);
    pair_free(p);
    CHECK(spy.saw_retry);
    CHECK(confirmed);
    CHECK_EQ(accepted, 1);
}

/* The same two flows with the datagrams fed through the batched input that carries
 * identities, and alternating with single input (the first Initial one way, the retried one
 * the other): the token binds the peer's address whichever way a datagram arrives. */
static bool retry_flow(pair_server_input input, bool move, size_t *accepted, bool *saw_retry) {
    pair_options o = {.server_config = retry_on};
    pair *p = pair_new(&o);
    p->server_input = input;
    retry_spy spy = {false, false};
    p->tap = move ? move_after_retry : watch_retry;
    p->tap_ctx = &spy;
    coquic_connection_handle_t c = pair_connect(p);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 5000000);
    *accepted = side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED);
    *saw_retry = spy.saw_retry;
    pair_free(p);
    return confirmed;
}

TEST(wire_retry_through_batched_and_mixed_input) {
    static const pair_server_input inputs[] = {PAIR_INPUT_BATCH_IDENTIFIED, PAIR_INPUT_ALTERNATE};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t accepted;
        bool saw_retry;
        CHECK(retry_flow(inputs[i], false, &accepted, &saw_retry));
        CHECK(saw_retry);
        CHECK_EQ(accepted, 1);
        CHECK(!retry_flow(inputs[i], true, &accepted, &saw_retry)); /* moved: refused */
        CHECK(saw_retry);
        CHECK_EQ(accepted, 0);
    }
}

TEST(wire_batched_identities_need_an_array) {
    pair *p = pair_new(NULL);
    uint8_t byte = 0xc0;
    uint32_t length = 1;
    uint64_t route = 1;
    uint8_t identity_length = 7;
    coquic_result_t *r = NULL;
    CHECK_EQ(coquic_x_endpoint_input_datagrams_identified(p->server.ep, &byte, &length, &route, NULL, &identity_length, 1,
                                                          p->now, &r),
             COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    identity_length = 0; /* no identity: no array needed */
    CHECK_EQ(coquic_x_endpoint_input_datagrams_identified(p->server.ep, &byte, &length, &route, NULL, &identity_length, 1,
                                                          p->now, &r),
             COQUIC_STATUS_OK);
    coquic_result_destroy(r);
    CHECK_EQ(coquic_x_endpoint_input_datagrams_identified(p->server.ep, &byte, &length, &route, NULL, NULL, 1, p->now, &r),
             COQUIC_STATUS_OK);
    coquic_result_destroy(r);
    pair_free(p);
}

/* Stateless resets (RFC 9000 §10.3): an endpoint answers a short-header packet for an unknown
 * connection with at most one reset, always strictly smaller than the trigger (no loops) and
 * at least 21 bytes; tiny packets get no answer. */
TEST(wire_stateless_reset_sizes) {
    pair *p = pair_new(NULL);
    uint8_t buf[1500];
    size_t answered = 0, bad = 0;
    for (size_t len = 1; len <= 1500; len += (len < 64 ? 1 : 37)) {
        for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)pair_random(p);
        buf[0] = (uint8_t)(0x40 | (buf[0] & 0x3f)); /* short header, fixed bit */
        coquic_inbound_datagram_t in;
        memset(&in, 0, sizeof in);
        in.size = sizeof in;
        in.bytes = (coquic_bytes_t){buf, len};
        in.route_handle = (coquic_optional_route_handle_t){1, 1};
        coquic_result_t *r;
        CHECK_EQ(coquic_endpoint_input_datagram(p->server.ep, &in, p->now, &r), COQUIC_STATUS_OK);
        size_t n = 0;
        const coquic_effect_t *e = coquic_x_result_effects(r, &n);
        if (n > 1) bad++;
        for (size_t i = 0; i < n; i++) {
            if (e[i].kind != COQUIC_EFFECT_SEND_DATAGRAM) { bad++; continue; }
            size_t out = e[i].as.send_datagram.bytes.length;
            const uint8_t *o = e[i].as.send_datagram.bytes.data;
            answered++;
            if (out >= len || out < 21 || (o[0] & 0xc0) != 0x40) {
                test_note("input %zu bytes -> reset of %zu bytes, first byte %02x", len, out, o[0]);
                bad++;
            }
        }
        coquic_result_destroy(r);
        p->now += 1000;
    }
    CHECK_EQ(bad, 0);
    CHECK(answered > 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    pair_free(p);
}

/* Two endpoints that know nothing of each other's CIDs bounce resets back and forth: since
 * each is smaller than its trigger, the exchange dies out quickly. */
TEST(wire_stateless_reset_ping_pong_terminates) {
    pair *p = pair_new(NULL);
    uint8_t buf[1200];
    for (size_t j = 0; j < sizeof buf; j++) buf[j] = (uint8_t)pair_random(p);
    buf[0] = 0x41;
    pair_inject(p, &p->server, buf, sizeof buf);
    size_t steps = 0;
    while (steps < 10000 && pair_step(p)) steps++;
    test_note("%zu steps, %llu + %llu datagrams", steps, (unsigned long long)p->client.datagrams_sent,
              (unsigned long long)p->server.datagrams_sent);
    CHECK(steps < 10000);
    CHECK(p->client.datagrams_sent + p->server.datagrams_sent < 1200);
    CHECK(pair_fault(p) == NULL);
    pair_free(p);
}
