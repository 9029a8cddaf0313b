/* coquic_x_connection_max_datagram_size agrees with what the send path accepts. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

/* The local error code of sending `len` bytes (0: none; 255: the call itself failed). */
static unsigned send_error(pair *p, coquic_connection_handle_t c, const uint8_t *b, size_t len) {
    coquic_send_datagram_data_t d = {sizeof d, {b, len}, 0};
    coquic_result_t *r = NULL;
    coquic_local_error_t le;
    memset(&le, 0, sizeof le);
    if (coquic_connection_send_datagram(p->client.ep, c, &d, p->now, &r) != COQUIC_STATUS_OK) return 255;
    bool had = coquic_result_local_error(r, &le) == COQUIC_STATUS_OK;
    pair_absorb(p, &p->client, r);
    return had ? le.code : 0;
}

static void frames_200(coquic_endpoint_config_t *c) { c->transport.max_datagram_frame_size = 200; }
static void no_frames(coquic_endpoint_config_t *c) { c->transport.max_datagram_frame_size = 0; }

/* The path limit (1,200-byte packets), the peer's frame limit, no DATAGRAMs at all: a payload of
 * exactly the reported size is sent, one byte more is refused as too large. */
TEST(ext_max_datagram_size_is_exact) {
    void (*configs[])(coquic_endpoint_config_t *) = {NULL, frames_200};
    uint64_t want[] = {1200 - 69, 200 - 9};
    uint8_t buf[2000] = {0};
    for (size_t i = 0; i < 2; i++) {
        pair_options o = {.server_config = configs[i]};
        pair *p = pair_new(&o);
        coquic_connection_handle_t c = pair_connect(p);
        CHECK_EQ(coquic_x_connection_max_datagram_size(p->client.ep, c), 1200 - 69); /* the path only */
        CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
        uint64_t max = coquic_x_connection_max_datagram_size(p->client.ep, c);
        test_note("max datagram size %llu", (unsigned long long)max);
        CHECK_EQ(max, want[i]);
        CHECK_EQ(send_error(p, c, buf, (size_t)max), 0);
        CHECK_EQ(send_error(p, c, buf, (size_t)max + 1), COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE);
        CHECK_EQ(coquic_x_connection_max_datagram_size(p->client.ep, c + 1000), 0);
        CHECK_EQ(coquic_x_connection_max_datagram_size(NULL, c), 0);
        pair_free(p);
    }
    pair_options o = {.server_config = no_frames};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    CHECK_EQ(coquic_x_connection_max_datagram_size(p->client.ep, c), 0);
    pair_free(p);
}
