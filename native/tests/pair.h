/*
 * Two endpoints joined in memory on a virtual microsecond clock, driven only through the
 * public ABI (like quinn-proto's Pair): datagrams cross a simulated link with delay, loss,
 * reordering, duplication, corruption and a rate limit, chosen by a seeded PRNG.
 */
#ifndef COQUIC_TEST_PAIR_H
#define COQUIC_TEST_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coquic/ffi/core.h"
#include "coquic/ffi/ext.h"

typedef struct pair_options {
    uint64_t delay_us;          /* one-way delay, default 5000 */
    double loss, reorder, duplicate, corrupt;
    uint64_t rate_bytes_per_s;  /* 0 = unlimited */
    uint64_t seed;
    bool use_effect_at;         /* read effects with effect_count/effect_at (and cross-check) */
    void (*client_config)(coquic_endpoint_config_t *);
    void (*server_config)(coquic_endpoint_config_t *);
} pair_options;

typedef struct stream_record {
    coquic_connection_handle_t conn;
    uint64_t id;
    uint64_t next_offset; /* contiguous bytes received */
    bool fin;
    uint64_t final_size;
    uint64_t mismatches;  /* bytes that differ from pattern_byte() */
    uint8_t *data;        /* kept when the stream is small (<= 1 MiB) */
    size_t data_cap;
    bool offset_error;    /* data at an unexpected offset (gap/overlap), after FIN, or FIN != offset */
    bool reset;           /* PEER_RESET_STREAM seen */
    uint64_t reset_final_size;
    bool data_after_reset; /* RECEIVE_STREAM_DATA after PEER_RESET_STREAM */
    bool has_data;         /* some bytes arrived; first_at says when (virtual time) */
    uint64_t first_at;
} stream_record;

typedef struct event_record {
    coquic_effect_kind_t kind;
    coquic_connection_handle_t conn;
    uint64_t a, b, c; /* kind-specific: state change / lifecycle event / stream id, code, final size */
    uint64_t at;      /* virtual time it was recorded */
} event_record;

/* How the link feeds the server: coquic_endpoint_input_datagram (the default), the batched
 * coquic_x_endpoint_input_datagrams_identified (one datagram per call), or alternating
 * between the two, starting one by one (a runtime that holds a new peer's first datagrams and
 * batches the rest does this). Every way carries the client's address identity. */
typedef enum pair_server_input {
    PAIR_INPUT_SINGLE = 0,
    PAIR_INPUT_BATCH_IDENTIFIED,
    PAIR_INPUT_ALTERNATE,
} pair_server_input;

typedef struct side {
    coquic_endpoint_t *ep;
    event_record *events;
    size_t event_count, event_cap;
    stream_record *streams;
    size_t stream_count, stream_cap;
    size_t last_stream;
    uint8_t **datagrams;
    size_t *datagram_lens;
    size_t datagram_count, datagram_cap;
    coquic_x_close_info_t closes[16];
    char close_reasons[16][256];
    size_t close_count;
    coquic_local_error_t last_local_error;
    size_t local_error_count;
    coquic_local_error_t *local_errors; /* every local error, in order */
    size_t local_error_cap;
    uint64_t datagrams_sent, bytes_sent;
    coquic_connection_handle_t failed[64]; /* connections that reported FAILED (first 64) */
    size_t failed_count;
    size_t effects_after_failed; /* stream/datagram/reset/stop/state effects for a FAILED connection */
    bool verify_pattern;  /* check stream bytes against pattern_byte() */
    const uint64_t *clock; /* the pair's virtual clock (event timestamps) */
    uint8_t *resumption;   /* the last RESUMPTION_STATE_AVAILABLE blob (copy) */
    size_t resumption_len, resumption_count;
    uint8_t new_token[256]; /* the last NEW_TOKEN_AVAILABLE token */
    size_t new_token_len, new_token_count;
} side;

