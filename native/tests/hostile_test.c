/* Reliability and abuse (issue 8): hostile links, anti-amplification, Initial floods,
 * stateless resets and certificate refusal, all in memory on the virtual clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "pair.h"
#include "test.h"

static bool server_stream0_at(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    if (!s) return false;
    stream_record *r = side_stream(&p->server, s, 0);
    return r->fin && r->next_offset >= *(uint64_t *)ctx;
}

/* ---- hostile links ---------------------------------------------------------------------- */

TEST(hostile_bulk_exact_under_loss_reorder_corruption) {
    pair_options o = {.loss = 0.10, .reorder = 0.20, .corrupt = 0.01, .seed = 8};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 60000000));
    uint64_t size = g_quick ? 4u << 20 : 64u << 20;
    /* sent in 1 MiB pieces so the sender never holds a second copy of the whole payload */
    uint8_t *buf = malloc(1u << 20);
    for (uint64_t off = 0; off < size; off += 1u << 20) {
        pattern_fill(buf, 1u << 20, off, 0);
        coquic_send_stream_data_t d = {sizeof d, 0, {buf, 1u << 20}, off + (1u << 20) >= size, 0};
        coquic_result_t *r = NULL;
        CHECK_EQ(coquic_connection_send_stream(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
        pair_absorb(p, &p->client, r);
    }
    free(buf);
    bool done = pair_run_until(p, server_stream0_at, &size, 4000000000ull);
    coquic_connection_handle_t s = side_accepted(&p->server);
    stream_record *r = side_stream(&p->server, s, 0);
    uint64_t got = r->next_offset, bad = r->mismatches;
    bool offset_error = r->offset_error;
    if (!done) fprintf(stderr, "bulk: %llu of %llu bytes\n", (unsigned long long)got, (unsigned long long)size);
    else
        fprintf(stderr, "  [figure] %llu MiB exact at 10%% loss/20%% reorder/1%% corrupt in %.1f s virtual\n",
                (unsigned long long)(size >> 20), (double)p->now / 1e6);
    pair_free(p);
    CHECK(done);
    CHECK_EQ(got, size);
    CHECK_EQ(bad, 0);
    CHECK(!offset_error);
}

static bool server_has_datagrams(pair *p, void *ctx) { return p->server.datagram_count >= *(size_t *)ctx; }
static bool never(pair *p, void *ctx) { return false; }

/* Datagram i carries its index in 4 bytes, then pattern bytes for index i. */
TEST(hostile_datagrams_never_corrupted_nor_duplicated) {
    pair_options o = {.loss = 0.10, .reorder = 0.20, .duplicate = 0.20, .corrupt = 0.05, .seed = 88};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 60000000));
    size_t n = g_quick ? 300 : 3000;
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[1000];
        size_t len = 8 + (i * 37) % 900;
        buf[0] = (uint8_t)(i >> 24), buf[1] = (uint8_t)(i >> 16), buf[2] = (uint8_t)(i >> 8), buf[3] = (uint8_t)i;
        buf[4] = (uint8_t)(len >> 8), buf[5] = (uint8_t)len, buf[6] = 0xd9, buf[7] = 0x5a;
        pattern_fill(buf + 8, len - 8, 8, i);
        coquic_send_datagram_data_t d = {sizeof d, {buf, len}, 0};
        coquic_result_t *r;
        CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
        pair_absorb(p, &p->client, r);
        if (i % 4 == 3) pair_run_until(p, never, NULL, 2000); /* let the link move */
    }
    pair_run_until(p, server_has_datagrams, &n, 2000000); /* then drain: lost ones never come */
    uint8_t *seen = calloc(n, 1);
    size_t corrupted = 0, duplicated = 0, received = p->server.datagram_count;
    for (size_t k = 0; k < received; k++) {
        const uint8_t *b = p->server.datagrams[k];
        size_t len = p->server.datagram_lens[k];
        size_t i = len >= 8 ? ((size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]) : n;
        bool ok = i < n && len == 8 + (i * 37) % 900 && b[4] == (uint8_t)(len >> 8) && b[5] == (uint8_t)len &&
                  b[6] == 0xd9 && b[7] == 0x5a;
        for (size_t j = 8; ok && j < len; j++) ok = b[j] == pattern_byte(j, i);
        if (!ok) {
            corrupted++;
            continue;
        }
        duplicated += seen[i];
        seen[i] = 1;
    }
    free(seen);
    fprintf(stderr, "  [figure] datagrams: %zu of %zu delivered, 0 corrupt expected (got %zu), 0 dup (got %zu)\n",
            received, n, corrupted, duplicated);
    pair_free(p);
    CHECK_EQ(corrupted, 0);
    CHECK_EQ(duplicated, 0);
    /* DATAGRAMs are unreliable: the link loses 10%, and the engine drops what congestion
     * control cannot send in time; still, a good part must arrive */
    CHECK(received > n / 4);
}

