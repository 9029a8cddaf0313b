/* The native I/O extension: two endpoints on real loopback sockets in one process. */
#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "pair.h" /* pattern_byte, pattern_fill */
#include "test.h"

static const uint8_t LOOPBACK[4] = {127, 0, 0, 1};

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static coquic_endpoint_t *endpoint(coquic_role_t role) {
    const test_cert *cert = test_cert_for("localhost");
    coquic_tls_identity_t id = {cert->cert_pem, cert->cert_len, cert->key_pem, cert->key_len};
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.role = role;
    c.verify_peer = 0;
    c.identity = role == COQUIC_ROLE_SERVER ? &id : NULL;
    c.application_protocol = "coquic-test";
    c.application_protocol_length = 11;
    c.max_outbound_datagram_size = 1472;
    c.transport.pmtud_enabled = 0;
    c.transport.max_idle_timeout = 30000;
    c.transport.initial_max_data = 64u << 20;
    c.transport.initial_max_stream_data_bidi_local = 16u << 20;
    c.transport.initial_max_stream_data_bidi_remote = 16u << 20;
    c.transport.initial_max_stream_data_uni = 16u << 20;
    c.transport.initial_max_streams_bidi = 100;
    c.transport.initial_max_streams_uni = 100;
    coquic_endpoint_t *ep = NULL;
    return coquic_endpoint_create(&c, &ep) == COQUIC_STATUS_OK ? ep : NULL;
}

/* What one side saw, from the results it got back. */
typedef struct seen {
    bool ready, confirmed, failed;
    coquic_connection_handle_t accepted;
    uint64_t stream_bytes, mismatches;
    bool fin;
    size_t send_datagram_effects; /* must stay 0: the io sends them */
    uint64_t validated_route;     /* last PATH_VALIDATION effect: route and outcome */
    int validated;                /* -1 none, 0 failed, 1 succeeded */
} seen;

static void absorb(seen *s, coquic_result_t *r) {
    size_t n = 0;
    const coquic_effect_t *e = coquic_x_result_effects(r, &n);
    for (size_t i = 0; i < n; i++) {
        switch (e[i].kind) {
        case COQUIC_EFFECT_SEND_DATAGRAM: s->send_datagram_effects++; break;
        case COQUIC_EFFECT_STATE_EVENT:
            if (e[i].as.state_event.change == COQUIC_STATE_CHANGE_HANDSHAKE_READY) s->ready = true;
            if (e[i].as.state_event.change == COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED) s->confirmed = true;
            if (e[i].as.state_event.change == COQUIC_STATE_CHANGE_FAILED) s->failed = true;
            break;
        case COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT:
            if (e[i].as.connection_lifecycle_event.event == COQUIC_LIFECYCLE_ACCEPTED)
                s->accepted = e[i].as.connection_lifecycle_event.connection;
            break;
        case COQUIC_EFFECT_RECEIVE_STREAM_DATA: {
            const coquic_receive_stream_data_effect_t *d = &e[i].as.receive_stream_data;
            for (size_t k = 0; k < d->bytes.length; k++)
                s->mismatches += d->bytes.data[k] != pattern_byte(d->offset + k, d->stream_id);
            if (d->offset == s->stream_bytes) s->stream_bytes += d->bytes.length;
            else s->mismatches++; /* a gap: data must arrive in order here */
            if (d->fin) s->fin = true;
            break;
        }
        case COQUIC_X_EFFECT_PATH_VALIDATION: {
            const coquic_x_path_effect_t *x = (const coquic_x_path_effect_t *)(const void *)&e[i].as;
            s->validated_route = x->route_handle;
            s->validated = (int)x->succeeded;
            break;
        }
        default: break;
        }
    }
    coquic_result_destroy(r);
}

typedef struct io_link {
    coquic_endpoint_t *cep, *sep;
    coquic_x_io_t *cio, *sio;
    seen client, server;
    coquic_connection_handle_t conn;
} io_link;

/* A client connection to "localhost" over `route` (fixed connection IDs). */
static coquic_status_t connect_to(coquic_endpoint_t *ep, uint64_t route, coquic_connection_handle_t *conn,
                                  coquic_result_t **r) {
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    uint8_t scid[8] = {1, 2, 3, 4, 5, 6, 7, 8}, dcid[8] = {9, 10, 11, 12, 13, 14, 15, 16};
    open.connection.source_connection_id = (coquic_bytes_t){scid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){dcid, 8};
    open.connection.server_name = "localhost";
    open.connection.server_name_length = 9;
    open.initial_route_handle = route;
    return coquic_quic_connect(ep, &open, now_us(), conn, r);
}

