/* QUIC versions: Version Negotiation packets, QUIC v2, VN fallback. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

#define QUIC_V2 0x6b3343cfu

static uint32_t be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A genuine client Initial datagram (v1), copied out of a throwaway pair. */
static uint8_t *client_initial(size_t *len) {
    pair *p = pair_new(NULL);
    if (!p) return NULL;
    p->capture = true;
    pair_connect(p);
    uint8_t *copy = NULL;
    if (p->captured_count > 0) {
        *len = p->captured_lens[0];
        copy = malloc(*len);
        memcpy(copy, p->captured[0], *len);
    }
    pair_free(p);
    return copy;
}

/* RFC 9000 §17.2.1: the server answers an unknown version with a VN packet that echoes the
 * client's CIDs swapped and lists the versions it supports; it keeps no state. */
TEST(version_negotiation_packet_contents) {
    size_t len = 0;
    uint8_t *pkt = client_initial(&len);
    CHECK(pkt != NULL);
    CHECK(len >= 1200);
    CHECK(pkt[0] & 0x80);
    CHECK_EQ(be32(pkt + 1), 1);
    size_t dcid_len = pkt[5];
    const uint8_t *dcid = pkt + 6;
    size_t scid_len = pkt[6 + dcid_len];
    const uint8_t *scid = pkt + 7 + dcid_len;
    pkt[1] = 0x1a, pkt[2] = 0x2a, pkt[3] = 0x3a, pkt[4] = 0x4a;

    pair *p = pair_new(NULL);
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.bytes = (coquic_bytes_t){pkt, len};
    in.route_handle = (coquic_optional_route_handle_t){1, 7};
    static const uint8_t identity[7] = {0x04, 127, 0, 0, 1, 0xc3, 0x50};
    in.address_validation_identity = (coquic_bytes_t){identity, sizeof identity};
    coquic_result_t *r;
    CHECK_EQ(coquic_endpoint_input_datagram(p->server.ep, &in, p->now, &r), COQUIC_STATUS_OK);
    size_t n = 0;
    const coquic_effect_t *e = coquic_x_result_effects(r, &n);
    bool one = n == 1 && e[0].kind == COQUIC_EFFECT_SEND_DATAGRAM;
    const uint8_t *vn = one ? e[0].as.send_datagram.bytes.data : NULL;
    size_t vn_len = one ? e[0].as.send_datagram.bytes.length : 0;
    bool routed = one && e[0].as.send_datagram.route_handle.has_value && e[0].as.send_datagram.route_handle.value == 7;
    bool header = vn_len >= 7 && (vn[0] & 0x80) && be32(vn + 1) == 0;
    /* destination = the client's source CID, source = the client's destination CID */
    bool cids = header && vn[5] == scid_len && memcmp(vn + 6, scid, scid_len) == 0 && vn_len >= 7 + scid_len &&
                vn[6 + scid_len] == dcid_len && memcmp(vn + 7 + scid_len, dcid, dcid_len) == 0;
    size_t list_at = 7 + scid_len + dcid_len;
    bool list_shape = cids && vn_len > list_at && (vn_len - list_at) % 4 == 0;
    bool has_v1 = false, echoes_unknown = false;
    for (size_t i = list_at; list_shape && i + 4 <= vn_len; i += 4) {
        has_v1 |= be32(vn + i) == 1;
        echoes_unknown |= be32(vn + i) == 0x1a2a3a4a;
    }
    bool no_error = !coquic_result_has_local_error(r);
    coquic_result_destroy(r);
    size_t conns = coquic_endpoint_connection_count(p->server.ep);
    coquic_time_us_t t;
    bool no_timer = !coquic_x_endpoint_next_wakeup(p->server.ep, &t);
    free(pkt);
    pair_free(p);
    CHECK(one);
    CHECK(routed);
    CHECK(header);
    CHECK(cids);
    CHECK(list_shape);
    CHECK(has_v1);
    CHECK(!echoes_unknown);
    CHECK(no_error);
    CHECK_EQ(conns, 0);
    CHECK(no_timer);
}

/* The brief's "client endpoint with supported_versions {0x1a2a3a4a}" cannot be built on this
 * engine: ngtcp2 cannot speak an unknown version, so both the endpoint option and the per-
 * connection initial_version are refused up front with a message naming the version. */
static void unknown_initial_version(coquic_open_connection_t *open, void *ctx) {
    open->connection.initial_version = 0x1a2a3a4a;
    open->connection.original_version = 0x1a2a3a4a;
}