TEST(hostile_rate_limited_link_transfer_completes) {
    pair_options o = {.rate_bytes_per_s = 1000000, .delay_us = 20000, .loss = 0.01, .seed = 81};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 60000000));
    uint64_t size = g_quick ? 1u << 20 : 4u << 20;
    pair_send_pattern(p, &p->client, c, 0, (size_t)size, true);
    uint64_t start = p->now;
    bool done = pair_run_until(p, server_stream0_at, &size, 600000000ull);
    double secs = (double)(p->now - start) / 1e6;
    coquic_connection_handle_t s = side_accepted(&p->server);
    uint64_t bad = s ? side_stream(&p->server, s, 0)->mismatches : 1;
    if (done)
        fprintf(stderr, "  [figure] %llu MiB over a 1 MB/s link: %.2f s virtual (%.0f%% of the link)\n",
                (unsigned long long)(size >> 20), secs, 100.0 * (double)size / 1e6 / secs);
    pair_free(p);
    CHECK(done);
    CHECK_EQ(bad, 0);
    /* cannot beat the link, and should use a fair part of it */
    CHECK(secs >= (double)size / 1e6);
    CHECK(secs < 4.0 * (double)size / 1e6);
}

/* ---- limits and abuse -------------------------------------------------------------------- */

/* Runs an endpoint's timers alone until `until` (or no timer is left); returns bytes sent. */
static uint64_t run_timers(coquic_endpoint_t *ep, uint64_t *now, uint64_t until) {
    uint64_t sent = 0, t;
    while (coquic_x_endpoint_next_wakeup(ep, &t) && t <= until) {
        if (t > *now) *now = t;
        coquic_result_t *r = NULL;
        if (coquic_endpoint_timer_expired(ep, *now, &r) != COQUIC_STATUS_OK) abort();
        coquic_x_result_summary_t sum;
        coquic_x_result_summary(r, &sum);
        sent += sum.datagram_bytes;
        coquic_result_destroy(r);
    }
    if (until > *now) *now = until;
    return sent;
}

TEST(abuse_anti_amplification_limit_holds) {
    size_t len;
    uint8_t *initial = pair_client_initial(1, &len);
    pair *p = pair_new(NULL); /* only its server endpoint is used */
    uint64_t now = p->now;
    uint64_t sent = pair_feed_endpoint(p->server.ep, initial, len, 7, now);
    uint64_t first_flight = sent;
    sent += run_timers(p->server.ep, &now, now + 120000000ull); /* 2 minutes of retransmissions */
    size_t left = coquic_endpoint_connection_count(p->server.ep);
    fprintf(stderr, "  [figure] anti-amplification: received %zu B, sent %llu B (first flight %llu B), ratio %.2f\n",
            len, (unsigned long long)sent, (unsigned long long)first_flight, (double)sent / (double)len);
    pair_free(p);
    free(initial);
    CHECK(first_flight > 0);
    CHECK(sent <= 3 * len);
    CHECK_EQ(left, 0); /* the half-open connection is gone after its handshake timeout */
}

static void max_hundred(coquic_endpoint_config_t *c) { c->max_server_connections = 100; }

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * 4;
}

/* Genuine Initials with distinct DCIDs: one client endpoint opens `n` connections and the
 * first datagram of each is kept. */
static size_t make_initials(size_t n, uint8_t **out, size_t *lens, uint64_t seed) {
    size_t made = 0;
    while (made < n) {
        pair_options o = {.seed = seed + made};
        pair *p = pair_new(&o);
        p->capture = true;
        size_t batch = n - made < 200 ? n - made : 200;
        for (size_t i = 0; i < batch; i++) {
            size_t before = p->captured_count;
            pair_connect(p);
            if (p->captured_count == before) abort();
            out[made] = p->captured[before];
            lens[made++] = p->captured_lens[before];
            p->captured[before] = NULL; /* now ours */
        }
        pair_free(p);
    }
    return made;
}

