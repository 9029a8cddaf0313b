/* Garbage and tampered packets aimed at an established connection are dropped: the
 * connection survives and keeps transferring byte-exact. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

typedef struct captured {
    uint8_t *bytes[64];
    size_t lens[64];
    size_t count;
} captured;

/* keeps copies of the first 64 short-header (1-RTT) datagrams the server sends */
static void keep_short_headers(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    captured *c = ctx;
    if (from != &p->server || len == 0 || (b[0] & 0x80) || c->count == 64) return;
    c->bytes[c->count] = malloc(len);
    memcpy(c->bytes[c->count], b, len);
    c->lens[c->count++] = len;
}

static bool stream_done(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, *(uint64_t *)ctx)->fin;
}

TEST(garbage_to_an_established_connection_is_dropped) {
    pair *p = pair_new(NULL);
    captured cap;
    memset(&cap, 0, sizeof cap);
    p->tap = keep_short_headers;
    p->tap_ctx = &cap;
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    uint64_t stream = 0;
    pair_send_pattern(p, &p->client, c, 0, 100000, true);
    CHECK(pair_run_until(p, stream_done, &stream, 10000000));
    p->tap = NULL;
    CHECK(cap.count > 0);

    size_t n = g_quick ? 3000 : 30000;
    uint8_t buf[1500];
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *src = cap.bytes[i % cap.count];
        size_t src_len = cap.lens[i % cap.count];
        switch (i % 5) {
        case 0: /* random bytes */
            len = pair_random(p) % 1500;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)pair_random(p);
            break;
        case 1: /* a real 1-RTT packet, truncated */
            len = pair_random(p) % src_len;
            memcpy(buf, src, len);
            break;
        case 2: /* a real 1-RTT packet with one bit flipped past the header */
            len = src_len;
            memcpy(buf, src, len);
            if (len > 20) buf[20 + pair_random(p) % (len - 20)] ^= (uint8_t)(1u << (pair_random(p) % 8));
            break;
        case 3: /* a replayed 1-RTT packet (duplicates are harmless) */
            len = src_len;
            memcpy(buf, src, len);
            break;
        default: /* the right destination CID, garbage after it */
            len = src_len;
            memcpy(buf, src, len < 21 ? len : 21);
            for (size_t j = 21; j < len; j++) buf[j] = (uint8_t)pair_random(p);
            break;
        }
        pair_inject(p, &p->client, buf, len);
        if (i % 100 == 0) { /* garbage to the server too, from the client's route */
            len = pair_random(p) % 1500;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)pair_random(p);
            if (len) buf[0] &= 0x7f; /* short header */
            pair_inject(p, &p->server, buf, len);
        }
    }
    CHECK(pair_fault(p) == NULL);
    CHECK_EQ(p->client.close_count, 0);
    CHECK_EQ(p->server.close_count, 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 1);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 1);
    /* replayed stream data never shows up twice (offset checks in the harness) */
    CHECK(!side_stream(&p->client, c, 0)->offset_error);
    /* and the connection still works */
    stream = 4;
    pair_send_pattern(p, &p->client, c, 4, 1u << 20, true);
    CHECK(pair_run_until(p, stream_done, &stream, 30000000));
    stream_record *r = side_stream(&p->server, side_accepted(&p->server), 4);
    CHECK_EQ(r->final_size, 1u << 20);
    CHECK_EQ(r->mismatches, 0);
    CHECK(!r->offset_error);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    for (size_t i = 0; i < cap.count; i++) free(cap.bytes[i]);
    pair_free(p);
}
