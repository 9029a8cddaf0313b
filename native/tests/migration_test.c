/*
 * Connection migration and the connection-ID table: a client that migrates many times (more
 * new connection IDs used and retired than any fixed table would hold) keeps its data flowing
 * byte-exact, and the server's routing map forgets every retired ID and the client's original
 * DCID (it does not grow with the connection's history).
 */
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "pair.h"
#include "test.h"

#define SERVER_CID_LEN 16 /* the engine's server CIDs */
#define MAX_SEEN 64

/* Distinct destination CIDs the client put in short-header packets, in first-use order. */
typedef struct dcid_log {
    uint8_t ids[MAX_SEEN][SERVER_CID_LEN];
    size_t count;
} dcid_log;

static void log_dcids(pair *p, side *from, const uint8_t *bytes, size_t len, void *ctx) {
    dcid_log *log = ctx;
    if (from != &p->client || len < 1 + SERVER_CID_LEN || (bytes[0] & 0x80)) return;
    for (size_t i = 0; i < log->count; i++)
        if (memcmp(log->ids[i], bytes + 1, SERVER_CID_LEN) == 0) return;
    if (log->count < MAX_SEEN) memcpy(log->ids[log->count++], bytes + 1, SERVER_CID_LEN);
}

static uint64_t g_limit; /* active_connection_id_limit both sides advertise */
static void cid_limit(coquic_endpoint_config_t *c) { c->transport.active_connection_id_limit = g_limit; }

static const uint8_t original_dcid[8] = {0x0d, 0xc1, 0xd0, 0x0d, 0xc1, 0xd0, 0x0d, 0xc1};
static void fixed_original_dcid(coquic_open_connection_t *open, void *ctx) {
    open->connection.initial_destination_connection_id = (coquic_bytes_t){original_dcid, sizeof original_dcid};
}

/*
 * Does the server's endpoint route a short-header packet with this DCID to a connection? A
 * 1200-byte packet nobody claims gets an endpoint-level stateless reset (connection 0); one that
 * reaches a connection fails decryption there and gets no such answer.
 */
static bool server_routes(pair *p, const uint8_t *dcid, size_t dcid_len) {
    uint8_t packet[1200];
    for (size_t i = 0; i < sizeof packet; i++) packet[i] = (uint8_t)pair_random(p);
    packet[0] = 0x40 | (packet[0] & 0x3f);
    memcpy(packet + 1, dcid, dcid_len);
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.bytes = (coquic_bytes_t){packet, sizeof packet};
    in.route_handle.has_value = 1;
    in.route_handle.value = 999; /* a stranger's address */
    coquic_result_t *r = NULL;
    if (coquic_endpoint_input_datagram(p->server.ep, &in, p->now, &r) != COQUIC_STATUS_OK) return true;
    bool reset = false;
    for (size_t i = 0, n = coquic_result_effect_count(r); i < n; i++) {
        coquic_effect_t e;
        if (coquic_result_effect_at(r, i, &e) == COQUIC_STATUS_OK && e.kind == COQUIC_EFFECT_SEND_DATAGRAM &&
            e.as.send_datagram.connection == 0)
            reset = true;
    }
    coquic_result_destroy(r);
    return !reset;
}

typedef struct upload {
    coquic_connection_handle_t server;
    uint64_t want; /* bytes the server should have on stream 0 */
} upload;

static bool server_has(pair *p, void *ctx) {
    upload *u = ctx;
    if (!u->server) u->server = side_accepted(&p->server);
    return u->server && side_stream(&p->server, u->server, 0)->next_offset >= u->want;
}

static bool never(pair *p, void *ctx) { return false; }

static void send_chunk(pair *p, coquic_connection_handle_t c, uint64_t offset, size_t len, bool fin) {
    uint8_t *buf = malloc(len);
    CHECK(buf);
    pattern_fill(buf, len, offset, 0);
    pair_send(p, &p->client, c, 0, buf, len, fin);
    free(buf);
}

/* Moves the client to `route`, waiting (bounded) for a spare connection ID from the server when
 * it has none yet (UNSUPPORTED_OPERATION until NEW_CONNECTION_ID arrives). */