TEST(version_unknown_initial_version_is_refused) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t h = pair_connect_with(p, unknown_initial_version, NULL);
    char msg[256];
    coquic_x_last_error_message(msg, sizeof msg);
    bool refused = h == 0 && pair_fault(p) != NULL && strstr(msg, "0x1a2a3a4a") != NULL;
    size_t conns = coquic_endpoint_connection_count(p->client.ep);
    pair_free(p);
    CHECK(refused);
    CHECK_EQ(conns, 0);
}

static const uint32_t v1_and_v2[] = {1, QUIC_V2}, v2_only[] = {QUIC_V2};
static void speak_v1_and_v2(coquic_endpoint_config_t *c) {
    c->supported_versions = v1_and_v2;
    c->supported_versions_count = 2;
}
static void speak_v2_only(coquic_endpoint_config_t *c) {
    c->supported_versions = v2_only;
    c->supported_versions_count = 1;
}
static void start_with_v2(coquic_open_connection_t *open, void *ctx) {
    open->connection.initial_version = QUIC_V2;
    open->connection.original_version = QUIC_V2;
}

typedef struct version_log {
    uint32_t client_long[64], server_long[64];
    size_t client_count, server_count;
} version_log;

static void log_versions(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    version_log *log = ctx;
    if (len < 5 || !(b[0] & 0x80)) return;
    if (from == &p->client && log->client_count < 64) log->client_long[log->client_count++] = be32(b + 1);
    if (from == &p->server && log->server_count < 64) log->server_long[log->server_count++] = be32(b + 1);
}

static bool server_stream0_done(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 0)->fin;
}

/* RFC 9369 QUIC v2 end to end (both endpoints speak only v2): every long header carries v2. */
TEST(version_quic_v2_handshake_and_transfer) {
    pair_options o = {.client_config = speak_v2_only, .server_config = speak_v2_only};
    pair *p = pair_new(&o);
    version_log log = {{0}, {0}, 0, 0};
    p->tap = log_versions;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = pair_connect_with(p, start_with_v2, NULL);
    CHECK(c != 0);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 200000, true);
    CHECK(pair_run_until(p, server_stream0_done, NULL, 10000000));
    stream_record *r = side_stream(&p->server, side_accepted(&p->server), 0);
    CHECK_EQ(r->final_size, 200000);
    CHECK_EQ(r->mismatches, 0);
    CHECK(log.client_count > 0 && log.server_count > 0);
    for (size_t i = 0; i < log.client_count; i++) CHECK_EQ(log.client_long[i], QUIC_V2);
    for (size_t i = 0; i < log.server_count; i++) CHECK_EQ(log.server_long[i], QUIC_V2);
    pair_free(p);
}

/* A client that starts with v2 and also speaks v1 ends up on v1 against a server that prefers
 * (or only has) v1. With {1, v2} the server must use compatible version negotiation (RFC 9368:
 * answer in v1 straight away). With only {1} a Version Negotiation packet (version 0) is also
 * acceptable; observed: the engine still answers compatibly in v1 (see engine-issues.md). The
 * server never sends v2 in either case. */
static void check_compatible_switch_to_v1(void (*server_config)(coquic_endpoint_config_t *), bool allow_vn) {
    pair_options o = {.client_config = speak_v1_and_v2, .server_config = server_config};
    pair *p = pair_new(&o);
    version_log log = {{0}, {0}, 0, 0};
    p->tap = log_versions;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = pair_connect_with(p, start_with_v2, NULL);
    CHECK(c != 0);
    bool ok = pair_run_until(p, pred_confirmed, &c, 10000000);
    pair_send_pattern(p, &p->client, c, 0, 50000, true);
    bool data = ok && pair_run_until(p, server_stream0_done, NULL, 10000000) &&
                side_stream(&p->server, side_accepted(&p->server), 0)->mismatches == 0;
    bool client_started_v2 = log.client_count > 0 && log.client_long[0] == QUIC_V2;
    bool server_all_v1 = log.server_count > 0;
    for (size_t i = 0; i < log.server_count; i++) server_all_v1 &= log.server_long[i] == 1 || (allow_vn && log.server_long[i] == 0);
    bool client_then_v1 = log.client_count > 1 && log.client_long[log.client_count - 1] == 1;
    if (!allow_vn)
        for (size_t i = 1; i < log.client_count; i++) client_then_v1 &= log.client_long[i] == 1;
    pair_free(p);
    CHECK(ok);
    CHECK(data);
    CHECK(client_started_v2);
    CHECK(server_all_v1);
    CHECK(client_then_v1);
}