TEST(abuse_initial_flood_bounded_by_max_server_connections) {
    size_t n = g_quick ? 1000 : 10000;
    uint8_t **initials = calloc(n, sizeof *initials);
    size_t *lens = calloc(n, sizeof *lens);
    make_initials(n, initials, lens, 1000);
    pair_options o = {.server_config = max_hundred, .seed = 4242};
    pair *p = pair_new(&o);
    long rss_before = rss_kib();
    uint64_t now = p->now, sent = 0;
    size_t max_count = 0;
    for (size_t i = 0; i < n; i++) {
        /* each Initial arrives from its own route; some with the CID bytes mutated too */
        uint8_t buf[1500];
        size_t len = lens[i];
        memcpy(buf, initials[i], len);
        if (i % 10 == 9 && len > 10) buf[6 + (i % 4)] ^= 0x5a; /* a mutated DCID: fails decryption */
        sent += pair_feed_endpoint(p->server.ep, buf, len, 100 + i, now);
        size_t count = coquic_endpoint_connection_count(p->server.ep);
        if (count > max_count) max_count = count;
        now += 10; /* 100,000 Initials per second */
    }
    long rss_growth = rss_kib() - rss_before;
    for (size_t i = 0; i < n; i++) free(initials[i]);
    free(initials);
    free(lens);
    fprintf(stderr, "  [figure] flood of %zu Initials: max %zu connections, RSS +%ld KiB, %llu B answered\n", n,
            max_count, rss_growth, (unsigned long long)sent);
    /* While the spoofed handshakes are still open, a real client gets in: beyond 50 unvalidated
     * handshakes (half of max_server_connections) the server answers new Initials with Retry,
     * which a real client passes (it used to be locked out until they expired, 10 s). */
    p->now = now;
    coquic_connection_handle_t during = pair_connect(p);
    bool during_ok = pair_run_until(p, pred_confirmed, &during, 2000000);
    now = p->now;
    /* the half-open connections expire; then another normal client gets through */
    run_timers(p->server.ep, &now, now + 120000000ull);
    size_t after = coquic_endpoint_connection_count(p->server.ep);
    p->now = now;
    coquic_connection_handle_t c = pair_connect(p);
    bool ok = pair_run_until(p, pred_confirmed, &c, 10000000);
    pair_free(p);
    CHECK(during_ok);
    CHECK(max_count <= 50);
    CHECK_EQ(max_count, 50); /* the unvalidated-handshake bound was actually reached */
    /* 100 half-open connections: bounded well below 1 MiB each (not checked under
     * sanitizers or valgrind, whose allocators keep freed memory around) */
    if (!UNDER_ASAN && !g_quick) CHECK(rss_growth < 64 * 1024);
    CHECK(after <= 1); /* the client that got in during the flood may still be there */
    CHECK(ok);
}

static bool client_failed_any(pair *p, void *ctx) {
    return side_has_state(&p->client, *(coquic_connection_handle_t *)ctx, COQUIC_STATE_CHANGE_FAILED);
}
static bool server_empty(pair *p, void *ctx) { return coquic_endpoint_connection_count(p->server.ep) == 0; }

TEST(abuse_stateless_reset_is_recognized) {
    pair_options o = {.seed = 5};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_run_until(p, never, NULL, 200000); /* let the last ACKs settle */
    coquic_connection_handle_t s = side_accepted(&p->server);
    /* The server loses the connection without telling the client: its CONNECTION_CLOSE is
     * never delivered (the result is dropped), and its closing period runs out. */
    coquic_close_connection_t cl;
    memset(&cl, 0, sizeof cl);
    cl.size = sizeof cl;
    coquic_result_t *r = NULL;
    CHECK_EQ(coquic_connection_close(p->server.ep, s, &cl, p->now, &r), COQUIC_STATUS_OK);
    coquic_result_destroy(r);
    CHECK(pair_run_until(p, server_empty, NULL, 10000000));
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 1);
    /* the client writes; the server answers the unknown CID with a stateless reset */
    pair_send_pattern(p, &p->client, c, 0, 1000, false);
    uint64_t server_sent_before = p->server.datagrams_sent;
    bool failed = pair_run_until(p, client_failed_any, &c, 10000000);
    fprintf(stderr, "  [figure] stateless reset: %llu reset datagram(s) from the server, client closed: %s\n",
            (unsigned long long)(p->server.datagrams_sent - server_sent_before), failed ? "yes" : "no");
    bool reset = false;
    for (size_t i = 0; i < p->client.close_count; i++)
        reset |= p->client.closes[i].connection == c &&
                 p->client.closes[i].source == COQUIC_X_CLOSE_SOURCE_STATELESS_RESET;
    pair_free(p);
    CHECK(failed);
    CHECK(reset);
}