static bool link_open(io_link *l) {
    memset(l, 0, sizeof *l);
    l->client.validated = l->server.validated = -1;
    l->cep = endpoint(COQUIC_ROLE_CLIENT);
    l->sep = endpoint(COQUIC_ROLE_SERVER);
    if (!l->cep || !l->sep) return false;
    if (coquic_x_io_bind(l->sep, LOOPBACK, 4, 0, 0, &l->sio) != COQUIC_STATUS_OK) return false;
    if (coquic_x_io_bind(l->cep, LOOPBACK, 4, 0, 0, &l->cio) != COQUIC_STATUS_OK) return false;
    uint8_t addr[16];
    uint16_t port = 0;
    if (coquic_x_io_local_address(l->sio, addr, &port) != 4 || port == 0) return false;
    uint64_t route = coquic_x_io_route(l->cio, addr, 4, port);
    if (route == COQUIC_X_NO_ROUTE) return false;
    coquic_result_t *r = NULL;
    if (connect_to(l->cep, route, &l->conn, &r) != COQUIC_STATUS_OK) return false;
    absorb(&l->client, r);
    return true;
}

static void link_close(io_link *l) {
    coquic_x_io_destroy(l->cio);
    coquic_x_io_destroy(l->sio);
    coquic_endpoint_destroy(l->cep);
    coquic_endpoint_destroy(l->sep);
}

/* Pumps both sides until done(l) or `limit_us` of wall time passes. */
static bool link_run(io_link *l, bool (*done)(const io_link *), uint64_t limit_us) {
    uint64_t end = now_us() + limit_us;
    while (!done(l)) {
        if (now_us() > end) return false;
        coquic_result_t *r = NULL;
        if (coquic_x_io_pump(l->sio, now_us(), &r) != COQUIC_STATUS_OK) return false;
        absorb(&l->server, r);
        if (coquic_x_io_pump(l->cio, now_us(), &r) != COQUIC_STATUS_OK) return false;
        absorb(&l->client, r);
        coquic_x_io_wait(l->sio, 200); /* a short nap while datagrams travel */
    }
    return true;
}

static bool both_confirmed(const io_link *l) { return l->client.confirmed && l->server.confirmed; }

static size_t transfer_size(void) { return g_quick ? (2u << 20) : (8u << 20); }
static bool all_received(const io_link *l) { return l->server.fin || l->server.mismatches > 0; }

TEST(io_handshake_transfer_offloads_and_ecn) {
    io_link l;
    bool opened = link_open(&l);
    bool confirmed = opened && link_run(&l, both_confirmed, 5000000);
    size_t size = transfer_size();
    uint8_t *data = malloc(size);
    pattern_fill(data, size, 0, 0);
    bool sent = false, received = false;
    if (confirmed) {
        coquic_send_stream_data_t d;
        memset(&d, 0, sizeof d);
        d.size = sizeof d;
        d.stream_id = 0;
        d.bytes = (coquic_bytes_t){data, size};
        d.fin = 1;
        coquic_result_t *r = NULL;
        sent = coquic_connection_send_stream(l.cep, l.conn, &d, now_us(), &r) == COQUIC_STATUS_OK;
        if (sent) absorb(&l.client, r);
        received = sent && link_run(&l, all_received, 20000000);
    }
    coquic_x_io_stats_t cs = {.size = sizeof cs}, ss = {.size = sizeof ss};
    bool stats_ok = opened && coquic_x_io_stats(l.cio, &cs) == COQUIC_STATUS_OK &&
                    coquic_x_io_stats(l.sio, &ss) == COQUIC_STATUS_OK;
    test_note("client sent %llu datagrams in %llu syscalls / %llu messages; server received %llu in %llu "
              "syscalls / %llu messages; ECT0 seen %llu/%llu",
              (unsigned long long)cs.send_datagrams, (unsigned long long)cs.send_syscalls,
              (unsigned long long)cs.send_messages, (unsigned long long)ss.recv_datagrams,
              (unsigned long long)ss.recv_syscalls, (unsigned long long)ss.recv_messages,
              (unsigned long long)ss.recv_ecn_ect0, (unsigned long long)cs.recv_ecn_ect0);
    if (getenv("COQUIC_TEST_VERBOSE"))
        fprintf(stderr, "    client: %llu datagrams, %llu sendmmsg, %llu messages; server: %llu datagrams, %llu "
                "recvmmsg, %llu messages, ECT0 %llu\n", (unsigned long long)cs.send_datagrams,
                (unsigned long long)cs.send_syscalls, (unsigned long long)cs.send_messages,
                (unsigned long long)ss.recv_datagrams, (unsigned long long)ss.recv_syscalls,
                (unsigned long long)ss.recv_messages, (unsigned long long)ss.recv_ecn_ect0);
    free(data);
    link_close(&l);
    CHECK(opened);
    CHECK(confirmed);
    CHECK(sent);
    CHECK(received);
    CHECK_EQ(l.server.mismatches, 0);
    CHECK_EQ(l.server.stream_bytes, size);
    CHECK_EQ(l.client.send_datagram_effects + l.server.send_datagram_effects, 0);
    CHECK(stats_ok);
    CHECK(cs.gso && ss.gro);
    CHECK(cs.send_datagrams > 2 * cs.send_syscalls);   /* GSO: several segments per sendmmsg */
    CHECK(cs.send_datagrams > 2 * cs.send_messages);   /* ... and per message */
    CHECK(ss.recv_datagrams > 2 * ss.recv_messages);   /* GRO: several segments per message */
    CHECK(ss.recv_ecn_ect0 > 0);                       /* ngtcp2 marks ECT(0); the marks survive */
    CHECK(cs.recv_ecn_ect0 > 0);
    CHECK(cs.send_ecn_marked > 0);
}

