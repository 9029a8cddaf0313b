/*
 * Half-open handshakes of a server endpoint: connections whose handshake has not completed.
 * They are kept in arrival order and bounded in bytes (coquic_x_endpoint_set_half_open_limit):
 * beyond the budget a stale one is dropped to make room for the newest (as a SYN cache does),
 * else the new Initial is dropped and its client retransmits. So a flood of handshakes that
 * never complete holds a fixed amount of memory, and a real client, whose handshake completes
 * in one round trip, still gets in. What counts as stale is in stale(): age alone is not
 * enough, because a server working through a burst may not have read a client's answer yet.
 * They are not counted against max_server_connections (endpoint.c), and once a flood's
 * handshakes have expired the heap is trimmed (glibc keeps freed memory otherwise: RSS stayed
 * at its peak).
 */
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "internal.h"

/*
 * What one half-open server connection costs, as an upper bound: the ngtcp2 connection, the
 * GnuTLS session and our first flight kept for retransmission (C test
 * `half_open_cost_is_within_the_estimate` measures it with mallinfo2: about 64 KiB).
 */
#define CQ_HALF_OPEN_COST (96 * 1024)
/* Default budget: 24 MiB, 256 half-open handshakes. */
#define CQ_HALF_OPEN_DEFAULT_BYTES (24 * 1024 * 1024)
/* How long a half-open handshake stays safe after a younger one completed (µs). */
#define CQ_HALF_OPEN_MIN_AGE 1000000
/* How old a half-open handshake may get, when no younger one completes, before it may be pushed
 * out (µs): longer than a loaded server takes to work through a burst of Initials. A client
 * turned away meanwhile retransmits at 1 s and 3 s: against a budget full of stalled handshakes
 * the first real client gets in with its 3 s retransmission (the 5,000-handshake flood test
 * measured 3.0 s with a 1 s limit too). */
#define CQ_HALF_OPEN_MAX_WAIT 2000000
/* Half-open handshakes looked at to find one without progress (the oldest goes otherwise). */
#define CQ_VICTIM_SCAN 512
/* Handshakes that must have expired (or been dropped) before an idle moment trims the heap. */
#define CQ_TRIM_AFTER 64

static size_t cq_half_open_limit(const coquic_endpoint_t *ep) {
    return ep->half_open_limit ? ep->half_open_limit : CQ_HALF_OPEN_DEFAULT_BYTES;
}

static size_t cq_half_open_bytes(const coquic_endpoint_t *ep) { return ep->half_open_count * CQ_HALF_OPEN_COST; }

size_t cq_established_count(const coquic_endpoint_t *ep) {
    /* half-open connections in their closing period are no longer ACTIVE: never below 0 */
    return ep->active_count > ep->half_open_count ? ep->active_count - ep->half_open_count : 0;
}

static void unlink_half_open(coquic_endpoint_t *ep, cq_conn *c) {
    if (c->half_open_prev) c->half_open_prev->half_open_next = c->half_open_next;
    else ep->half_open_head = c->half_open_next;
    if (c->half_open_next) c->half_open_next->half_open_prev = c->half_open_prev;
    else ep->half_open_tail = c->half_open_prev;
    c->half_open_prev = c->half_open_next = NULL;
    c->half_open = false;
    ep->half_open_count--;
}

/*
 * Whether a half-open handshake is stale. Its client's answer may still be in the socket
 * buffer behind a burst of other Initials (a loaded server reads that burst for more than a
 * second; dropping the handshake then fails a client that has already finished). But once a
 * handshake that began after it has completed, the answers of older ones would have been read
 * too (datagrams are read in arrival order): a second after that, silence means a client that
 * does not answer. Without such a sign, only CQ_HALF_OPEN_MAX_WAIT makes it stale.
 */
static bool stale(const coquic_endpoint_t *ep, const cq_conn *o) {
    if (ep->now >= o->half_open_since + CQ_HALF_OPEN_MAX_WAIT) return true;
    return o->half_open_passed && ep->now >= o->half_open_passed_at + CQ_HALF_OPEN_MIN_AGE;
}

/*
 * The handshake to drop for a new one: among the stale, the oldest that has sent us one datagram
 * only (a client that sent more is making progress), else the oldest stale one. Looks at most
 * CQ_VICTIM_SCAN entries.
 */
static cq_conn *victim(const coquic_endpoint_t *ep) {
    size_t scanned = 0;
    cq_conn *old = NULL;
    for (cq_conn *o = ep->half_open_head; o && scanned < CQ_VICTIM_SCAN; o = o->half_open_next, scanned++) {
        if (ep->now < o->half_open_since + CQ_HALF_OPEN_MIN_AGE) break; /* the rest are younger: none stale */
        if (!stale(ep, o)) continue;
        if (o->stats.packets_received < 2) return o;
        if (!old) old = o;
    }
    return old;
}

/* `c` completed: every older half-open handshake not yet marked is passed now. Those marked
 * before form the list's head, so the walk stops at the first one (O(1) amortized). */
static void mark_passed(coquic_endpoint_t *ep, cq_conn *c) {
    for (cq_conn *o = c->half_open_prev; o && !o->half_open_passed; o = o->half_open_prev) {
        o->half_open_passed = true;
        o->half_open_passed_at = ep->now;
    }
}

bool cq_half_open_make_room(coquic_endpoint_t *ep) {
    if (cq_half_open_bytes(ep) + CQ_HALF_OPEN_COST <= cq_half_open_limit(ep)) return true;
    ep->half_open_dropped++;
    cq_conn *oldest = victim(ep);
    if (!oldest) return false; /* every one is young: the new client retransmits its Initial */
    unlink_half_open(ep, oldest);
    ep->half_open_expired++;
    cq_conn_evict(oldest); /* ends like a handshake timeout; freed at the end of this call */
    return true;
}

void cq_half_open_added(coquic_endpoint_t *ep, cq_conn *c) {
    c->half_open = true;
    c->half_open_since = ep->now;
    c->half_open_passed = false;
    c->half_open_next = NULL;
    c->half_open_prev = ep->half_open_tail;
    if (ep->half_open_tail) ep->half_open_tail->half_open_next = c;
    else ep->half_open_head = c;
    ep->half_open_tail = c;
    ep->half_open_count++;
}

void cq_half_open_ended(cq_conn *c, bool completed) {
    coquic_endpoint_t *ep = c->endpoint;
    if (c->unvalidated) {
        c->unvalidated = false;
        ep->unvalidated_count--;
    }
    if (!c->half_open) return;
    if (completed) mark_passed(ep, c);
    unlink_half_open(ep, c);
    if (!completed) ep->half_open_expired++;
#ifdef __GLIBC__
    /* the flood is over: give the handshakes' memory back to the system */
    if (ep->half_open_count == 0 && ep->half_open_expired >= CQ_TRIM_AFTER) {
        ep->half_open_expired = 0;
        malloc_trim(0);
    }
#endif
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_half_open_limit(coquic_endpoint_t *endpoint, uint64_t bytes) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_half_open_limit: NULL endpoint");
    if (bytes > SIZE_MAX) bytes = SIZE_MAX;
    endpoint->half_open_limit = (size_t)bytes;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API void coquic_x_endpoint_half_open(const coquic_endpoint_t *endpoint, uint64_t *out) {
    if (!out) return;
    out[0] = endpoint ? endpoint->half_open_count : 0;
    out[1] = endpoint ? cq_half_open_bytes(endpoint) : 0;
    out[2] = endpoint ? endpoint->half_open_dropped : 0;
}
