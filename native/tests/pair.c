#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "pair.h"

struct in_flight {
    uint64_t at, seq;
    bool to_server;
    uint8_t *bytes;
    size_t len;
    uint64_t route; /* the sender's route handle: the same number names the path on both sides */
};

void pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t stream_id) {
    for (size_t i = 0; i < len; i++) buf[i] = pattern_byte(offset + i, stream_id);
}

uint64_t pair_random(pair *p) { /* xorshift64* */
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double uniform(pair *p) { return (double)(pair_random(p) >> 11) / 9007199254740992.0; }

#define GROW(arr, count, cap)                                             \
    do {                                                                  \
        if ((count) == (cap)) {                                           \
            (cap) = (cap) ? (cap) * 2 : 16;                               \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                \
            if (!(arr)) abort();                                          \
        }                                                                 \
    } while (0)

/* ---- the link: a min-heap of in-flight datagrams ordered by (arrival, seq) ----------- */

static bool before(const struct in_flight *a, const struct in_flight *b) {
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(pair *p, struct in_flight f) {
    GROW(p->heap, p->heap_len, p->heap_cap);
    size_t i = p->heap_len++;
    p->heap[i] = f;
    while (i > 0 && before(&p->heap[i], &p->heap[(i - 1) / 2])) {
        struct in_flight t = p->heap[i];
        p->heap[i] = p->heap[(i - 1) / 2];
        p->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct in_flight heap_pop(pair *p) {
    struct in_flight top = p->heap[0];
    p->heap[0] = p->heap[--p->heap_len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->heap_len && before(&p->heap[l], &p->heap[m])) m = l;
        if (r < p->heap_len && before(&p->heap[r], &p->heap[m])) m = r;
        if (m == i) break;
        struct in_flight t = p->heap[i];
        p->heap[i] = p->heap[m];
        p->heap[m] = t;
        i = m;
    }
    return top;
}

static void link_send(pair *p, const uint8_t *bytes, size_t len, bool to_server, uint64_t route) {
    if (p->blackhole_route && route == p->blackhole_route) return;
    if (uniform(p) < p->opt.loss) return;
    int copies = uniform(p) < p->opt.duplicate ? 2 : 1;
    uint64_t depart = p->now;
    if (p->opt.rate_bytes_per_s) { /* serialization delay on a busy link */
        uint64_t *free_at = &p->link_free_at[to_server];
        if (*free_at > depart) depart = *free_at;
        *free_at = depart + len * 1000000ull / p->opt.rate_bytes_per_s;
    }
    for (int c = 0; c < copies; c++) {
        uint64_t delay = p->opt.delay_us;
        if (uniform(p) < p->opt.reorder) delay += pair_random(p) % (3 * p->opt.delay_us + 1);
        struct in_flight f = {depart + delay, p->seq++, to_server, malloc(len ? len : 1), len, route};
        if (!f.bytes) abort();
        memcpy(f.bytes, bytes, len);
        if (len && uniform(p) < p->opt.corrupt) f.bytes[pair_random(p) % len] ^= (uint8_t)(1u << (pair_random(p) % 8));
        heap_push(p, f);
    }
}

/* ---- recording effects --------------------------------------------------------------- */

stream_record *side_stream(side *s, coquic_connection_handle_t conn, uint64_t id) {
    if (s->last_stream < s->stream_count && s->streams[s->last_stream].conn == conn && s->streams[s->last_stream].id == id)
        return &s->streams[s->last_stream];
    for (size_t i = 0; i < s->stream_count; i++)
        if (s->streams[i].conn == conn && s->streams[i].id == id) return &s->streams[s->last_stream = i];
    GROW(s->streams, s->stream_count, s->stream_cap);
    stream_record *r = &s->streams[s->stream_count];
    memset(r, 0, sizeof *r);
    r->conn = conn;
    r->id = id;
    s->last_stream = s->stream_count++;
    return r;
}

static void record_event(side *s, coquic_effect_kind_t kind, coquic_connection_handle_t conn, uint64_t a, uint64_t b,
                         uint64_t c) {
    GROW(s->events, s->event_count, s->event_cap);
    s->events[s->event_count++] = (event_record){kind, conn, a, b, c, s->clock ? *s->clock : 0};
}

static void record_stream_data(side *s, const coquic_receive_stream_data_effect_t *d) {
    stream_record *r = side_stream(s, d->connection, d->stream_id);
    if (r->reset) r->data_after_reset = true;
    const uint8_t *bytes = d->bytes.data;
    size_t len = d->bytes.length;
    /* in-order delivery: every chunk starts where the previous one ended (no gap, no overlap),
     * nothing follows a FIN, and the FIN's final size is where the data ends */
    if (d->offset != r->next_offset || (r->fin && len > 0)) r->offset_error = true;
    if (len > 0 && !r->has_data) {
        r->has_data = true;
        r->first_at = s->clock ? *s->clock : 0;
    }
    if (s->verify_pattern)
        for (size_t i = 0; i < len; i++) r->mismatches += bytes[i] != pattern_byte(d->offset + i, d->stream_id);
    if (d->offset + len <= (1u << 20)) {
        if (r->data_cap < d->offset + len) {
            r->data_cap = (size_t)(d->offset + len) * 2;
            r->data = realloc(r->data, r->data_cap);
            if (!r->data) abort();
        }
        if (len) memcpy(r->data + d->offset, bytes, len);
    }
    if (d->offset + len > r->next_offset) r->next_offset = d->offset + len;
    if (d->fin) {
        r->fin = true;
        r->final_size = d->final_size.has_value ? d->final_size.value : r->next_offset;
        if (r->final_size != r->next_offset) r->offset_error = true;
    }
}

static void set_fault(pair *p, const char *why) {
    if (!p->fault) p->fault = why;
}

const char *pair_fault(const pair *p) { return p->fault; }

static bool has_failed(const side *s, coquic_connection_handle_t conn) {
    for (size_t i = 0; i < s->failed_count; i++)
        if (s->failed[i] == conn) return true;
    return false;
}

static void record_effect(pair *p, side *s, const coquic_effect_t *e) {
    /* after FAILED a connection may still emit closing datagrams and its CLOSED lifecycle event */
    if (s->failed_count && e->kind != COQUIC_EFFECT_SEND_DATAGRAM && e->kind != COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT &&
        has_failed(s, e->as.send_datagram.connection))
        s->effects_after_failed++;
    switch (e->kind) {
    case COQUIC_EFFECT_SEND_DATAGRAM:
        s->datagrams_sent++;
        s->bytes_sent += e->as.send_datagram.bytes.length;
        if (s == &p->client && p->capture) {
            GROW(p->captured, p->captured_count, p->captured_cap);
            p->captured_lens = realloc(p->captured_lens, p->captured_cap * sizeof *p->captured_lens);
            uint8_t *copy = malloc(e->as.send_datagram.bytes.length + 1);
            if (!p->captured_lens || !copy) abort();
            memcpy(copy, e->as.send_datagram.bytes.data, e->as.send_datagram.bytes.length);
            p->captured[p->captured_count] = copy;
            p->captured_lens[p->captured_count++] = e->as.send_datagram.bytes.length;
        }
        p->tap_probe = e->as.send_datagram.is_pmtu_probe != 0;
        if (p->tap) p->tap(p, s, e->as.send_datagram.bytes.data, e->as.send_datagram.bytes.length, p->tap_ctx);
        link_send(p, e->as.send_datagram.bytes.data, e->as.send_datagram.bytes.length, s == &p->client,
                  e->as.send_datagram.route_handle.has_value ? e->as.send_datagram.route_handle.value : 1);
        break;
    case COQUIC_EFFECT_RECEIVE_STREAM_DATA:
        record_stream_data(s, &e->as.receive_stream_data);
        break;
    case COQUIC_EFFECT_RECEIVE_DATAGRAM_DATA: {
        GROW(s->datagrams, s->datagram_count, s->datagram_cap);
        s->datagram_lens = realloc(s->datagram_lens, s->datagram_cap * sizeof *s->datagram_lens);
        size_t len = e->as.receive_datagram_data.bytes.length;
        s->datagrams[s->datagram_count] = malloc(len ? len : 1);
        if (!s->datagram_lens || !s->datagrams[s->datagram_count]) abort();
        if (len) memcpy(s->datagrams[s->datagram_count], e->as.receive_datagram_data.bytes.data, len);
        s->datagram_lens[s->datagram_count++] = len;
        break;
    }
    case COQUIC_EFFECT_PEER_RESET_STREAM: {
        stream_record *r = side_stream(s, e->as.peer_reset_stream.connection, e->as.peer_reset_stream.stream_id);
        r->reset = true;
        r->reset_final_size = e->as.peer_reset_stream.final_size;
        if (r->reset_final_size < r->next_offset) r->offset_error = true; /* delivered past the final size */
        record_event(s, e->kind, e->as.peer_reset_stream.connection, e->as.peer_reset_stream.stream_id,
                     e->as.peer_reset_stream.application_error_code, e->as.peer_reset_stream.final_size);
        break;
    }
    case COQUIC_EFFECT_PEER_STOP_SENDING:
        record_event(s, e->kind, e->as.peer_stop_sending.connection, e->as.peer_stop_sending.stream_id,
                     e->as.peer_stop_sending.application_error_code, 0);
        break;
    case COQUIC_EFFECT_STATE_EVENT:
        if (e->as.state_event.change == COQUIC_STATE_CHANGE_FAILED && s->failed_count < 64)
            s->failed[s->failed_count++] = e->as.state_event.connection;
        record_event(s, e->kind, e->as.state_event.connection, e->as.state_event.change, 0, 0);
        break;
    case COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT:
        record_event(s, e->kind, e->as.connection_lifecycle_event.connection, e->as.connection_lifecycle_event.event,
                     0, 0);
        break;
    case COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT:
        record_event(s, e->kind, e->as.zero_rtt_status_event.connection, e->as.zero_rtt_status_event.status, 0, 0);
        break;
    case COQUIC_EFFECT_RESUMPTION_STATE_AVAILABLE: {
        const coquic_bytes_view_t *v = &e->as.resumption_state_available.serialized;
        free(s->resumption);
        s->resumption = malloc(v->length ? v->length : 1);
        if (!s->resumption) abort();
        memcpy(s->resumption, v->data, v->length);
        s->resumption_len = v->length;
        s->resumption_count++;
        record_event(s, e->kind, e->as.resumption_state_available.connection, 0, 0, 0);
        break;
    }
    case COQUIC_EFFECT_NEW_TOKEN_AVAILABLE: {
        const coquic_bytes_view_t *v = &e->as.new_token_available.token;
        s->new_token_len = v->length < sizeof s->new_token ? v->length : sizeof s->new_token;
        memcpy(s->new_token, v->data, s->new_token_len);
        s->new_token_count++;
        record_event(s, e->kind, e->as.new_token_available.connection, 0, 0, 0);
        break;
    }
    case COQUIC_X_EFFECT_PATH_VALIDATION: {
        const coquic_x_path_effect_t *x = (const coquic_x_path_effect_t *)(const void *)&e->as;
        record_event(s, e->kind, x->connection, x->route_handle, x->succeeded, 0);
        break;
    }
    case COQUIC_X_EFFECT_STREAM_CLOSED:
    case COQUIC_X_EFFECT_STREAM_ACKED: {
        const coquic_x_stream_effect_t *x = (const coquic_x_stream_effect_t *)(const void *)&e->as;
        record_event(s, e->kind, x->connection, x->stream_id, x->value, 0);
        break;
    }
    default:
        record_event(s, e->kind, e->as.send_datagram.connection, 0, 0, 0);
        break;
    }
}

/* Same effect through both accessors? (kind, connection handle and the payload view) */
static bool same_effect(const coquic_effect_t *a, const coquic_effect_t *b) {
    if (a->kind != b->kind || a->as.send_datagram.connection != b->as.send_datagram.connection) return false;
    switch (a->kind) {
    case COQUIC_EFFECT_SEND_DATAGRAM:
        return a->as.send_datagram.bytes.data == b->as.send_datagram.bytes.data &&
               a->as.send_datagram.bytes.length == b->as.send_datagram.bytes.length &&
               a->as.send_datagram.route_handle.has_value == b->as.send_datagram.route_handle.has_value &&
               a->as.send_datagram.route_handle.value == b->as.send_datagram.route_handle.value;
    case COQUIC_EFFECT_RECEIVE_STREAM_DATA:
        return a->as.receive_stream_data.stream_id == b->as.receive_stream_data.stream_id &&
               a->as.receive_stream_data.offset == b->as.receive_stream_data.offset &&
               a->as.receive_stream_data.bytes.data == b->as.receive_stream_data.bytes.data &&
               a->as.receive_stream_data.bytes.length == b->as.receive_stream_data.bytes.length &&
               a->as.receive_stream_data.fin == b->as.receive_stream_data.fin;
    case COQUIC_EFFECT_STATE_EVENT:
        return a->as.state_event.change == b->as.state_event.change;
    case COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT:
        return a->as.connection_lifecycle_event.event == b->as.connection_lifecycle_event.event;
    default:
        return true;
    }
}

/* One drain may need many continuation calls; more than this means the flag never clears. */
#define MAX_CONTINUATIONS 100000u

bool pair_absorb_once(pair *p, side *s, coquic_result_t *r) {
    size_t n = 0;
    const coquic_effect_t *effects = coquic_x_result_effects(r, &n);
    size_t count = coquic_result_effect_count(r);
    if (effects && n != count) set_fault(p, "coquic_x_result_effects count differs from coquic_result_effect_count");
    if (!effects || p->opt.use_effect_at) { /* the core accessors, one call per effect */
        for (size_t i = 0; i < count; i++) {
            coquic_effect_t e;
            memset(&e, 0, sizeof e);
            if (coquic_result_effect_at(r, i, &e) != COQUIC_STATUS_OK) {
                set_fault(p, "coquic_result_effect_at failed for an index below the count");
                break;
            }
            if (effects && i < n && !same_effect(&e, &effects[i]))
                set_fault(p, "coquic_result_effect_at disagrees with coquic_x_result_effects");
            record_effect(p, s, &e);
        }
        coquic_effect_t beyond;
        if (coquic_result_effect_at(r, count, &beyond) != COQUIC_STATUS_INVALID_ARGUMENT)
            set_fault(p, "coquic_result_effect_at accepted an index past the end");
    } else {
        for (size_t i = 0; i < n; i++) record_effect(p, s, &effects[i]);
    }
    size_t nc = 0;
    const coquic_x_close_info_t *ci = coquic_x_result_close_infos(r, &nc);
    for (size_t i = 0; i < nc && s->close_count < 16; i++) {
        s->closes[s->close_count] = ci[i];
        size_t len = ci[i].reason.length < sizeof s->close_reasons[0] - 1 ? ci[i].reason.length : sizeof s->close_reasons[0] - 1;
        if (len) memcpy(s->close_reasons[s->close_count], ci[i].reason.data, len);
        s->close_reasons[s->close_count][len] = '\0';
        s->closes[s->close_count].reason.data = NULL;
        s->close_count++;
    }
    if (coquic_result_has_local_error(r)) {
        if (coquic_result_local_error(r, &s->last_local_error) != COQUIC_STATUS_OK)
            set_fault(p, "has_local_error is set but coquic_result_local_error fails");
        GROW(s->local_errors, s->local_error_count, s->local_error_cap);
        s->local_errors[s->local_error_count++] = s->last_local_error;
    }
    bool more = coquic_result_send_continuation_pending(r);
    coquic_result_destroy(r);
    return more;
}

void pair_absorb(pair *p, side *s, coquic_result_t *r) {
    for (unsigned rounds = 0;; rounds++) {
        if (!pair_absorb_once(p, s, r)) return;
        if (rounds >= MAX_CONTINUATIONS) {
            set_fault(p, "send_continuation_pending never clears");
            return;
        }
        r = NULL;
        if (coquic_endpoint_timer_expired(s->ep, p->now, &r) != COQUIC_STATUS_OK || !r) {
            set_fault(p, "timer_expired failed during a send continuation");
            return;
        }
    }
}

/* ---- setup ---------------------------------------------------------------------------- */

static coquic_endpoint_t *make_endpoint(coquic_role_t role, void (*tweak)(coquic_endpoint_config_t *)) {
    const test_cert *cert = test_cert_for("localhost");
    coquic_tls_identity_t id = {cert->cert_pem, cert->cert_len, cert->key_pem, cert->key_len};
    coquic_endpoint_config_t c;
    coquic_endpoint_config_init(&c);
    c.role = role;
    c.verify_peer = 0;
    c.identity = role == COQUIC_ROLE_SERVER ? &id : NULL;
    c.application_protocol = "coquic-test";
    c.application_protocol_length = 11;
    c.transport.max_idle_timeout = 30000;
    c.transport.initial_max_data = 64u << 20;
    c.transport.initial_max_stream_data_bidi_local = 16u << 20;
    c.transport.initial_max_stream_data_bidi_remote = 16u << 20;
    c.transport.initial_max_stream_data_uni = 16u << 20;
    c.transport.initial_max_streams_bidi = 1100;
    c.transport.initial_max_streams_uni = 100;
    if (tweak) tweak(&c);
    coquic_endpoint_t *ep = NULL;
    if (coquic_endpoint_create(&c, &ep) != COQUIC_STATUS_OK) {
        char msg[256];
        coquic_x_last_error_message(msg, sizeof msg);
        fprintf(stderr, "endpoint_create failed: %s\n", msg);
        return NULL;
    }
    return ep;
}

pair *pair_new(const pair_options *opt) {
    pair *p = calloc(1, sizeof *p);
    if (!p) abort();
    if (opt) p->opt = *opt;
    if (!p->opt.delay_us) p->opt.delay_us = 5000;
    p->rng = p->opt.seed ? p->opt.seed : 0x9E3779B97F4A7C15ull;
    p->now = 1000;
    p->client.ep = make_endpoint(COQUIC_ROLE_CLIENT, p->opt.client_config);
    p->server.ep = make_endpoint(COQUIC_ROLE_SERVER, p->opt.server_config);
    if (!p->client.ep || !p->server.ep) {
        pair_free(p);
        return NULL;
    }
    p->client.verify_pattern = p->server.verify_pattern = true;
    p->client.clock = p->server.clock = &p->now;
    static const uint8_t client_address[7] = {0x04, 127, 0, 0, 1, 0xc3, 0x50}; /* 127.0.0.1:50000 */
    memcpy(p->client_address, client_address, sizeof client_address);
    p->client_address_len = sizeof client_address;
    return p;
}

static void side_free(side *s) {
    coquic_endpoint_destroy(s->ep);
    for (size_t i = 0; i < s->stream_count; i++) free(s->streams[i].data);
    for (size_t i = 0; i < s->datagram_count; i++) free(s->datagrams[i]);
    free(s->streams);
    free(s->events);
    free(s->datagrams);
    free(s->datagram_lens);
    free(s->local_errors);
    free(s->resumption);
}

void pair_free(pair *p) {
    if (!p) return;
    side_free(&p->client);
    side_free(&p->server);
    for (size_t i = 0; i < p->heap_len; i++) free(p->heap[i].bytes);
    for (size_t i = 0; i < p->captured_count; i++) free(p->captured[i]);
    free(p->captured);
    free(p->captured_lens);
    free(p->heap);
    free(p);
}

coquic_connection_handle_t pair_connect(pair *p) { return pair_connect_with(p, NULL, NULL); }

coquic_connection_handle_t pair_connect_with(pair *p, void (*tweak)(coquic_open_connection_t *, void *), void *ctx) {
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    uint8_t scid[8], dcid[8];
    uint64_t a = pair_random(p), b = pair_random(p);
    memcpy(scid, &a, 8);
    memcpy(dcid, &b, 8);
    open.connection.source_connection_id = (coquic_bytes_t){scid, 8};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){dcid, 8};
    open.initial_route_handle = 1;
    static const uint8_t identity[7] = {0x04, 127, 0, 0, 1, 0x11, 0x51};
    open.address_validation_identity = (coquic_bytes_t){identity, sizeof identity};
    if (tweak) tweak(&open, ctx);
    coquic_connection_handle_t h = 0;
    coquic_result_t *r = NULL;
    if (coquic_quic_connect(p->client.ep, &open, p->now, &h, &r) != COQUIC_STATUS_OK) {
        set_fault(p, "coquic_quic_connect failed");
        return 0;
    }
    pair_absorb(p, &p->client, r);
    return h;
}

/* An inbound datagram on `route`, without an address-validation identity. */
static coquic_inbound_datagram_t inbound(const uint8_t *bytes, size_t len, uint64_t route) {
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.bytes = (coquic_bytes_t){bytes, len};
    in.route_handle.has_value = 1;
    in.route_handle.value = route;
    return in;
}

void pair_inject(pair *p, side *to, const uint8_t *bytes, size_t len) { pair_inject_route(p, to, bytes, len, 1); }

void pair_inject_route(pair *p, side *to, const uint8_t *bytes, size_t len, uint64_t route) {
    coquic_inbound_datagram_t in = inbound(bytes, len, route);
    if (to == &p->server) in.address_validation_identity = (coquic_bytes_t){p->client_address, p->client_address_len};
    coquic_result_t *r = NULL;
    bool batched = to == &p->server && (p->server_input == PAIR_INPUT_BATCH_IDENTIFIED ||
                                        (p->server_input == PAIR_INPUT_ALTERNATE && p->server_inputs % 2 == 1));
    if (to == &p->server) p->server_inputs++;
    if (batched) {
        uint32_t length = (uint32_t)len;
        uint8_t identity_length = (uint8_t)p->client_address_len;
        if (coquic_x_endpoint_input_datagrams_identified(to->ep, bytes, &length, &route, p->client_address,
                                                         &identity_length, 1, p->now, &r) != COQUIC_STATUS_OK) {
            set_fault(p, "coquic_x_endpoint_input_datagrams_identified failed");
            return;
        }
    } else if (coquic_endpoint_input_datagram(to->ep, &in, p->now, &r) != COQUIC_STATUS_OK) {
        set_fault(p, "coquic_endpoint_input_datagram failed");
        return;
    }
    pair_absorb(p, to, r);
}

/* ---- the event loop ------------------------------------------------------------------- */

static bool wakeup(side *s, uint64_t *t) { return coquic_x_endpoint_next_wakeup(s->ep, t); }

static uint64_t next_timer(pair *p) {
    uint64_t tc = 0, ts = 0, timer = UINT64_MAX;
    if (wakeup(&p->client, &tc) && tc < timer) timer = tc;
    if (wakeup(&p->server, &ts) && ts < timer) timer = ts;
    return timer;
}

/* Virtual time of the next event, UINT64_MAX when there is none. */
static uint64_t next_event(pair *p) {
    uint64_t timer = next_timer(p);
    return p->heap_len > 0 && p->heap[0].at < timer ? p->heap[0].at : timer;
}

bool pair_step(pair *p) {
    uint64_t timer = next_timer(p);
    bool have_packet = p->heap_len > 0;
    if (!have_packet && timer == UINT64_MAX) return false;
    if (have_packet && p->heap[0].at <= timer) {
        struct in_flight f = heap_pop(p);
        if (f.at > p->now) p->now = f.at;
        pair_inject_route(p, f.to_server ? &p->server : &p->client, f.bytes, f.len, f.route);
        free(f.bytes);
        return true;
    }
    if (timer > p->now) p->now = timer;
    if (p->now != p->spin_now) {
        p->spin_now = p->now;
        p->timer_spins = 0;
    }
    if (++p->timer_spins > 100000) { /* the engine keeps asking for a wakeup it never clears */
        set_fault(p, "next_wakeup stays due after timer_expired (timer spins at one instant)");
        return false;
    }
    side *sides[2] = {&p->client, &p->server};
    for (int i = 0; i < 2; i++) {
        uint64_t t;
        if (wakeup(sides[i], &t) && t <= p->now) {
            coquic_result_t *r = NULL;
            if (coquic_endpoint_timer_expired(sides[i]->ep, p->now, &r) != COQUIC_STATUS_OK) {
                set_fault(p, "coquic_endpoint_timer_expired failed");
                return false;
            }
            pair_absorb(p, sides[i], r);
        }
    }
    return true;
}

bool pair_run_until(pair *p, bool (*pred)(pair *, void *), void *ctx, uint64_t max_virtual_us) {
    uint64_t deadline = p->now + max_virtual_us;
    for (uint64_t steps = 0; steps < 50000000u; steps++) {
        if (p->fault) return false;
        if (pred(p, ctx)) return true;
        if (next_event(p) > deadline) { /* never jump past the deadline */
            if (deadline > p->now) p->now = deadline;
            break;
        }
        if (!pair_step(p)) break;
    }
    return !p->fault && pred(p, ctx);
}

/* ---- queries and helpers ---------------------------------------------------------------- */

size_t side_count(const side *s, coquic_effect_kind_t kind, uint64_t a) {
    size_t n = 0;
    for (size_t i = 0; i < s->event_count; i++) n += s->events[i].kind == kind && s->events[i].a == a;
    return n;
}

const event_record *side_find(const side *s, coquic_effect_kind_t kind, uint64_t a, size_t nth) {
    for (size_t i = 0; i < s->event_count; i++)
        if (s->events[i].kind == kind && (a == UINT64_MAX || s->events[i].a == a) && nth-- == 0) return &s->events[i];
    return NULL;
}

const event_record *side_event(const side *s, coquic_connection_handle_t conn, coquic_effect_kind_t kind, uint64_t a) {
    for (size_t i = 0; i < s->event_count; i++)
        if (s->events[i].kind == kind && s->events[i].a == a && s->events[i].conn == conn) return &s->events[i];
    return NULL;
}

coquic_connection_handle_t side_accepted(const side *s) {
    const event_record *e = side_find(s, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, COQUIC_LIFECYCLE_ACCEPTED, 0);
    return e ? e->conn : 0;
}

bool side_has_state(const side *s, coquic_connection_handle_t conn, coquic_state_change_t change) {
    for (size_t i = 0; i < s->event_count; i++)
        if (s->events[i].kind == COQUIC_EFFECT_STATE_EVENT && s->events[i].conn == conn && s->events[i].a == change)
            return true;
    return false;
}

void pair_send(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, const uint8_t *data, size_t len,
               bool fin) {
    coquic_send_stream_data_t d = {sizeof d, stream, {data, len}, fin, 0};
    coquic_result_t *r = NULL;
    if (coquic_connection_send_stream(s->ep, conn, &d, p->now, &r) != COQUIC_STATUS_OK) {
        set_fault(p, "coquic_connection_send_stream failed");
        return;
    }
    pair_absorb(p, s, r);
}

void pair_send_pattern(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, size_t len, bool fin) {
    uint8_t *buf = malloc(len ? len : 1);
    pattern_fill(buf, len, 0, stream);
    pair_send(p, s, conn, stream, buf, len, fin);
    free(buf);
}

bool pred_confirmed(pair *p, void *ctx) {
    coquic_connection_handle_t client = *(coquic_connection_handle_t *)ctx;
    coquic_connection_handle_t server = side_accepted(&p->server);
    return server && side_has_state(&p->client, client, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED) &&
           side_has_state(&p->server, server, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
}

bool pred_no_connections(pair *p, void *ctx) {
    return coquic_endpoint_connection_count(p->client.ep) == 0 && coquic_endpoint_connection_count(p->server.ep) == 0;
}

/* ---- one endpoint fed directly (floods, hostile input) ---------------------------------- */

uint8_t *pair_client_initial(uint64_t seed, size_t *len) {
    pair_options o = {.seed = seed};
    pair *p = pair_new(&o);
    p->capture = true;
    pair_connect(p);
    *len = p->captured_lens[0];
    uint8_t *b = p->captured[0];
    p->captured[0] = NULL; /* now the caller's */
    pair_free(p);
    return b;
}

uint64_t pair_feed_endpoint(coquic_endpoint_t *ep, const uint8_t *bytes, size_t len, uint64_t route, uint64_t now) {
    coquic_inbound_datagram_t in = inbound(bytes, len, route);
    /* an IPv4 identity 10.x.y.z:12345 derived from the route, so each route is its own address */
    uint8_t identity[7] = {0x04, 10, (uint8_t)(route >> 16), (uint8_t)(route >> 8), (uint8_t)route, 0x30, 0x39};
    in.address_validation_identity = (coquic_bytes_t){identity, sizeof identity};
    coquic_result_t *r = NULL;
    if (coquic_endpoint_input_datagram(ep, &in, now, &r) != COQUIC_STATUS_OK) abort();
    coquic_x_result_summary_t sum;
    uint64_t sent = 0;
    for (;;) {
        coquic_x_result_summary(r, &sum);
        sent += sum.datagram_bytes;
        bool more = sum.send_continuation_pending;
        coquic_result_destroy(r);
        if (!more) break;
        if (coquic_endpoint_timer_expired(ep, now, &r) != COQUIC_STATUS_OK) abort();
    }
    return sent;
}