TEST(io_without_offloads_still_transfers) {
    io_link l;
    memset(&l, 0, sizeof l);
    l.cep = endpoint(COQUIC_ROLE_CLIENT);
    l.sep = endpoint(COQUIC_ROLE_SERVER);
    uint32_t off = COQUIC_X_IO_NO_GSO | COQUIC_X_IO_NO_GRO | COQUIC_X_IO_NO_ECN;
    bool bound = coquic_x_io_bind(l.sep, LOOPBACK, 4, 0, off, &l.sio) == COQUIC_STATUS_OK &&
                 coquic_x_io_bind(l.cep, LOOPBACK, 4, 0, off, &l.cio) == COQUIC_STATUS_OK;
    uint8_t addr[16];
    uint16_t port = 0;
    if (bound) coquic_x_io_local_address(l.sio, addr, &port);
    uint64_t route = bound ? coquic_x_io_route(l.cio, addr, 4, port) : COQUIC_X_NO_ROUTE;
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    uint8_t scid[8] = {1}, dcid[8] = {2};
    open.connection.source_connection_id = (coquic_bytes_t){scid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){dcid, 8};
    open.initial_route_handle = route;
    coquic_result_t *r = NULL;
    bool ok = route != COQUIC_X_NO_ROUTE && coquic_quic_connect(l.cep, &open, now_us(), &l.conn, &r) == COQUIC_STATUS_OK;
    if (ok) absorb(&l.client, r);
    ok = ok && link_run(&l, both_confirmed, 5000000);
    uint8_t data[100000];
    pattern_fill(data, sizeof data, 0, 0);
    coquic_send_stream_data_t d = {.size = sizeof d, .stream_id = 0, .bytes = {data, sizeof data}, .fin = 1};
    if (ok) ok = coquic_connection_send_stream(l.cep, l.conn, &d, now_us(), &r) == COQUIC_STATUS_OK;
    if (ok) absorb(&l.client, r);
    ok = ok && link_run(&l, all_received, 5000000);
    coquic_x_io_stats_t cs = {.size = sizeof cs}, ss = {.size = sizeof ss};
    coquic_x_io_stats(l.cio, &cs);
    coquic_x_io_stats(l.sio, &ss);
    link_close(&l);
    CHECK(bound);
    CHECK(ok);
    CHECK_EQ(l.server.stream_bytes, sizeof data);
    CHECK_EQ(l.server.mismatches, 0);
    CHECK(!cs.gso && !ss.gro && !ss.ecn);
    CHECK_EQ(cs.send_datagrams, cs.send_messages);
    CHECK_EQ(ss.recv_datagrams, ss.recv_messages);
    CHECK_EQ(ss.recv_ecn_ect0, 0);
}

