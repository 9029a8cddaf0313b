/* Several connections per endpoint, handshake failures, close variants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

static size_t conn_len(size_t i) { return 10000 + 37 * i; }

typedef struct many_ctx {
    coquic_connection_handle_t client[64];
    size_t n;
} many_ctx;

static bool all_answered(pair *p, void *ctx) {
    many_ctx *m = ctx;
    for (size_t i = 0; i < m->n; i++)
        if (!side_stream(&p->client, m->client[i], 0)->fin) return false;
    return true;
}

/* The server answers each finished request stream with the request's length (8 bytes). */
static void answer_requests(pair *p, bool *answered, size_t cap) {
    for (size_t i = 0; i < p->server.stream_count; i++) {
        stream_record *r = &p->server.streams[i];
        if (!r->fin || r->conn >= cap || answered[r->conn]) continue;
        answered[r->conn] = true;
        uint8_t len_be[8];
        for (int b = 0; b < 8; b++) len_be[b] = (uint8_t)(r->final_size >> (56 - 8 * b));
        pair_send(p, &p->server, r->conn, r->id, len_be, 8, true);
    }
}

/* 40 connections from one client endpoint to one server endpoint, all at once, each sending a
 * request of a different length: the server demultiplexes them by CID, and each client
 * connection gets back exactly its own length. */
TEST(connections_many_concurrent_are_kept_apart) {
    pair *p = pair_new(NULL);
    many_ctx m = {{0}, g_quick ? 10 : 40};
    for (size_t i = 0; i < m.n; i++) {
        m.client[i] = pair_connect(p);
        CHECK(m.client[i] != 0);
        if (i) CHECK(m.client[i] > m.client[i - 1]); /* handles grow, never reused */
        pair_send_pattern(p, &p->client, m.client[i], 0, conn_len(i), true);
    }
    bool answered[128] = {false};
    for (size_t steps = 0; !all_answered(p, &m) && steps < 2000000 && !pair_fault(p); steps++) {
        answer_requests(p, answered, 128);
        if (!pair_step(p)) break;
    }
    CHECK(all_answered(p, &m));
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), m.n);
    CHECK_EQ(side_count(&p->server, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED), m.n);
    for (size_t i = 0; i < m.n; i++) {
        stream_record *r = side_stream(&p->client, m.client[i], 0);
        CHECK_EQ(r->final_size, 8);
        uint64_t got = 0;
        for (int b = 0; b < 8; b++) got = got << 8 | r->data[b];
        CHECK_EQ(got, conn_len(i));
    }
    /* every server-side request arrived intact */
    for (size_t i = 0; i < p->server.stream_count; i++) CHECK_EQ(p->server.streams[i].mismatches, 0);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

static void alpn_other(coquic_endpoint_config_t *c) {
    c->application_protocol = "other-proto";
    c->application_protocol_length = 11;
}
static bool client_failed(pair *p, void *ctx) { return p->client.close_count > 0; }
static bool both_gone(pair *p, void *ctx) { return pred_no_connections(p, ctx); }

/* ALPN mismatch: the server must refuse with CRYPTO_ERROR no_application_protocol (0x178,
 * RFC 9001 §8.1), so the client fails promptly (a few RTTs, not its 10 s handshake timeout)
 * with that transport error code; both endpoints then drop their state. */
TEST(connections_alpn_mismatch_fails_the_handshake) {
    pair_options o = {.server_config = alpn_other};
    pair *p = pair_new(&o);
    coquic_connection_handle_t c = pair_connect(p);
    bool failed = pair_run_until(p, client_failed, NULL, 15000000);
    uint64_t at = p->now;
    CHECK(failed);
    CHECK(!side_has_state(&p->client, c, COQUIC_STATE_CHANGE_HANDSHAKE_READY));
    CHECK(side_has_state(&p->client, c, COQUIC_STATE_CHANGE_FAILED));
    test_note("client close source %u app %u code 0x%llx reason '%s'", p->client.closes[0].source,
              p->client.closes[0].is_application_error, (unsigned long long)p->client.closes[0].error_code,
              p->client.close_reasons[0]);
    CHECK_EQ(p->client.closes[0].is_application_error, 0);
    CHECK_EQ(p->client.closes[0].source, COQUIC_X_CLOSE_SOURCE_PEER);
    CHECK_EQ(p->client.closes[0].error_code, 0x178);
    CHECK(at < 2000000);
    CHECK(pair_run_until(p, both_gone, NULL, 15000000));
    pair_free(p);
}

static void no_identity(coquic_endpoint_config_t *c) { c->identity = NULL; }

/* §4: a server without an identity accepts the Initial and fails it; nothing is confirmed and
 * no state leaks. */