static bool migrate(pair *p, coquic_connection_handle_t c, uint64_t route) {
    coquic_request_connection_migration_t mg = {sizeof mg, route, COQUIC_MIGRATION_REASON_ACTIVE, {NULL, 0}};
    for (int attempt = 0; attempt < 50; attempt++) {
        coquic_result_t *r = NULL;
        if (coquic_connection_request_migration(p->client.ep, c, &mg, p->now, &r) != COQUIC_STATUS_OK) return false;
        bool refused = coquic_result_has_local_error(r);
        pair_absorb(p, &p->client, r);
        if (!refused) return true;
        pair_run_until(p, never, NULL, 20000);
    }
    return false;
}

static void note_closes(const pair *p) {
    for (size_t i = 0; i < p->server.close_count; i++)
        test_note("server close: code %llu app %d \"%s\"", (unsigned long long)p->server.closes[i].error_code,
                  p->server.closes[i].is_application_error, p->server.close_reasons[i]);
    for (size_t i = 0; i < p->client.close_count; i++)
        test_note("client close: code %llu app %d \"%s\"", (unsigned long long)p->client.closes[i].error_code,
                  p->client.closes[i].is_application_error, p->client.close_reasons[i]);
}

/* The client migrates `moves` times while uploading; everything arrives and old IDs stop routing. */
static void migrate_many_times(uint64_t limit, size_t moves) {
    g_limit = limit;
    pair_options o = {.client_config = cid_limit, .server_config = cid_limit};
    pair *p = pair_new(&o);
    CHECK(p);
    dcid_log log = {.count = 0};
    p->tap = log_dcids;
    p->tap_ctx = &log;
    coquic_connection_handle_t c = pair_connect_with(p, fixed_original_dcid, NULL);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 10000000);
    if (!confirmed) note_closes(p);
    CHECK(confirmed);
    const size_t chunk = g_quick ? (64u << 10) : (256u << 10);
    upload u = {0, 0};
    for (size_t i = 0; i <= moves; i++) {
        send_chunk(p, c, u.want, chunk, i == moves);
        u.want += chunk;
        bool arrived = pair_run_until(p, server_has, &u, 20000000);
        if (!arrived) note_closes(p);
        CHECK(arrived);
        if (i < moves) CHECK(migrate(p, c, 2 + i)); /* route 1 is the first path */
    }
    stream_record *got = side_stream(&p->server, u.server, 0);
    CHECK(got->fin);
    CHECK_EQ(got->next_offset, (uint64_t)chunk * (moves + 1));
    CHECK_EQ(got->mismatches, 0);
    CHECK(!got->offset_error);
    CHECK_EQ(p->server.failed_count, 0);
    CHECK_EQ(p->client.failed_count, 0);
    CHECK_EQ(p->server.close_count, 0);
    CHECK_EQ(p->client.close_count, 0);
    /* every move used a fresh server CID: more than a fixed 8-entry table would have held */
    CHECK(log.count >= moves + 1);
    CHECK(log.count > 8);

    /* Quiet for a while (retired IDs are removed a PTO after RETIRE_CONNECTION_ID), then probe. */
    pair_run_until(p, never, NULL, 1000000);
    CHECK(!pair_fault(p));
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 1);
    size_t routed = 0;
    for (size_t i = 0; i + 1 < log.count; i++) routed += server_routes(p, log.ids[i], SERVER_CID_LEN);
    CHECK_EQ(routed, 0); /* every ID the client moved away from is gone from the map */
    CHECK(server_routes(p, log.ids[log.count - 1], SERVER_CID_LEN)); /* the one in use still routes */
    CHECK(!server_routes(p, original_dcid, sizeof original_dcid));  /* so does not the original DCID */

    /* the connection still works after the probes */
    CHECK_EQ(p->server.failed_count, 0);
    pair_free(p);
}

TEST(migration_many_moves_limit_7_routes_only_live_ids) { migrate_many_times(7, 12); }
TEST(migration_many_moves_limit_8_routes_only_live_ids) { migrate_many_times(8, 12); }

