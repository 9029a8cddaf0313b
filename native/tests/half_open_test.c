/* Half-open handshakes (half_open.c): their cost, the byte budget, the oldest dropped first. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

/* The estimate the byte budget counts per half-open handshake (96 KiB) is above what one costs. */
TEST(half_open_cost_is_within_the_estimate) {
    enum { N = 48 }; /* below the 64 unvalidated handshakes that switch to Retry */
    uint8_t *in[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) in[i] = pair_client_initial(100 + (uint64_t)i, &lens[i]);
    pair *p = pair_new(NULL); /* only its server endpoint is used */
    pair_feed_endpoint(p->server.ep, in[0], lens[0], 1000, p->now); /* warm up (TLS context, maps) */
    struct mallinfo2 before = mallinfo2();
    for (int i = 1; i < N; i++) pair_feed_endpoint(p->server.ep, in[i], lens[i], 1000 + (uint64_t)i, p->now);
    struct mallinfo2 after = mallinfo2();
    uint64_t h[3];
    coquic_x_endpoint_half_open(p->server.ep, h);
    uint64_t count = h[0], bytes = h[1];
    size_t each = (after.uordblks - before.uordblks) / (N - 1);
    fprintf(stderr, "  [figure] one half-open handshake: %zu B on the heap (estimate 98304 B); %llu open, %llu B counted\n", each,
              (unsigned long long)count, (unsigned long long)bytes);
    CHECK_EQ(count, N);
    CHECK_EQ(bytes, (uint64_t)N * 98304);
    if (!UNDER_ASAN && !g_quick) CHECK(each < 98304); /* sanitizers and valgrind allocate differently */
    pair_free(p);
    for (int i = 0; i < N; i++) free(in[i]);
}

/* Beyond the budget the oldest stale half-open handshake makes room; a real client still gets in,
 * and its completed handshake leaves the half-open list. */
TEST(half_open_budget_drops_the_oldest) {
    enum { N = 40, ROOM = 8 };
    pair *p = pair_new(NULL);
    CHECK_EQ(coquic_x_endpoint_set_half_open_limit(p->server.ep, ROOM * 98304), COQUIC_STATUS_OK);
    CHECK_EQ(coquic_x_endpoint_set_half_open_limit(NULL, 1), COQUIC_STATUS_INVALID_ARGUMENT);
    for (int i = 0; i < N; i++) {
        size_t len;
        uint8_t *b = pair_client_initial(500 + (uint64_t)i, &len);
        pair_feed_endpoint(p->server.ep, b, len, 2000 + (uint64_t)i, p->now);
        free(b);
        p->now += 400000; /* 2.5 per second: the oldest is 3.2 s old (stale: none answered) when it makes room */
    }
    uint64_t h[3];
    coquic_x_endpoint_half_open(p->server.ep, h);
    uint64_t count = h[0], dropped = h[2];
    fprintf(stderr, "  [figure] %d half-open Initials, budget %d: %llu open, %llu dropped\n", N, ROOM, (unsigned long long)count,
              (unsigned long long)dropped);
    CHECK_EQ(count, ROOM);
    CHECK_EQ(dropped, N - ROOM);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), ROOM); /* the dropped ones are gone */
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_x_endpoint_half_open(p->server.ep, h);
    count = h[0], dropped = h[2];
    CHECK_EQ(count, ROOM - 1); /* the real client's handshake completed: one of the spoofed ones made room */
    CHECK_EQ(dropped, N - ROOM + 1);
    /* the rest expire (10 s handshake timeout) */
    for (int i = 0; i < 20000 && count > 0; i++) {
        pair_step(p);
        coquic_x_endpoint_half_open(p->server.ep, h);
        count = h[0];
    }
    CHECK_EQ(count, 0);
    coquic_x_endpoint_half_open(NULL, h);
    CHECK_EQ(h[0] + h[1] + h[2], 0);
    coquic_x_endpoint_half_open(p->server.ep, NULL); /* no output: nothing happens */
    pair_free(p);
}

/* A burst of young handshakes is not cut short: beyond the budget new Initials are turned away
 * (their clients retransmit) instead of pushing out handshakes under a second old. */
TEST(half_open_young_handshakes_are_kept) {
    enum { N = 12, ROOM = 8 };
    pair *p = pair_new(NULL);
    CHECK_EQ(coquic_x_endpoint_set_half_open_limit(p->server.ep, ROOM * 98304), COQUIC_STATUS_OK);
    coquic_connection_handle_t first = 0;
    for (int i = 0; i < N; i++) {
        size_t len;
        uint8_t *b = pair_client_initial(700 + (uint64_t)i, &len);
        pair_feed_endpoint(p->server.ep, b, len, 3000 + (uint64_t)i, p->now);
        free(b);
        p->now += 10000; /* 10 ms apart */
        if (i == 0) first = coquic_endpoint_connection_count(p->server.ep);
    }
    uint64_t h[3];
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(first, 1);
    CHECK_EQ(h[0], ROOM);
    CHECK_EQ(h[2], N - ROOM); /* turned away */
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), ROOM);
    pair_free(p);
}