TEST(connections_server_without_identity_never_completes) {
    pair_options o = {.server_config = no_identity};
    pair *p = pair_new(&o);
    CHECK(p != NULL);
    coquic_connection_handle_t c = pair_connect(p);
    bool confirmed = pair_run_until(p, pred_confirmed, &c, 3000000);
    CHECK(!confirmed);
    CHECK(!side_has_state(&p->client, c, COQUIC_STATE_CHANGE_HANDSHAKE_READY));
    /* the client gives up (peer close or its handshake timeout) and everything is dropped */
    CHECK(pair_run_until(p, both_gone, NULL, 30000000));
    CHECK(side_has_state(&p->client, c, COQUIC_STATE_CHANGE_FAILED));
    pair_free(p);
}

static bool client_closed_by_peer(pair *p, void *ctx) { return p->client.close_count > 0; }

/* The server closes; a long reason phrase arrives intact (up to the harness' 63-byte copy,
 * and its full length through the close info). */
TEST(connections_server_close_with_long_reason) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    char reason[300];
    for (size_t i = 0; i < sizeof reason; i++) reason[i] = (char)('a' + i % 26);
    coquic_close_connection_t cl = {sizeof cl, 0x3fffffffffffffffull, reason, sizeof reason};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_close(p->server.ep, side_accepted(&p->server), &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    CHECK(pair_run_until(p, client_closed_by_peer, NULL, 10000000));
    CHECK_EQ(p->client.closes[0].source, COQUIC_X_CLOSE_SOURCE_PEER);
    CHECK_EQ(p->client.closes[0].is_application_error, 1);
    CHECK_EQ(p->client.closes[0].error_code, 0x3fffffffffffffffull); /* the largest varint */
    CHECK(strncmp(p->client.close_reasons[0], reason, 63) == 0);
    CHECK(pair_run_until(p, both_gone, NULL, 10000000));
    pair_free(p);
}

/* Closing twice, and closing a connection that is still handshaking, are harmless. */
TEST(connections_close_twice_and_close_during_handshake) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    coquic_close_connection_t cl = {sizeof cl, 1, NULL, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    CHECK(side_has_state(&p->client, c, COQUIC_STATE_CHANGE_FAILED));
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    CHECK_EQ(side_count(&p->client, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_FAILED), 1);
    CHECK(pair_run_until(p, both_gone, NULL, 20000000));
    CHECK_EQ(side_count(&p->client, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_CLOSED), 1);
    CHECK(pair_fault(p) == NULL);
    /* a new connection on the same endpoints gets a new handle and works */
    coquic_connection_handle_t c2 = pair_connect(p);
    CHECK(c2 > c);
    CHECK(pair_run_until(p, pred_confirmed, &c2, 10000000) || side_has_state(&p->client, c2, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED));
    pair_free(p);
}

/* Destroying endpoints with live connections and queued data frees everything (valgrind). */
TEST(connections_destroy_with_live_state) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    pair_send_pattern(p, &p->client, c, 0, 3u << 20, false);
    uint8_t d[100] = {0};
    coquic_send_datagram_data_t dd = {sizeof dd, {d, sizeof d}, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &dd, p->now, &r), COQUIC_STATUS_OK);
    coquic_result_destroy(r); /* dropped on the floor: the endpoint must not care */
    pair_connect(p); /* and one still handshaking */
    for (int i = 0; i < 50; i++) pair_step(p);
    pair_free(p);
}

static bool server_failed(pair *p, void *ctx) { return p->server.failed_count > 0; }

/* Closing in the middle of a bulk transfer (both directions busy): after FAILED neither side
 * reports any more stream data, datagrams or stream events for that connection. */
TEST(connections_close_during_bulk_transfer) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    pair_send_pattern(p, &p->client, c, 0, 8u << 20, true);
    pair_send_pattern(p, &p->server, s, 1, 8u << 20, true);
    for (int i = 0; i < 300; i++) pair_step(p); /* mid-transfer */
    uint8_t d[64] = {0};
    coquic_send_datagram_data_t dd = {sizeof dd, {d, sizeof d}, 0};
    coquic_result_t *r;
    CHECK_EQ(coquic_connection_send_datagram(p->client.ep, c, &dd, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    coquic_close_connection_t cl = {sizeof cl, 9, "stop", 4};
    CHECK_EQ(coquic_connection_close(p->server.ep, s, &cl, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->server, r);
    CHECK(server_failed(p, NULL));
    CHECK(pair_run_until(p, both_gone, NULL, 10000000));
    CHECK_EQ(p->client.close_count, 1);
    CHECK_EQ(p->client.closes[0].error_code, 9);
    CHECK_EQ(p->client.effects_after_failed, 0);
    CHECK_EQ(p->server.effects_after_failed, 0);
    /* whatever was delivered before is still a correct prefix */
    CHECK_EQ(side_stream(&p->server, s, 0)->mismatches, 0);
    CHECK_EQ(side_stream(&p->client, c, 1)->mismatches, 0);
    CHECK(!side_stream(&p->server, s, 0)->fin);
    pair_free(p);
}