/* ngtcp2 holds at most 8 of the peer's IDs and asserts on a larger limit: refused at create. */
TEST(migration_active_connection_id_limit_above_8_is_refused_at_create) {
    const test_cert *cert = test_cert_for("localhost");
    coquic_tls_identity_t id = {cert->cert_pem, cert->cert_len, cert->key_pem, cert->key_len};
    const coquic_role_t roles[2] = {COQUIC_ROLE_CLIENT, COQUIC_ROLE_SERVER};
    const uint64_t limits[4] = {8, 9, 1000, UINT64_MAX};
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++) {
            coquic_endpoint_config_t c;
            coquic_endpoint_config_init(&c);
            c.role = roles[r];
            c.identity = roles[r] == COQUIC_ROLE_SERVER ? &id : NULL;
            c.application_protocol = "x";
            c.application_protocol_length = 1;
            c.transport.active_connection_id_limit = limits[i];
            coquic_endpoint_t *ep = NULL;
            coquic_status_t st = coquic_endpoint_create(&c, &ep);
            CHECK_EQ(st, limits[i] <= 8 ? COQUIC_STATUS_OK : COQUIC_STATUS_INVALID_ARGUMENT);
            if (st == COQUIC_STATUS_INVALID_ARGUMENT) {
                char msg[256] = {0};
                coquic_x_last_error_message(msg, sizeof msg);
                CHECK(strstr(msg, "active_connection_id_limit") != NULL);
            }
            coquic_endpoint_destroy(ep);
        }
    }
}

/* ---- path validation effects (coquic_x_endpoint_set_path_effects) --------------------------- */

static bool path_event(pair *p, void *ctx) {
    return side_count(&p->client, (coquic_effect_kind_t)COQUIC_X_EFFECT_PATH_VALIDATION, *(uint64_t *)ctx) > 0;
}

/* Migrates the client to `route` (route 3 is black-holed when `lost`); returns the path effect. */
static const event_record *migrate_and_wait(pair *p, uint64_t route, bool lost, coquic_connection_handle_t *conn) {
    coquic_connection_handle_t c = pair_connect(p);
    *conn = c;
    if (!pair_run_until(p, pred_confirmed, &c, 10000000)) return NULL;
    if (coquic_x_endpoint_set_path_effects(p->client.ep, 1) != COQUIC_STATUS_OK) return NULL;
    if (lost) p->blackhole_route = route;
    if (!migrate(p, c, route)) return NULL;
    send_chunk(p, c, 0, 20000, true);
    pair_run_until(p, path_event, &route, 20000000);
    return side_find(&p->client, (coquic_effect_kind_t)COQUIC_X_EFFECT_PATH_VALIDATION, route, 0);
}

TEST(migration_path_validation_effect_on_success) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c;
    const event_record *e = migrate_and_wait(p, 2, false, &c);
    bool ok = e && e->conn == c && e->b == 1;
    upload u = {0, 20000};
    bool arrived = pair_run_until(p, server_has, &u, 10000000);
    uint64_t now_on = coquic_x_endpoint_set_path_effects(NULL, 1); /* NULL: INVALID_ARGUMENT, no crash */
    pair_free(p);
    CHECK(ok);
    CHECK(arrived);
    CHECK_EQ(now_on, COQUIC_STATUS_INVALID_ARGUMENT);
}

TEST(migration_to_a_dead_path_reports_failure_and_stays_on_the_old_one) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c;
    const event_record *e = migrate_and_wait(p, 3, true, &c);
    bool failed = e && e->conn == c && e->b == 0;
    /* back on route 1: the data sent during the attempt still arrives */
    upload u = {0, 20000};
    bool arrived = pair_run_until(p, server_has, &u, 20000000);
    size_t client_failures = p->client.failed_count;
    pair_free(p);
    CHECK(failed);
    CHECK(arrived);
    CHECK_EQ(client_failures, 0);
}

TEST(migration_path_effects_are_off_by_default) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    CHECK(migrate(p, c, 2));
    send_chunk(p, c, 0, 20000, true);
    upload u = {0, 20000};
    bool arrived = pair_run_until(p, server_has, &u, 10000000);
    pair_run_until(p, never, NULL, 500000);
    size_t effects = side_count(&p->client, (coquic_effect_kind_t)COQUIC_X_EFFECT_PATH_VALIDATION, 2);
    pair_free(p);
    CHECK(arrived);
    CHECK_EQ(effects, 0);
}
