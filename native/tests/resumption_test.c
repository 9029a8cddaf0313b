/* Session tickets, resumption, 0-RTT (accepted, rejected, replayed) and NEW_TOKEN. */
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "test.h"

#define LIMIT_US 10000000

static bool client_confirmed(pair *p, void *ctx) {
    return side_has_state(&p->client, *(coquic_connection_handle_t *)ctx, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
}
static bool client_ready(pair *p, void *ctx) {
    return side_has_state(&p->client, *(coquic_connection_handle_t *)ctx, COQUIC_STATE_CHANGE_HANDSHAKE_READY);
}
static bool has_ticket(pair *p, void *ctx) { return p->client.resumption_count > 0; }
static bool has_token(pair *p, void *ctx) { return p->client.new_token_count > 0; }

/* The server connection accepted n-th (0-based), or 0. */
static coquic_connection_handle_t nth_accepted(const side *s, size_t n) {
    const event_record *e = side_find(s, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED, n);
    return e ? e->conn : 0;
}

static bool second_stream0_fin(pair *p, void *ctx) {
    coquic_connection_handle_t s = nth_accepted(&p->server, 1);
    return s && side_stream(&p->server, s, 0)->fin;
}

/* 0-RTT status of a client connection: the last one reported, or -1. */
static int zero_rtt_status(const side *s, coquic_connection_handle_t conn) {
    int status = -1;
    for (size_t i = 0; i < s->event_count; i++)
        if (s->events[i].kind == COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT && s->events[i].conn == conn)
            status = (int)s->events[i].a;
    return status;
}

typedef struct resume_ctx {
    coquic_resumption_state_t state;
    uint8_t attempt;
    const char *context;
} resume_ctx;

static void with_resumption(coquic_open_connection_t *open, void *ctx) {
    resume_ctx *r = ctx;
    open->connection.resumption_state = &r->state;
    open->connection.zero_rtt.attempt = r->attempt;
    if (r->context)
        open->connection.zero_rtt.application_context = (coquic_bytes_t){(const uint8_t *)r->context, strlen(r->context)};
}

static void with_context_a(coquic_open_connection_t *open, void *ctx) {
    open->connection.zero_rtt.application_context = (coquic_bytes_t){(const uint8_t *)"a", 1};
}

static void allow_0rtt(coquic_endpoint_config_t *c) { c->zero_rtt.allow = 1; }

/* First connection until the client holds a ticket; returns the pair or NULL. */
static pair *pair_with_ticket(pair_options *o, void (*tweak)(coquic_open_connection_t *, void *), uint64_t *server_bytes) {
    pair *p = pair_new(o);
    coquic_connection_handle_t c = pair_connect_with(p, tweak, NULL);
    bool ready = pair_run_until(p, client_ready, &c, LIMIT_US);
    if (server_bytes) *server_bytes = p->server.bytes_sent;
    if (!ready || !pair_run_until(p, client_confirmed, &c, LIMIT_US) || !pair_run_until(p, has_ticket, NULL, LIMIT_US)) {
        pair_free(p);
        return NULL;
    }
    return p;
}

TEST(server_issues_a_ticket_and_the_client_resumes) {
    pair *p = pair_with_ticket(NULL, NULL, NULL);
    CHECK(p);
    CHECK(p->client.resumption_len > 5 && p->client.resumption[0] == 0x01);
    resume_ctx r = {.state = {{p->client.resumption, p->client.resumption_len}}};
    coquic_connection_handle_t c2 = pair_connect_with(p, with_resumption, &r);
    bool ok = pair_run_until(p, client_ready, &c2, LIMIT_US);
    ok = ok && pair_run_until(p, client_confirmed, &c2, LIMIT_US);
    int status = zero_rtt_status(&p->client, c2);
    coquic_x_connection_stats_t st1 = {.size = sizeof st1}, st2 = {.size = sizeof st2};
    coquic_status_t r1 = coquic_x_connection_stats(p->client.ep, 1, &st1);
    coquic_status_t r2 = coquic_x_connection_stats(p->client.ep, c2, &st2);
    pair_free(p);
    CHECK(ok);
    CHECK_EQ(r1, COQUIC_STATUS_OK);
    CHECK_EQ(r2, COQUIC_STATUS_OK);
    CHECK_EQ(st1.resumed, 0);
    CHECK_EQ(st2.resumed, 1);
    CHECK_EQ(st2.early_data_accepted, 0);
    CHECK_EQ(status, -1); /* 0-RTT not asked for: no status */ /* 0-RTT not asked for: no status */
}

TEST(resumption_state_garbage_is_an_error_not_a_crash) {
    pair *p = pair_new(NULL);
    static const uint8_t junk[] = {0x01, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff};
    resume_ctx r = {.state = {{junk, sizeof junk}}, .attempt = 1};
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    uint8_t cid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    open.connection.source_connection_id = (coquic_bytes_t){cid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){cid, 8};
    with_resumption(&open, &r);
    coquic_connection_handle_t h = 0;
    coquic_result_t *res = NULL;
    coquic_status_t st = coquic_quic_connect(p->client.ep, &open, p->now, &h, &res);
    coquic_result_destroy(res);
    pair_free(p);
    CHECK_EQ(st, COQUIC_STATUS_INVALID_ARGUMENT);
}

/* Second connection with the ticket and 0-RTT data on stream 0; returns its handle. */
static coquic_connection_handle_t connect_early(pair *p, resume_ctx *r, size_t len) {
    r->state = (coquic_resumption_state_t){{p->client.resumption, p->client.resumption_len}};
    r->attempt = 1;
    coquic_connection_handle_t c2 = pair_connect_with(p, with_resumption, r);
    pair_send_pattern(p, &p->client, c2, 0, len, true);
    return c2;
}

TEST(zero_rtt_accepted_data_arrives_before_the_handshake_completes) {
    pair_options o = {.server_config = allow_0rtt};
    pair *p = pair_with_ticket(&o, NULL, NULL);
    CHECK(p);
    resume_ctx r = {0};
    const size_t len = 5000;
    coquic_connection_handle_t c2 = connect_early(p, &r, len);
    int attempted = zero_rtt_status(&p->client, c2);
    bool done = pair_run_until(p, second_stream0_fin, NULL, LIMIT_US) && pair_run_until(p, client_confirmed, &c2, LIMIT_US);
    coquic_connection_handle_t s2 = nth_accepted(&p->server, 1);
    stream_record *sr = side_stream(&p->server, s2, 0);
    const event_record *ready = side_event(&p->server, s2, COQUIC_EFFECT_STATE_EVENT, COQUIC_STATE_CHANGE_HANDSHAKE_READY);
    bool early = sr->has_data && ready && sr->first_at < ready->at;
    bool server_accepted = side_event(&p->server, s2, COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT, COQUIC_ZERO_RTT_ACCEPTED) != NULL;
    int final_status = zero_rtt_status(&p->client, c2);
    uint64_t size = sr->final_size, bad = sr->mismatches;
    bool offsets = !sr->offset_error;
    pair_free(p);
    CHECK_EQ(attempted, COQUIC_ZERO_RTT_ATTEMPTED);
    CHECK(done);
    CHECK_EQ(final_status, COQUIC_ZERO_RTT_ACCEPTED);
    CHECK(server_accepted);
    CHECK(early);
    CHECK_EQ(size, len);
    CHECK_EQ(bad, 0);
    CHECK(offsets);
}

/* The server refuses early data; every byte must still arrive, once, in order. */
static void check_rejected_resend(pair_options *o, void (*first_tweak)(coquic_open_connection_t *, void *),
                                  const char *context, int expected_status) {
    pair *p = pair_with_ticket(o, first_tweak, NULL);
    CHECK(p);
    resume_ctx r = {.context = context};
    const size_t len = 30000; /* more than one 0-RTT flight */
    coquic_connection_handle_t c2 = connect_early(p, &r, len);
    /* a second stream too: both must be re-opened in ID order */
    pair_send_pattern(p, &p->client, c2, 4, 2000, true);
    bool done = pair_run_until(p, second_stream0_fin, NULL, LIMIT_US);
    coquic_connection_handle_t s2 = nth_accepted(&p->server, 1);
    bool more = done;
    for (int i = 0; more && i < 1000 && !side_stream(&p->server, s2, 4)->fin; i++) more = pair_step(p);
    stream_record *a = side_stream(&p->server, s2, 0), *b = side_stream(&p->server, s2, 4);
    int status = zero_rtt_status(&p->client, c2);
    int server_status = zero_rtt_status(&p->server, s2);
    bool ok = a->fin && a->final_size == len && a->mismatches == 0 && !a->offset_error && b->fin &&
              b->final_size == 2000 && b->mismatches == 0 && !b->offset_error;
    const char *fault = pair_fault(p);
    pair_free(p);
    CHECK(fault == NULL);
    CHECK(done);
    CHECK_EQ(status, expected_status);
    /* the server reports a refusal too; with nothing offered it reports nothing */
    CHECK_EQ(server_status, expected_status == COQUIC_ZERO_RTT_REJECTED ? (int)COQUIC_ZERO_RTT_REJECTED : -1);
    CHECK(ok);
}

TEST(zero_rtt_rejected_by_the_server_is_resent_in_1rtt) { check_rejected_resend(NULL, NULL, NULL, COQUIC_ZERO_RTT_REJECTED); }

TEST(zero_rtt_with_another_application_context_is_not_attempted) {
    pair_options o = {.server_config = allow_0rtt};
    check_rejected_resend(&o, with_context_a, "b", COQUIC_ZERO_RTT_NOT_ATTEMPTED);
}

TEST(zero_rtt_without_a_ticket_is_not_attempted) {
    pair *p = pair_new(NULL);
    resume_ctx r = {.attempt = 1};
    coquic_connection_handle_t c = pair_connect_with(p, with_resumption, &r);
    int status = zero_rtt_status(&p->client, c);
    bool ok = pair_run_until(p, client_confirmed, &c, LIMIT_US);
    pair_free(p);
    CHECK_EQ(status, COQUIC_ZERO_RTT_NOT_ATTEMPTED);
    CHECK(ok);
}

TEST(zero_rtt_replayed_initial_gets_no_early_data) {
    pair_options o = {.server_config = allow_0rtt};
    pair *p = pair_with_ticket(&o, NULL, NULL);
    CHECK(p);
    resume_ctx r = {0};
    p->capture = true;
    size_t first_captured = p->captured_count;
    coquic_connection_handle_t c2 = connect_early(p, &r, 3000);
    p->capture = false;
    size_t flight = p->captured_count - first_captured; /* Initial + 0-RTT, before any answer */
    bool done = pair_run_until(p, second_stream0_fin, NULL, LIMIT_US) && pair_run_until(p, client_confirmed, &c2, LIMIT_US);
    int status = zero_rtt_status(&p->client, c2);
    /* once both connections are gone, the replay looks like a new connection */
    coquic_close_connection_t close = {sizeof close, 0, NULL, 0};
    for (coquic_connection_handle_t h = 1; h <= c2; h++) {
        coquic_result_t *res = NULL;
        if (coquic_connection_close(p->client.ep, h, &close, p->now, &res) == COQUIC_STATUS_OK) pair_absorb(p, &p->client, res);
    }
    bool gone = pair_run_until(p, pred_no_connections, NULL, LIMIT_US);
    for (size_t i = first_captured; i < first_captured + flight; i++)
        pair_inject(p, &p->server, p->captured[i], p->captured_lens[i]);
    coquic_connection_handle_t s3 = nth_accepted(&p->server, 2);
    bool replay_data = s3 && side_stream(&p->server, s3, 0)->has_data;
    bool replay_accepted = s3 && side_event(&p->server, s3, COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT, COQUIC_ZERO_RTT_ACCEPTED);
    int first_server_status = zero_rtt_status(&p->server, nth_accepted(&p->server, 1));
    int replay_status = s3 ? zero_rtt_status(&p->server, s3) : -1;
    pair_free(p);
    CHECK(done);
    CHECK_EQ(status, COQUIC_ZERO_RTT_ACCEPTED);
    CHECK(flight > 0);
    CHECK(gone);
    CHECK(s3 != 0); /* the server did answer the replayed Initial */
    CHECK(!replay_accepted);
    CHECK(!replay_data);
    CHECK_EQ(first_server_status, COQUIC_ZERO_RTT_ACCEPTED);
    CHECK_EQ(replay_status, COQUIC_ZERO_RTT_REJECTED); /* the server says it refused the replay */
}

/* ---- NEW_TOKEN --------------------------------------------------------------------------------- */

static void retry_on(coquic_endpoint_config_t *c) { c->retry_enabled = 1; }

static void count_retries(pair *p, side *from, const uint8_t *b, size_t len, void *ctx) {
    /* QUIC v1 long header, type Retry (0b11) */
    if (from == &p->server && len > 0 && (b[0] & 0xf0) == 0xf0) ++*(size_t *)ctx;
}

TEST(new_token_lets_a_returning_client_skip_retry) {
    pair_options o = {.server_config = retry_on};
    pair *p = pair_new(&o);
    size_t retries = 0;
    p->tap = count_retries;
    p->tap_ctx = &retries;
    coquic_connection_handle_t c1 = pair_connect(p);
    bool ok1 = pair_run_until(p, client_confirmed, &c1, LIMIT_US) && pair_run_until(p, has_token, NULL, LIMIT_US);
    size_t retries_first = retries;
    coquic_connection_handle_t c2 = pair_connect(p);
    bool ok2 = pair_run_until(p, client_confirmed, &c2, LIMIT_US);
    size_t retries_second = retries - retries_first;
    size_t tokens = p->client.new_token_count;
    pair_free(p);
    CHECK(ok1);
    CHECK_EQ(retries_first, 1);
    CHECK(ok2);
    CHECK_EQ(retries_second, 0);
    CHECK(tokens >= 1);
}
