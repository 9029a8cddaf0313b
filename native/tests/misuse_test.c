/* Protocol misuse comes back as OK + a local error (never a status, never packets). */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

typedef struct misuse {
    coquic_status_t status;
    bool has_error;
    coquic_local_error_t error;
    size_t datagrams; /* SEND_DATAGRAM effects in the same result */
} misuse;

/* Takes the result by address: `st` is the call that fills *rp, evaluated before the body. */
static misuse inspect(pair *p, side *s, coquic_status_t st, coquic_result_t **rp) {
    coquic_result_t *r = *rp;
    misuse m;
    memset(&m, 0, sizeof m);
    m.status = st;
    if (st != COQUIC_STATUS_OK) return m;
    m.has_error = coquic_result_has_local_error(r);
    if (m.has_error && coquic_result_local_error(r, &m.error) != COQUIC_STATUS_OK) m.has_error = false;
    coquic_x_result_summary_t sum;
    coquic_x_result_summary(r, &sum);
    m.datagrams = (size_t)sum.datagram_count;
    pair_absorb(p, s, r);
    return m;
}

static misuse send_on(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, bool fin) {
    uint8_t byte = 1;
    coquic_send_stream_data_t d = {sizeof d, stream, {&byte, 1}, fin, 0};
    coquic_result_t *r = NULL;
    coquic_status_t st = coquic_connection_send_stream(s->ep, conn, &d, p->now, &r);
    return inspect(p, s, st, &r);
}

#define CHECK_LOCAL_ERROR(m, code_, conn_)                                         \
    do {                                                                           \
        CHECK_EQ((m).status, COQUIC_STATUS_OK);                                    \
        CHECK((m).has_error);                                                      \
        CHECK_EQ((m).error.code, code_);                                           \
        CHECK_EQ((m).error.connection.has_value, 1);                               \
        CHECK_EQ((m).error.connection.value, conn_);                               \
    } while (0)

#define CHECK_STREAM(m, id)                                                        \
    do {                                                                           \
        CHECK_EQ((m).error.stream_id.has_value, 1);                                \
        CHECK_EQ((m).error.stream_id.value, id);                                   \
    } while (0)