typedef struct pair {
    side client, server;
    uint64_t now;
    pair_options opt;
    uint64_t rng;
    struct in_flight *heap;
    size_t heap_len, heap_cap;
    uint64_t seq;
    uint64_t link_free_at[2]; /* rate limit: when each direction's link is free again */
    bool capture;            /* keep copies of datagrams sent to the server */
    uint8_t **captured;
    size_t *captured_lens;
    size_t captured_count, captured_cap;
    uint8_t client_address[19]; /* identity on client->server datagrams (§1.5 format) */
    size_t client_address_len;
    pair_server_input server_input; /* how datagrams reach the server (default one by one) */
    uint64_t server_inputs;         /* datagrams fed to the server so far */
    const char *fault;       /* set when the harness caught the engine misbehaving (see pair.c) */
    /* optional tap: sees every SEND_DATAGRAM effect before the link (from = sending side) */
    void (*tap)(struct pair *p, side *from, const uint8_t *bytes, size_t len, void *ctx);
    void *tap_ctx;
    bool tap_probe;          /* during a tap call: the effect's is_pmtu_probe */
    uint64_t blackhole_route; /* nonzero: the link drops every datagram on this route, both ways */
    uint64_t timer_spins;    /* timer firings at the instant spin_now */
    uint64_t spin_now;
} pair;

/* Expected stream content: a function of offset and stream id. */
static inline uint8_t pattern_byte(uint64_t offset, uint64_t stream_id) {
    return (uint8_t)(((offset * 31u + 7u) ^ stream_id) & 0xffu);
}
void pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t stream_id);

pair *pair_new(const pair_options *opt);
void pair_free(pair *p);
uint64_t pair_random(pair *p);
/* Opens a client connection (random 8-byte CIDs, route 1, the server's address identity). */
coquic_connection_handle_t pair_connect(pair *p);
/* The same, letting `tweak` adjust the open input (server name, versions, ...) first. */
coquic_connection_handle_t pair_connect_with(pair *p, void (*tweak)(coquic_open_connection_t *, void *), void *ctx);
/* Records a result's effects for `s` and queues its datagrams; destroys the result; while the
 * result says send_continuation_pending, calls timer_expired(now) again and absorbs that too. */
void pair_absorb(pair *p, side *s, coquic_result_t *r);
/* The same for one result only; returns its send_continuation_pending flag. */
bool pair_absorb_once(pair *p, side *s, coquic_result_t *r);
/* Handles the next event (arrival or timer); false when nothing is left to do. */
bool pair_step(pair *p);
/* Steps until pred holds or max_virtual_us passes; returns pred's final value. */
bool pair_run_until(pair *p, bool (*pred)(pair *, void *), void *ctx, uint64_t max_virtual_us);
/* Feeds raw bytes to an endpoint as a datagram from route 1. */
void pair_inject(pair *p, side *to, const uint8_t *bytes, size_t len);
/* The same from another route: the link carries each datagram's route handle across, so a
 * client that migrates to route k reaches the server from route k (a new path there). */
void pair_inject_route(pair *p, side *to, const uint8_t *bytes, size_t len, uint64_t route);

/* NULL, or why the harness stopped trusting the run (non-OK status from a call that must
 * succeed, a send continuation that never clears, a timer that fires forever at one instant,
 * effect_at disagreeing with the batch array). pair_run_until returns false once set. */
const char *pair_fault(const pair *p);

/* Queries over recorded events. */
size_t side_count(const side *s, coquic_effect_kind_t kind, uint64_t a);
const event_record *side_find(const side *s, coquic_effect_kind_t kind, uint64_t a, size_t nth);
/* First event of `kind` with value `a` (state change, lifecycle event, stream id) for `conn`. */
const event_record *side_event(const side *s, coquic_connection_handle_t conn, coquic_effect_kind_t kind, uint64_t a);
stream_record *side_stream(side *s, coquic_connection_handle_t conn, uint64_t id);
coquic_connection_handle_t side_accepted(const side *s); /* first ACCEPTED handle or 0 */
bool side_has_state(const side *s, coquic_connection_handle_t conn, coquic_state_change_t change);

/* Helpers that call one ABI function and absorb its result. */
void pair_send(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, const uint8_t *data, size_t len,
               bool fin);
void pair_send_pattern(pair *p, side *s, coquic_connection_handle_t conn, uint64_t stream, size_t len, bool fin);

/* Common predicates. */
bool pred_confirmed(pair *p, void *ctx);         /* both sides HANDSHAKE_CONFIRMED */
bool pred_no_connections(pair *p, void *ctx);    /* both endpoints have no connections */


/* A genuine client Initial (the first datagram a fresh client sends, seeded); the caller frees it. */
uint8_t *pair_client_initial(uint64_t seed, size_t *len);
/* Feeds one datagram from `route` (an address of its own) straight to `ep`, with nothing sent
 * back on any link, runs its send continuations, and returns the bytes the endpoint sent. */
uint64_t pair_feed_endpoint(coquic_endpoint_t *ep, const uint8_t *bytes, size_t len, uint64_t route, uint64_t now);

#endif