static bool pred_client_ready(pair *p, void *ctx) {
    return side_has_state(&p->client, *(coquic_connection_handle_t *)ctx, COQUIC_STATE_CHANGE_HANDSHAKE_READY);
}

/* Feeds `n` spoofed Initials (seeded from `seed`) straight to the server at the pair's time. */
static void feed_spoofed(pair *p, int n, uint64_t seed) {
    for (int i = 0; i < n; i++) {
        size_t len;
        uint8_t *b = pair_client_initial(seed + (uint64_t)i, &len);
        pair_feed_endpoint(p->server.ep, b, len, seed + (uint64_t)i, p->now);
        free(b);
    }
}

/* The bug this guards against: a server that is slow to read (a burst of Initials ahead of the
 * answers) had its budget fill, and pushed out a handshake over a second old whose client had
 * already finished, its Finished still unread: that client saw its connection dropped. */
TEST(half_open_a_finished_client_is_not_pushed_out_by_a_burst) {
    enum { ROOM = 4 };
    pair *p = pair_new(NULL);
    CHECK_EQ(coquic_x_endpoint_set_half_open_limit(p->server.ep, ROOM * 98304), COQUIC_STATUS_OK);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_client_ready, &c, 1000000)); /* its Finished is on the link */
    p->now += 1500000; /* the server reads a burst for 1.5 s before reaching it */
    feed_spoofed(p, ROOM + 4, 11000);
    uint64_t h[3];
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(h[0], ROOM);
    CHECK_EQ(h[2], 5); /* the Initials beyond the room were turned away, nothing pushed out */
    CHECK(pair_run_until(p, pred_confirmed, &c, 2000000));
    CHECK_EQ(side_count(&p->client, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED), 0);
    pair_free(p);
}

/* Once a younger handshake completed, older silent ones are stale a second later (their
 * answers would have been read by then); without such a sign they wait 2 s. */
TEST(half_open_silent_handshakes_older_than_a_completed_one_make_room) {
    enum { ROOM = 4 };
    pair *p = pair_new(NULL);
    CHECK_EQ(coquic_x_endpoint_set_half_open_limit(p->server.ep, ROOM * 98304), COQUIC_STATUS_OK);
    feed_spoofed(p, ROOM - 1, 12000); /* three that never answer */
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 2000000)); /* a real one completes after them */
    uint64_t h[3];
    p->now += 900000;
    feed_spoofed(p, 2, 12100); /* 0.9 s later: one fits, one is turned away (the old are not stale yet) */
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(h[0], ROOM);
    CHECK_EQ(h[2], 1);
    p->now += 200000;
    feed_spoofed(p, 3, 12200); /* a second after the real one completed: the three older go */
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(h[0], ROOM);
    CHECK_EQ(h[2], 4);
    feed_spoofed(p, 1, 12300); /* the rest are younger and nothing younger completed: turned away */
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(h[2], 5);
    pair_free(p);
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * 4;
}

/* Once a flood's half-open handshakes have expired, their memory goes back to the system: glibc
 * kept it (RSS stayed at its peak) until the engine trimmed the heap. */
TEST(half_open_memory_is_returned_after_expiry) {
    enum { N = 64 }; /* the unvalidated handshakes that may be open before Retry */
    pair *p = pair_new(NULL);
    uint8_t *in[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) in[i] = pair_client_initial(9000 + (uint64_t)i, &lens[i]);
    long r0 = rss_kib();
    for (int i = 0; i < N; i++) pair_feed_endpoint(p->server.ep, in[i], lens[i], 5000 + (uint64_t)i, p->now);
    long r1 = rss_kib();
    uint64_t h[3];
    coquic_x_endpoint_half_open(p->server.ep, h);
    CHECK_EQ(h[0], N);
    uint64_t now = p->now, t;
    while (coquic_x_endpoint_next_wakeup(p->server.ep, &t) && t <= p->now + 60000000ull) {
        if (t > now) now = t;
        coquic_result_t *r = NULL;
        CHECK_EQ(coquic_endpoint_timer_expired(p->server.ep, now, &r), COQUIC_STATUS_OK);
        coquic_result_destroy(r);
    }
    long r2 = rss_kib();
    coquic_x_endpoint_half_open(p->server.ep, h);
    fprintf(stderr, "  [figure] %d half-open handshakes: RSS %ld -> %ld KiB, %ld KiB after they expired\n", N, r0, r1, r2);
    CHECK_EQ(h[0], 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    /* before the trim: 11,820 -> 11,900 KiB (nothing returned); after: back to ~8,000 */
    if (!UNDER_ASAN && !g_quick) CHECK(r2 - r0 < (r1 - r0) / 4);
    pair_free(p);
    for (int i = 0; i < N; i++) free(in[i]);
}
