/* DPLPMTUD probes marked on SEND_DATAGRAM effects, and what update_path_mtu takes. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

#define LIMIT_US 30000000

static void pmtud_1452(coquic_endpoint_config_t *c) {
    c->transport.pmtud_enabled = 1;
    c->transport.pmtud_max_datagram_size = 1452; /* max_outbound_datagram_size stays 1200: shaping on */
}

typedef struct sent_log {
    size_t len[4096];
    bool probe[4096];
    size_t count;
} sent_log;

static void log_server_sends(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    sent_log *l = ctx;
    if (from != &p->server || l->count == 4096) return;
    l->len[l->count] = len;
    l->probe[l->count++] = p->tap_probe;
}

static bool client_fin(pair *p, void *ctx) {
    stream_record *r = side_stream(&p->client, *(coquic_connection_handle_t *)ctx, 1);
    return r->fin;
}

/* ngtcp2 1.11's default probe sizes (lib/ngtcp2_pmtud.c), at most 1452 here */
static bool is_probe_size(size_t len) { return len == 1406 || len == 1342 || len == 1232 || len == 1444; }

TEST(pmtud_probes_are_marked_and_nothing_else_is) {
    pair_options o = {.client_config = pmtud_1452, .server_config = pmtud_1452};
    pair *p = pair_new(&o);
    sent_log *l = calloc(1, sizeof *l);
    p->tap = log_server_sends;
    p->tap_ctx = l;
    coquic_connection_handle_t c = pair_connect(p);
    bool up = pair_run_until(p, pred_confirmed, &c, LIMIT_US);
    coquic_connection_handle_t s = side_accepted(&p->server);
    pair_send_pattern(p, &p->server, s, 1, 400000, true);
    bool done = up && pair_run_until(p, client_fin, &c, LIMIT_US);
    stream_record *r = side_stream(&p->client, c, 1);
    bool exact = r->final_size == 400000 && r->mismatches == 0 && !r->offset_error;
    size_t probes = 0, big_unmarked = 0, bad_probe = 0, unannounced = 0, largest_probe = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->probe[i]) {
            probes++;
            if (!is_probe_size(l->len[i])) bad_probe++;
            if (l->len[i] > largest_probe) largest_probe = l->len[i];
        } else if (l->len[i] > 1200) {
            big_unmarked++;
            /* the path grows only through an acknowledged probe: one at least this big came first */
            if (l->len[i] > largest_probe) unannounced++;
        }
    }
    size_t maxlen = 0;
    for (size_t i = 0; i < l->count; i++) if (l->len[i] > maxlen) maxlen = l->len[i];
    test_note("%zu sent, %zu probes, %zu large unmarked, largest %zu", l->count, probes, big_unmarked, maxlen);
    free(l);
    pair_free(p);
    CHECK(done);
    CHECK(exact);
    CHECK(probes > 0);
    CHECK_EQ(bad_probe, 0);
    CHECK_EQ(unannounced, 0);
    CHECK(big_unmarked > 0); /* probes were acknowledged and the path's packets grew */
}

static void pmtud_1452_unshaped(coquic_endpoint_config_t *c) {
    pmtud_1452(c);
    c->max_outbound_datagram_size = 1452; /* full-size packets from the start: no shaping */
}

TEST(pmtud_without_shaping_marks_nothing) {
    /* without shaping ngtcp2's path maximum is the ceiling, so no datagram is above it: the
     * engine cannot tell probes from other packets and marks none (README says so) */
    pair_options o = {.client_config = pmtud_1452_unshaped, .server_config = pmtud_1452_unshaped};
    pair *p = pair_new(&o);
    sent_log *l = calloc(1, sizeof *l);
    p->tap = log_server_sends;
    p->tap_ctx = l;
    coquic_connection_handle_t c = pair_connect(p);
    bool up = pair_run_until(p, pred_confirmed, &c, LIMIT_US);
    pair_send_pattern(p, &p->server, side_accepted(&p->server), 1, 100000, true);
    bool done = up && pair_run_until(p, client_fin, &c, LIMIT_US);
    size_t probes = 0, big = 0;
    for (size_t i = 0; i < l->count; i++) probes += l->probe[i], big += l->len[i] > 1200;
    free(l);
    pair_free(p);
    CHECK(done);
    CHECK(big > 0);
    CHECK_EQ(probes, 0);
}

static coquic_local_error_code_t mtu_report(pair *p, uint64_t route, size_t size, bool *had_error) {
    coquic_path_mtu_update_t u;
    memset(&u, 0, sizeof u);
    u.size = sizeof u;
    u.route_handle.has_value = 1;
    u.route_handle.value = route;
    u.max_udp_payload_size = size;
    coquic_result_t *r = NULL;
    coquic_status_t st = coquic_endpoint_update_path_mtu(p->client.ep, &u, p->now, &r);
    coquic_local_error_t le;
    *had_error = st == COQUIC_STATUS_OK && coquic_result_local_error(r, &le) == COQUIC_STATUS_OK;
    coquic_local_error_code_t code = *had_error ? le.code : 0;
    if (st == COQUIC_STATUS_OK) pair_absorb(p, &p->client, r);
    return code;
}

/* a client datagram above 1200 that is not a probe means its path maximum rose */
static bool client_path_grew(pair *p, void *ctx) { return *(bool *)ctx; }

static void note_big_client_send(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    if (from == &p->client && len > 1200 && !p->tap_probe) *(bool *)ctx = true;
}

TEST(update_path_mtu_accepts_probe_failures_and_refuses_reductions) {
    pair_options o = {.client_config = pmtud_1452, .server_config = pmtud_1452};
    pair *p = pair_new(&o);
    bool grew = false;
    p->tap = note_big_client_send;
    p->tap_ctx = &grew;
    coquic_connection_handle_t c = pair_connect(p);
    bool up = pair_run_until(p, pred_confirmed, &c, LIMIT_US);
    bool e1, e2, e3, e4, e5;
    /* before any probe is acknowledged the path carries 1200: a failed 1406-byte probe */
    mtu_report(p, 1, 1300, &e1);
    /* below QUIC's minimum: ignored */
    mtu_report(p, 1, 1000, &e2);
    /* a route no connection uses: nothing to do */
    mtu_report(p, 7, 1250, &e3);
    /* the client sends enough for its probes to go out and be acknowledged */
    pair_send_pattern(p, &p->client, c, 0, 300000, true);
    bool big = pair_run_until(p, client_path_grew, &grew, LIMIT_US);
    coquic_local_error_code_t refused = mtu_report(p, 1, 1250, &e4); /* below the validated size */
    mtu_report(p, 1, 1500, &e5);                                      /* above it: a probe failing */
    pair_free(p);
    CHECK(up);
    CHECK(!e1);
    CHECK(!e2);
    CHECK(!e3);
    CHECK(big);
    CHECK(e4);
    CHECK_EQ(refused, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION);
    CHECK(!e5);
}