TEST(io_bind_errors_are_statuses) {
    coquic_endpoint_t *a = endpoint(COQUIC_ROLE_SERVER), *b = endpoint(COQUIC_ROLE_SERVER);
    coquic_x_io_t *ia = NULL, *ib = NULL, *again = NULL;
    coquic_status_t first = coquic_x_io_bind(a, LOOPBACK, 4, 0, 0, &ia);
    uint16_t port = 0;
    coquic_x_io_local_address(ia, NULL, &port);
    coquic_status_t in_use = coquic_x_io_bind(b, LOOPBACK, 4, port, 0, &ib);
    char msg[256] = "";
    coquic_x_last_error_message(msg, sizeof msg);
    coquic_status_t twice = coquic_x_io_bind(a, LOOPBACK, 4, 0, 0, &again);
    coquic_status_t bad_len = coquic_x_io_bind(b, LOOPBACK, 3, 0, 0, &ib);
    uint64_t wrong_family = coquic_x_io_route(ia, (const uint8_t[16]){0}, 16, 443);
    coquic_status_t pump_null = coquic_x_io_pump(NULL, 0, &(coquic_result_t *){NULL});
    coquic_x_io_destroy(ia);
    coquic_endpoint_destroy(a);
    coquic_endpoint_destroy(b);
    CHECK_EQ(first, COQUIC_STATUS_OK);
    CHECK_EQ(in_use, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "in use") != NULL);
    CHECK(ib == NULL);
    CHECK_EQ(twice, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(bad_len, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(wrong_family, COQUIC_X_NO_ROUTE);
    CHECK_EQ(pump_null, COQUIC_STATUS_INVALID_ARGUMENT);
}

TEST(io_endpoint_destroyed_first_leaves_io_usable_for_destroy) {
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_CLIENT);
    coquic_x_io_t *io = NULL;
    CHECK_EQ(coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io), COQUIC_STATUS_OK);
    coquic_endpoint_destroy(ep);
    coquic_result_t *r = NULL;
    coquic_status_t st = coquic_x_io_pump(io, now_us(), &r);
    coquic_x_io_destroy(io);
    CHECK_EQ(st, COQUIC_STATUS_INVALID_ARGUMENT);
}

/* ---- waiting ------------------------------------------------------------------------------------ */

typedef struct waiter_ctx {
    coquic_x_io_t *io;
    int64_t timeout;
    int32_t result;
    uint64_t returned_at;
} waiter_ctx;

static void *wait_thread(void *arg) {
    waiter_ctx *w = arg;
    w->result = coquic_x_io_wait(w->io, w->timeout);
    w->returned_at = now_us();
    return NULL;
}

TEST(io_wait_is_interrupted_by_close_promptly) {
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_SERVER);
    coquic_x_io_t *io = NULL;
    CHECK_EQ(coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io), COQUIC_STATUS_OK);
    waiter_ctx w = {io, -1, -1, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_thread, &w);
    usleep(50000);
    uint64_t closed_at = now_us();
    coquic_x_io_close(io);
    pthread_join(t, NULL);
    int32_t after = coquic_x_io_wait(io, -1); /* a wait after close returns at once */
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    CHECK_EQ(w.result, COQUIC_X_IO_WAIT_CLOSED);
    CHECK(w.returned_at - closed_at < 100000);
    CHECK_EQ(after, COQUIC_X_IO_WAIT_CLOSED);
}

TEST(io_wait_reports_timeout_interrupt_and_readable) {
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_SERVER);
    coquic_x_io_t *io = NULL;
    CHECK_EQ(coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io), COQUIC_STATUS_OK);
    uint64_t t0 = now_us();
    int32_t timeout = coquic_x_io_wait(io, 20000);
    uint64_t waited = now_us() - t0;
    coquic_x_io_interrupt(io);
    int32_t interrupted = coquic_x_io_wait(io, -1);
    uint16_t port = 0;
    coquic_x_io_local_address(io, NULL, &port);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    memcpy(&to.sin_addr, LOOPBACK, 4);
    sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to);
    close(s);
    int32_t ready = coquic_x_io_wait(io, 1000000);
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    CHECK_EQ(timeout, COQUIC_X_IO_WAIT_TIMEOUT);
    CHECK(waited >= 19000 && waited < 500000);
    CHECK_EQ(interrupted, COQUIC_X_IO_WAIT_INTERRUPTED);
    CHECK_EQ(ready, COQUIC_X_IO_WAIT_READY);
}

static atomic_int callbacks;
static atomic_int last_result;
static void on_ready(uint32_t token, int32_t result) {
    (void)token;
    atomic_store(&last_result, result);
    atomic_fetch_add(&callbacks, 1);
}

static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

TEST(io_waiter_thread_calls_back_and_stops_on_close) {
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_SERVER);
    coquic_x_io_t *io = NULL;
    CHECK_EQ(coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io), COQUIC_STATUS_OK);
    atomic_store(&callbacks, 0);
    CHECK_EQ(coquic_x_io_waiter_start(io, on_ready, 7), COQUIC_STATUS_OK);
    coquic_x_io_waiter_arm(io, 10000);
    for (int i = 0; i < 500 && atomic_load(&callbacks) == 0; i++) usleep(2000);
    int after_timeout = atomic_load(&callbacks), timeout_result = atomic_load(&last_result);
    coquic_x_io_waiter_arm(io, -1); /* waits forever: close must end it */
    usleep(20000);
    uint64_t t0 = now_us();
    coquic_x_io_close(io);
    uint64_t close_took = now_us() - t0;
    int after_close = atomic_load(&callbacks);
    usleep(20000);
    int later = atomic_load(&callbacks);
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    CHECK_EQ(after_timeout, 1);
    CHECK_EQ(timeout_result, COQUIC_X_IO_WAIT_TIMEOUT);
    CHECK(close_took < 100000);
    CHECK_EQ(after_close, 1); /* no callback for the wait close ended */
    CHECK_EQ(later, 1);
}