/* ---- TLS refusals -------------------------------------------------------------------------- */

static coquic_tls_identity_t g_server_identity;
static void server_with_identity(coquic_endpoint_config_t *c) { c->identity = &g_server_identity; }
static void verifying(coquic_endpoint_config_t *c) { c->verify_peer = 1; }

/* A verifying client (trusting `ca`) connects to a server presenting `server_cert` with
 * `server_name`; returns whether the handshake completed and the client's close reason. */
static bool tls_attempt(const test_cert *server_cert, const test_cert *ca, const char *server_name, char *reason,
                        size_t cap) {
    g_server_identity = (coquic_tls_identity_t){server_cert->cert_pem, server_cert->cert_len, server_cert->key_pem,
                                                server_cert->key_len};
    pair_options o = {.client_config = verifying, .server_config = server_with_identity};
    pair *p = pair_new(&o);
    if (!p) return false;
    if (ca && coquic_x_endpoint_add_trusted_ca(p->client.ep, ca->cert_pem, ca->cert_len) != COQUIC_STATUS_OK) {
        pair_free(p);
        return false;
    }
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    open.connection.server_name = server_name;
    open.connection.server_name_length = strlen(server_name);
    open.initial_route_handle = 1;
    coquic_connection_handle_t c = 0;
    coquic_result_t *r;
    if (coquic_quic_connect(p->client.ep, &open, p->now, &c, &r) != COQUIC_STATUS_OK) abort();
    pair_absorb(p, &p->client, r);
    bool ok = pair_run_until(p, pred_confirmed, &c, 5000000);
    if (!ok) pair_run_until(p, client_failed_any, &c, 5000000);
    snprintf(reason, cap, "%s", p->client.close_count ? p->client.close_reasons[0] : "");
    pair_free(p);
    return ok;
}

TEST(tls_expired_wrong_name_and_unknown_certificates_refused) {
    char reason[256];
    time_t now = time(NULL);
    test_cert *expired = test_cert_with_validity("localhost", now - 30 * 86400, now - 86400);
    test_cert *valid = test_cert_with_validity("localhost", now - 3600, now + 86400);
    bool good = tls_attempt(valid, valid, "localhost", reason, sizeof reason); /* control */
    bool exp_ok = tls_attempt(expired, expired, "localhost", reason, sizeof reason);
    char exp_reason[256];
    snprintf(exp_reason, sizeof exp_reason, "%s", reason);
    bool name_ok = tls_attempt(valid, valid, "not-localhost.example", reason, sizeof reason);
    char name_reason[256];
    snprintf(name_reason, sizeof name_reason, "%s", reason);
    test_cert *other = test_cert_with_validity("localhost", now - 3600, now + 86400);
    bool unknown_ok = tls_attempt(valid, other, "localhost", reason, sizeof reason);
    fprintf(stderr, "  [figure] expired: \"%s\"\n  [figure] wrong name: \"%s\"\n  [figure] unknown: \"%s\"\n", exp_reason,
            name_reason, reason);
    test_cert_free(expired);
    test_cert_free(valid);
    test_cert_free(other);
    CHECK(good);
    CHECK(!exp_ok);
    CHECK(strstr(exp_reason, "expired") != NULL);
    CHECK(!name_ok);
    CHECK(strstr(name_reason, "certificate") != NULL);
    CHECK(!unknown_ok);
    CHECK(strstr(reason, "certificate") != NULL);
}

/* Found by tests/reliability.test.ts: an empty DATAGRAM made ngtcp2 assert (zero-length vector). */
TEST(regression_empty_datagram_is_delivered) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_send_datagram_data_t d = {sizeof d, {NULL, 0}, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    size_t one = 1;
    bool got = pair_run_until(p, server_has_datagrams, &one, 1000000);
    size_t len = got ? p->server.datagram_lens[0] : 99;
    pair_free(p);
    CHECK(got);
    CHECK_EQ(len, 0);
}