/* Every connection command on an unknown handle: UNSUPPORTED_OPERATION naming it, no packets. */
TEST(misuse_unknown_connection_for_every_command) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_endpoint_t *ep = p->client.ep;
    coquic_result_t *r;
    misuse m = send_on(p, &p->client, 99, 0, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    CHECK_EQ(m.datagrams, 0);
    uint8_t b = 1;
    coquic_send_datagram_data_t dd = {sizeof dd, {&b, 1}, 0};
    m = inspect(p, &p->client, coquic_connection_send_datagram(ep, 99, &dd, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    coquic_reset_stream_t rs = {sizeof rs, 0, 1};
    m = inspect(p, &p->client, coquic_connection_reset_stream(ep, 99, &rs, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    coquic_stop_sending_t ss = {sizeof ss, 0, 1};
    m = inspect(p, &p->client, coquic_connection_stop_sending(ep, 99, &ss, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    coquic_close_connection_t cl = {sizeof cl, 0, NULL, 0};
    m = inspect(p, &p->client, coquic_connection_close(ep, 99, &cl, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    m = inspect(p, &p->client, coquic_connection_request_key_update(ep, 99, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    coquic_request_connection_migration_t mg = {sizeof mg, 5, 0, {NULL, 0}};
    m = inspect(p, &p->client, coquic_connection_request_migration(ep, 99, &mg, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    coquic_connection_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE;
    m = inspect(p, &p->client, coquic_connection_advance(ep, 99, &in, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    m = inspect(p, &p->client, coquic_x_connection_consume(ep, 99, 0, 10, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 99);
    /* handle 0 is never valid either */
    m = send_on(p, &p->client, 0, 0, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, 0);
    /* the real connection is untouched */
    CHECK_EQ(p->client.close_count, 0);
    CHECK_EQ(coquic_endpoint_connection_count(ep), 1);
    pair_free(p);
}

TEST(misuse_stream_ids_and_directions) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_connection_handle_t s = side_accepted(&p->server);
    /* client sends on a server-initiated unidirectional stream */
    misuse m = send_on(p, &p->client, c, 3, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, c);
    CHECK_STREAM(m, 3);
    CHECK_EQ(m.datagrams, 0);
    /* the client opens uni stream 2; the server may not send on it */
    m = send_on(p, &p->client, c, 2, false);
    CHECK(!m.has_error);
    m = send_on(p, &p->server, s, 2, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, s);
    CHECK_STREAM(m, 2);
    /* nor reset it (no send side), while the client may not STOP_SENDING it (no receive side) */
    coquic_result_t *r;
    m = inspect(p, &p->server, coquic_quic_stream_reset(p->server.ep, s, 2, 1, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, s);
    m = inspect(p, &p->client, coquic_quic_stream_stop_sending(p->client.ep, c, 2, 1, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, c);
    /* a server-initiated bidi stream the server never opened */
    m = send_on(p, &p->client, c, 1, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, c);
    /* stream ids end at 2^62 - 1 */
    m = send_on(p, &p->client, c, 1ull << 62, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, c);
    m = send_on(p, &p->client, c, UINT64_MAX, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, c);
    /* the server may open its own streams 1 and 3 */
    m = send_on(p, &p->server, s, 1, true);
    CHECK(!m.has_error);
    m = send_on(p, &p->server, s, 3, true);
    CHECK(!m.has_error);
    CHECK_EQ(p->client.close_count + p->server.close_count, 0);
    pair_free(p);
}

TEST(misuse_send_after_fin) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    misuse m = send_on(p, &p->client, c, 8, true);
    CHECK(!m.has_error);
    m = send_on(p, &p->client, c, 8, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, c);
    CHECK_STREAM(m, 8);
    CHECK_EQ(m.datagrams, 0);
    coquic_result_t *r;
    m = inspect(p, &p->client, coquic_quic_stream_finish(p->client.ep, c, 8, p->now, &r), &r);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, c);
    /* before the FIN is even sent (pre-handshake queueing) the rule is the same */
    coquic_connection_handle_t c2 = pair_connect(p);
    m = send_on(p, &p->client, c2, 0, true);
    CHECK(!m.has_error);
    m = send_on(p, &p->client, c2, 0, false);
    CHECK_LOCAL_ERROR(m, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, c2);
    pair_free(p);
}

TEST(misuse_open_connection_on_a_server_endpoint) {
    pair *p = pair_new(NULL);
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    uint8_t cid[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    open.connection.source_connection_id = (coquic_bytes_t){cid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){cid, 8};
    open.initial_route_handle = 1;
    coquic_result_t *r;
    misuse m = inspect(p, &p->server, coquic_endpoint_open_connection(p->server.ep, &open, p->now, &r), &r);
    CHECK_EQ(m.status, COQUIC_STATUS_OK);
    CHECK(m.has_error);
    CHECK_EQ(m.error.code, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION);
    CHECK_EQ(m.datagrams, 0);
    coquic_connection_handle_t h = 123;
    CHECK_EQ(coquic_quic_connect(p->server.ep, &open, p->now, &h, &r), COQUIC_STATUS_OK);
    CHECK_EQ(h, 0); /* no CREATED lifecycle effect, so no handle */
    CHECK(coquic_result_has_local_error(r));
    coquic_result_destroy(r);
    CHECK_EQ(coquic_endpoint_connection_count(p->server.ep), 0);
    pair_free(p);
}

/* A second client connection with an empty source CID while another uses one (§1.5). */
static void empty_scid(coquic_open_connection_t *open, void *ctx) { open->connection.source_connection_id.length = 0; }

TEST(misuse_second_empty_source_cid) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c1 = pair_connect_with(p, empty_scid, NULL);
    CHECK(c1 != 0);
    CHECK_EQ(p->client.local_error_count, 0);
    coquic_connection_handle_t c2 = pair_connect_with(p, empty_scid, NULL);
    CHECK_EQ(c2, 0);
    CHECK_EQ(p->client.local_error_count, 1);
    CHECK_EQ(p->client.last_local_error.code, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION);
    /* the first one (zero-length CID) still completes a handshake */
    CHECK(pair_run_until(p, pred_confirmed, &c1, 10000000));
    pair_free(p);
}

/* Every connection_input kind through coquic_connection_advance behaves like its direct call. */
static bool server_stream_fin(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, *(uint64_t *)ctx)->fin;
}
static bool server_got_datagram(pair *p, void *ctx) { return p->server.datagram_count > 0; }
static bool server_closed_by_peer(pair *p, void *ctx) { return p->server.close_count > 0; }

TEST(misuse_advance_applies_every_kind) {
    pair *p = pair_new(NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    coquic_result_t *r;
    coquic_connection_input_t in;
    uint8_t data[100];
    pattern_fill(data, sizeof data, 0, 4);
    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_SEND_STREAM;
    in.as.send_stream = (coquic_send_stream_data_t){sizeof(coquic_send_stream_data_t), 4, {data, sizeof data}, 1, 0};
    misuse m = inspect(p, &p->client, coquic_connection_advance(p->client.ep, c, &in, p->now, &r), &r);
    CHECK(!m.has_error);
    uint64_t stream = 4;
    CHECK(pair_run_until(p, server_stream_fin, &stream, 10000000));
    CHECK_EQ(side_stream(&p->server, side_accepted(&p->server), 4)->next_offset, sizeof data);

    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_SEND_DATAGRAM;
    in.as.send_datagram = (coquic_send_datagram_data_t){sizeof(coquic_send_datagram_data_t), {data, 40}, 0};
    m = inspect(p, &p->client, coquic_connection_advance(p->client.ep, c, &in, p->now, &r), &r);
    CHECK(!m.has_error);
    CHECK(pair_run_until(p, server_got_datagram, NULL, 10000000));
    CHECK_EQ(p->server.datagram_lens[0], 40);

    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE;
    m = inspect(p, &p->client, coquic_connection_advance(p->client.ep, c, &in, p->now, &r), &r);
    CHECK(!m.has_error);

    memset(&in, 0, sizeof in);
    in.kind = COQUIC_CONNECTION_INPUT_CLOSE;
    in.as.close = (coquic_close_connection_t){sizeof(coquic_close_connection_t), 7, "adv", 3};
    m = inspect(p, &p->client, coquic_connection_advance(p->client.ep, c, &in, p->now, &r), &r);
    CHECK(!m.has_error);
    CHECK(pair_run_until(p, server_closed_by_peer, NULL, 10000000));
    CHECK_EQ(p->server.closes[0].error_code, 7);
    CHECK(strcmp(p->server.close_reasons[0], "adv") == 0);

    /* an unknown kind is a C-level error */
    memset(&in, 0, sizeof in);
    in.kind = 200;
    r = (coquic_result_t *)(uintptr_t)1;
    CHECK_EQ(coquic_connection_advance(p->client.ep, c, &in, p->now, &r), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    pair_free(p);
}