TEST(io_repeated_open_close_leaks_no_thread) {
    int cycles = g_quick ? 20 : 200;
    int before = thread_count();
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_CLIENT);
    for (int i = 0; i < cycles; i++) {
        coquic_x_io_t *io = NULL;
        if (coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io) != COQUIC_STATUS_OK) break;
        coquic_x_io_waiter_start(io, on_ready, (uint32_t)i);
        coquic_x_io_waiter_arm(io, -1);
        coquic_x_io_destroy(io);
    }
    int after = thread_count();
    coquic_endpoint_destroy(ep);
    CHECK(before > 0);
    CHECK_EQ(after, before);
}

/* ---- the hub: one wait for many ios ----------------------------------------------------------- */

static void poke(coquic_x_io_t *io) {
    uint16_t port = 0;
    coquic_x_io_local_address(io, NULL, &port);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    memcpy(&to.sin_addr, LOOPBACK, 4);
    sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to);
    close(s);
}

TEST(io_hub_reports_ready_ios_by_token) {
    coquic_endpoint_t *ep[3];
    coquic_x_io_t *io[3];
    coquic_x_io_hub_t *hub = NULL;
    CHECK_EQ(coquic_x_io_hub_create(&hub), COQUIC_STATUS_OK);
    for (int i = 0; i < 3; i++) {
        ep[i] = endpoint(COQUIC_ROLE_SERVER);
        CHECK_EQ(coquic_x_io_bind(ep[i], LOOPBACK, 4, 0, 0, &io[i]), COQUIC_STATUS_OK);
        CHECK_EQ(coquic_x_io_hub_add(hub, io[i], 100 + i), COQUIC_STATUS_OK);
    }
    int32_t idle = coquic_x_io_hub_wait(hub, 10000);
    poke(io[1]);
    poke(io[2]);
    usleep(10000);
    int32_t n = coquic_x_io_hub_wait(hub, 1000000);
    uint32_t tokens[8] = {0};
    size_t got = coquic_x_io_hub_ready(hub, tokens, 8);
    for (int i = 1; i < 3; i++) { /* level-triggered: consume, or the next wait reports them again */
        coquic_result_t *r = NULL;
        coquic_x_io_pump(io[i], now_us(), &r);
        coquic_result_destroy(r);
    }
    coquic_x_io_hub_interrupt(hub);
    int32_t interrupted = coquic_x_io_hub_wait(hub, -1);
    coquic_status_t twice = coquic_x_io_hub_add(hub, io[0], 7);
    for (int i = 0; i < 3; i++) {
        coquic_x_io_destroy(io[i]); /* removes itself from the hub */
        coquic_endpoint_destroy(ep[i]);
    }
    int32_t empty = coquic_x_io_hub_wait(hub, 0);
    coquic_x_io_hub_destroy(hub);
    CHECK_EQ(idle, 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(got, 2);
    CHECK((tokens[0] == 101 && tokens[1] == 102) || (tokens[0] == 102 && tokens[1] == 101));
    CHECK_EQ(interrupted, -1);
    CHECK_EQ(twice, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(empty, 0);
}

static atomic_int hub_calls, hub_last;
static void on_hub(uint32_t token, int32_t n) {
    (void)token;
    atomic_store(&hub_last, n);
    atomic_fetch_add(&hub_calls, 1);
}

/* A hub holding one bound server io under `token`; the hub callback counters reset. */
static bool hub_with_one_io(coquic_x_io_hub_t **hub, coquic_endpoint_t **ep, coquic_x_io_t **io, uint32_t token) {
    if (coquic_x_io_hub_create(hub) != COQUIC_STATUS_OK) return false;
    *ep = endpoint(COQUIC_ROLE_SERVER);
    if (coquic_x_io_bind(*ep, LOOPBACK, 4, 0, 0, io) != COQUIC_STATUS_OK) return false;
    if (coquic_x_io_hub_add(*hub, *io, token) != COQUIC_STATUS_OK) return false;
    atomic_store(&hub_calls, 0);
    return true;
}

TEST(io_hub_thread_calls_back_survives_removal_and_stops_promptly) {
    int before = thread_count();
    coquic_x_io_hub_t *hub = NULL;
    coquic_endpoint_t *ep = NULL;
    coquic_x_io_t *io = NULL;
    CHECK(hub_with_one_io(&hub, &ep, &io, 5));
    CHECK_EQ(coquic_x_io_hub_start(hub, on_hub, 1), COQUIC_STATUS_OK);
    coquic_x_io_hub_arm(hub, -1);
    poke(io);
    for (int i = 0; i < 500 && atomic_load(&hub_calls) == 0; i++) usleep(2000);
    int calls = atomic_load(&hub_calls), ready = atomic_load(&hub_last);
    coquic_result_t *r = NULL;
    coquic_x_io_pump(io, now_us(), &r); /* consume the datagram */
    coquic_result_destroy(r);
    coquic_x_io_hub_arm(hub, -1); /* waits forever */
    usleep(10000);
    coquic_x_io_destroy(io); /* while the hub waits */
    coquic_endpoint_destroy(ep);
    usleep(10000);
    uint64_t t0 = now_us();
    coquic_x_io_hub_stop(hub);
    uint64_t took = now_us() - t0;
    int during = thread_count();
    int cycles = g_quick ? 20 : 200;
    for (int i = 0; i < cycles; i++) { /* start/stop again and again: no thread stays behind */
        coquic_x_io_hub_start(hub, on_hub, 1);
        coquic_x_io_hub_arm(hub, -1);
        coquic_x_io_hub_stop(hub);
    }
    int after = thread_count();
    coquic_x_io_hub_destroy(hub);
    CHECK_EQ(calls, 1);
    CHECK_EQ(ready, 1);
    CHECK(took < 100000);
    CHECK_EQ(atomic_load(&hub_calls), 1);
    CHECK_EQ(during, before);
    CHECK_EQ(after, before);
}

/* Retire (for Deno, whose thread-safe callbacks block the calling thread until JavaScript ran
 * them): no join and no call after it; start refuses until the thread has ended, then starts a
 * new one; repeated retire/start cycles leave no thread behind. */
static coquic_status_t restart(coquic_x_io_hub_t *hub) {
    coquic_status_t st = COQUIC_STATUS_INVALID_ARGUMENT;
    for (int i = 0; i < 1000 && st != COQUIC_STATUS_OK; i++) {
        st = coquic_x_io_hub_start(hub, on_hub, 1); /* refused only while the old thread ends */
        if (st != COQUIC_STATUS_OK) usleep(200);
    }
    return st;
}

TEST(io_hub_retire_ends_the_thread_without_a_join_and_restarts) {
    int before = thread_count();
    coquic_x_io_hub_t *hub = NULL;
    coquic_endpoint_t *ep = NULL;
    coquic_x_io_t *io = NULL;
    CHECK(hub_with_one_io(&hub, &ep, &io, 7));
    coquic_x_io_hub_retire(hub); /* no thread yet: nothing happens */
    CHECK_EQ(coquic_x_io_hub_start(hub, on_hub, 1), COQUIC_STATUS_OK);
    coquic_x_io_hub_arm(hub, -1); /* waits forever */
    usleep(5000);
    uint64_t t0 = now_us();
    coquic_x_io_hub_retire(hub);
    coquic_x_io_hub_retire(hub); /* twice: harmless */
    poke(io); /* readable now, but the thread has stopped: no call */
    CHECK_EQ(restart(hub), COQUIC_STATUS_OK);
    uint64_t took = now_us() - t0;
    CHECK(took < 100000);
    CHECK_EQ(atomic_load(&hub_calls), 0);
    coquic_x_io_hub_arm(hub, -1); /* the new thread reports the datagram waiting */
    for (int i = 0; i < 500 && atomic_load(&hub_calls) == 0; i++) usleep(2000);
    CHECK_EQ(atomic_load(&hub_calls), 1);
    CHECK_EQ(atomic_load(&hub_last), 1);
    coquic_result_t *r = NULL;
    coquic_x_io_pump(io, now_us(), &r); /* consume it */
    coquic_result_destroy(r);
    int cycles = g_quick ? 20 : 200;
    for (int i = 0; i < cycles; i++) {
        coquic_x_io_hub_arm(hub, -1);
        coquic_x_io_hub_retire(hub);
        CHECK_EQ(restart(hub), COQUIC_STATUS_OK);
    }
    coquic_x_io_hub_retire(hub);
    coquic_x_io_hub_stop(hub); /* joins the retired thread */
    int after = thread_count();
    CHECK_EQ(atomic_load(&hub_calls), 1); /* interrupted waits were never reported */
    coquic_x_io_hub_remove(hub, io);
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    coquic_x_io_hub_destroy(hub);
    CHECK_EQ(after, before);
}

/* ---- the peer table stays bounded ------------------------------------------------------------- */

TEST(io_peer_table_prunes_idle_peers_keeps_pinned_routes) {
    CHECK_EQ(sizeof(coquic_x_io_stats_t), 152);
    CHECK_EQ(offsetof(coquic_x_io_stats_t, peers), 136);
    CHECK_EQ(offsetof(coquic_x_io_stats_t, gso), 144);
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_SERVER);
    coquic_x_io_t *io = NULL;
    CHECK_EQ(coquic_x_io_bind(ep, LOOPBACK, 4, 0, 0, &io), COQUIC_STATUS_OK);
    uint16_t port = 0;
    coquic_x_io_local_address(io, NULL, &port);
    uint64_t pinned = coquic_x_io_route(io, LOOPBACK, 4, 9); /* handed out: must survive */
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    memcpy(&to.sin_addr, LOOPBACK, 4);
    /* a long header whose connection ID length is invalid: the engine drops it unanswered */
    uint8_t junk[64] = {0xc0, 0, 0, 0, 1, 0xff};
    size_t peak = 0;
    for (int i = 0; i < 6000; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) break;
        ssize_t rc = sendto(fd, junk, sizeof junk, 0, (const struct sockaddr *)&to, sizeof to);
        (void)rc;
        close(fd); /* the next socket gets another ephemeral port: a new peer address */
        if (i % 500 == 499) {
            coquic_result_t *r = NULL;
            if (coquic_x_io_pump(io, now_us(), &r) == COQUIC_STATUS_OK) coquic_result_destroy(r);
            coquic_x_io_stats_t s = {.size = sizeof s};
            coquic_x_io_stats(io, &s);
            if (s.peers > peak) peak = s.peers;
        }
    }
    coquic_x_io_stats_t s = {.size = sizeof s};
    coquic_x_io_stats(io, &s);
    uint16_t pinned_port = 0;
    uint8_t family = coquic_x_io_route_address(io, pinned, NULL, &pinned_port);
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    CHECK(s.recv_datagrams >= 5000); /* the socket buffer took them all */
    /* read after each pump, which prunes once the table reached 4096: without pruning it
     * would hold one peer per datagram */
    CHECK(peak < 4096 + 500);
    CHECK(s.peers < 4096);
    CHECK_EQ(family, 4);
    CHECK_EQ(pinned_port, 9);
}