TEST(version_compatible_negotiation_to_v1_server_prefers_v1) { check_compatible_switch_to_v1(speak_v1_and_v2, false); }
/* RFC 9368 incompatible version negotiation: a v1-only server answers a v2 Initial with
 * Version Negotiation only (it never completes a handshake in a version it was not configured
 * for); the client, which also speaks v1, starts over in v1 on the same connection handle and
 * completes, and a stream crosses byte-exact. */
static void check_restart_after_vn(void (*client_config)(coquic_endpoint_config_t *),
                                   void (*server_config)(coquic_endpoint_config_t *),
                                   void (*tweak)(coquic_open_connection_t *, void *), uint32_t first,
                                   uint32_t then) {
    pair_options o = {.client_config = client_config, .server_config = server_config};
    pair *p = pair_new(&o);
    version_log log = {{0}, {0}, 0, 0};
    p->tap = log_versions;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = tweak ? pair_connect_with(p, tweak, NULL) : pair_connect(p);
    CHECK(c != 0);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 10000000);
    pair_send_pattern(p, &p->client, c, 0, 50000, true);
    bool data = confirmed && pair_run_until(p, server_stream0_done, NULL, 10000000) &&
                side_stream(&p->server, side_accepted(&p->server), 0)->mismatches == 0;
    bool vn_first = log.server_count > 0 && log.server_long[0] == 0;
    bool server_then = log.server_count > 1 && log.server_long[log.server_count - 1] == then;
    bool client_first = log.client_count > 1 && log.client_long[0] == first;
    bool client_then = log.client_count > 1 && log.client_long[log.client_count - 1] == then;
    size_t server_conns = coquic_endpoint_connection_count(p->server.ep);
    pair_free(p);
    CHECK(confirmed);
    CHECK(data);
    CHECK(vn_first);
    CHECK(server_then);
    CHECK(client_first);
    CHECK(client_then);
    CHECK_EQ(server_conns, 1);
}

TEST(version_v2_client_against_v1_only_server_restarts_in_v1_after_vn) {
    check_restart_after_vn(speak_v1_and_v2, NULL, start_with_v2, QUIC_V2, 1);
}

static const uint32_t v1_then_v2[] = {1, QUIC_V2};
static void speak_v1_then_v2(coquic_endpoint_config_t *c) {
    c->supported_versions = v1_then_v2;
    c->supported_versions_count = 2;
}
TEST(version_v1_client_against_v2_only_server_restarts_in_v2_after_vn) {
    check_restart_after_vn(speak_v1_then_v2, speak_v2_only, NULL, 1, QUIC_V2);
}

/* A client without a common version fails cleanly (no restart loop) after the VN. */
TEST(version_no_common_version_fails_after_vn) {
    pair_options o = {.server_config = speak_v2_only};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(c != 0);
    CHECK(!pair_run_until(p, pred_confirmed, &c, 3000000));
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->client.ep), 0);
    pair_free(p);
}

/* The same for v2-only servers and v1 Initials. */
TEST(version_v1_client_against_v2_only_server_gets_version_negotiation) {
    pair_options o = {.server_config = speak_v2_only};
    pair *p = pair_new(&o);
    version_log log = {{0}, {0}, 0, 0};
    p->tap = log_versions;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(c != 0);
    CHECK(!pair_run_until(p, pred_confirmed, &c, 3000000));
    CHECK(log.server_count > 0);
    for (size_t i = 0; i < log.server_count; i++) CHECK_EQ(log.server_long[i], 0);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    pair_free(p);
}

/* Bug: a client endpoint without v1 (only v2) tripped an ngtcp2 assertion (process abort)
 * because connections started in v1, the per-connection default. It starts in v2 now. */
TEST(version_v2_only_client_endpoint_starts_in_v2) {
    pair_options o = {.client_config = speak_v2_only, .server_config = speak_v1_and_v2};
    pair *p = pair_new(&o);
    version_log log = {{0}, {0}, 0, 0};
    p->tap = log_versions;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = pair_connect(p); /* initial_version left at its default, 1 */
    CHECK(c != 0);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    CHECK(log.client_count > 0);
    for (size_t i = 0; i < log.client_count; i++) CHECK_EQ(log.client_long[i], QUIC_V2);
    pair_free(p);
}