/* ---- a client's second socket (coquic_x_io_bind_path) ------------------------------------ */

static bool send_pattern(io_link *l, const uint8_t *data, size_t from, size_t to, bool fin) {
    coquic_send_stream_data_t d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.stream_id = 0;
    d.bytes = (coquic_bytes_t){data + from, to - from};
    d.fin = fin;
    coquic_result_t *r = NULL;
    if (coquic_connection_send_stream(l->cep, l->conn, &d, now_us(), &r) != COQUIC_STATUS_OK) return false;
    absorb(&l->client, r);
    return true;
}

static bool half_received(const io_link *l) { return l->server.stream_bytes >= transfer_size() / 2; }

TEST(io_client_migrates_to_a_second_socket) {
    io_link l;
    bool opened = link_open(&l);
    bool confirmed = opened && link_run(&l, both_confirmed, 5000000);
    CHECK(confirmed);
    CHECK_EQ(coquic_x_endpoint_set_path_effects(l.cep, 1), COQUIC_STATUS_OK);
    size_t size = transfer_size();
    uint8_t *data = malloc(size);
    pattern_fill(data, size, 0, 0);
    bool half = send_pattern(&l, data, 0, size / 2, false) && link_run(&l, half_received, 20000000);
    uint64_t old_route = coquic_x_io_connection_route(l.cio, l.conn), new_route = 0;
    /* errors first: another family, an unknown route */
    static const uint8_t any6[16] = {0};
    static const uint8_t any4[4] = {0};
    coquic_status_t wrong_family = coquic_x_io_bind_path(l.cio, any6, 16, 0, old_route, &new_route);
    coquic_status_t unknown = coquic_x_io_bind_path(l.cio, any4, 4, 0, 987654, &new_route);
    coquic_status_t bound = coquic_x_io_bind_path(l.cio, LOOPBACK, 4, 0, old_route, &new_route);
    uint8_t a[16];
    uint16_t old_port = 0, new_port = 0;
    coquic_x_io_route_local_address(l.cio, old_route, a, &old_port);
    uint8_t fam = coquic_x_io_route_local_address(l.cio, new_route, a, &new_port);
    bool moved = false;
    for (int i = 0; bound == COQUIC_STATUS_OK && i < 200 && !moved; i++) {
        coquic_request_connection_migration_t mg = {sizeof mg, new_route, COQUIC_MIGRATION_REASON_ACTIVE, {NULL, 0}};
        coquic_result_t *r = NULL;
        if (coquic_connection_request_migration(l.cep, l.conn, &mg, now_us(), &r) != COQUIC_STATUS_OK) break;
        moved = !coquic_result_has_local_error(r);
        absorb(&l.client, r);
        if (!moved) link_run(&l, half_received, 0); /* a spare connection ID may still be coming */
    }
    bool rest = moved && send_pattern(&l, data, size / 2, size, true) && link_run(&l, all_received, 20000000);
    uint64_t server_route = coquic_x_io_connection_route(l.sio, l.server.accepted);
    uint16_t seen_port = 0;
    coquic_x_io_route_address(l.sio, server_route, a, &seen_port);
    free(data);
    link_close(&l);
    CHECK(half);
    CHECK_EQ(wrong_family, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(unknown, COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(bound, COQUIC_STATUS_OK);
    CHECK(new_route != old_route);
    CHECK_EQ(fam, 4);
    CHECK(new_port != 0 && new_port != old_port);
    CHECK(moved);
    CHECK(rest);
    CHECK_EQ(l.server.mismatches, 0);
    CHECK_EQ(l.server.stream_bytes, size);
    CHECK_EQ(l.client.validated, 1);
    CHECK_EQ(l.client.validated_route, new_route);
    CHECK_EQ(seen_port, new_port); /* the server talks to the new socket now */
    CHECK(!l.client.failed && !l.server.failed);
}

/* A loopback UDP port nothing listens on (bound, read, closed). */
static uint16_t closed_port(int family) {
    int fd = socket(family, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        sa->sin_family = AF_INET;
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *sa;
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        sa->sin6_family = AF_INET6;
        sa->sin6_addr = in6addr_loopback;
        len = sizeof *sa;
    }
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
    if (fd >= 0) close(fd);
    return port;
}

/* Connects to a closed loopback port; returns the errno reported for its route (0: none). */
static int32_t unreachable_report(const uint8_t *addr, size_t addr_len, uint64_t *out_route, uint64_t *out_expected) {
    coquic_endpoint_t *ep = endpoint(COQUIC_ROLE_CLIENT);
    coquic_x_io_t *io = NULL;
    int32_t got = 0;
    uint16_t port = closed_port(addr_len == 4 ? AF_INET : AF_INET6);
    if (!ep || port == 0 || coquic_x_io_bind(ep, addr, addr_len, 0, 0, &io) != COQUIC_STATUS_OK) goto out;
    uint64_t route = coquic_x_io_route(io, addr, addr_len, port);
    *out_expected = route;
    coquic_connection_handle_t conn = 0;
    coquic_result_t *r = NULL;
    if (connect_to(ep, route, &conn, &r) != COQUIC_STATUS_OK) goto out;
    coquic_result_destroy(r); /* the Initial went out natively */
    uint64_t routes[4];
    int32_t errs[4];
    uint64_t end = now_us() + 2000000;
    while (now_us() < end) {
        coquic_x_io_wait(io, 20000); /* the error queue wakes the wait (POLLERR) */
        if (coquic_x_io_pump(io, now_us(), &r) != COQUIC_STATUS_OK) break;
        coquic_result_destroy(r);
        size_t n = coquic_x_io_take_unreachable(io, routes, errs, 4);
        if (n > 0) {
            *out_route = routes[0];
            got = errs[0];
            /* taken: a second call has nothing */
            if (coquic_x_io_take_unreachable(io, routes, errs, 4) != 0) got = -1;
            break;
        }
    }
out:
    coquic_x_io_destroy(io);
    coquic_endpoint_destroy(ep);
    return got;
}

TEST(io_icmp_port_unreachable_is_reported_for_its_route) {
    uint64_t route = 0, expected = 1;
    int32_t err = unreachable_report(LOOPBACK, 4, &route, &expected);
    CHECK_EQ(err, ECONNREFUSED);
    CHECK_EQ(route, expected);
    uint8_t v6[16] = {0};
    v6[15] = 1;
    int probe = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
    bool has_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (probe >= 0) close(probe);
    if (has_v6) {
        route = 0;
        expected = 1;
        err = unreachable_report(v6, 16, &route, &expected);
        CHECK_EQ(err, ECONNREFUSED);
        CHECK_EQ(route, expected);
    }
}

TEST(io_take_unreachable_null_arguments_are_harmless) {
    uint64_t routes[1];
    int32_t errs[1];
    CHECK_EQ(coquic_x_io_take_unreachable(NULL, routes, errs, 1), 0);
}
