/* The endpoint layer ngtcp2 leaves to applications: CID demux, accept, VN, resets, timers. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

cq_conn *cq_endpoint_find_conn(const coquic_endpoint_t *ep, coquic_connection_handle_t handle) {
    return cq_map_get_u64(&ep->connections_by_handle, handle);
}

static coquic_status_t add_conn(coquic_endpoint_t *ep, cq_conn *c) {
    c->timer.expiry = UINT64_MAX;
    c->touched_index = CQ_TIMER_NONE;
    if (cq_map_put_u64(&ep->connections_by_handle, c->handle, c) != 0) {
        cq_conn_free(c);
        return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "registering a connection");
    }
    if (cq_timer_heap_insert(&ep->timers, &c->timer) != 0) {
        cq_map_remove_u64(&ep->connections_by_handle, c->handle);
        cq_conn_free(c);
        return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "registering a connection's timer");
    }
    c->next = ep->conn_head;
    if (ep->conn_head) ep->conn_head->prev = c;
    ep->conn_head = c;
    ep->conn_count++;
    cq_endpoint_state_changed(ep, CQ_CONN_DEAD, c->state);
    cq_endpoint_touch(ep, c);
    return COQUIC_STATUS_OK;
}

void cq_endpoint_state_changed(coquic_endpoint_t *ep, cq_conn_state from, cq_conn_state to) {
    if (from == to) return;
    if (from == CQ_CONN_DEAD) ep->live_count++;
    if (to == CQ_CONN_DEAD) ep->live_count--;
    if (from == CQ_CONN_ACTIVE) ep->active_count--;
    if (to == CQ_CONN_ACTIVE) ep->active_count++;
}

void cq_endpoint_touch(coquic_endpoint_t *ep, cq_conn *c) {
    if (c->touched_index != CQ_TIMER_NONE) return;
    if (ep->touched_count == ep->touched_capacity) {
        size_t cap = ep->touched_capacity ? ep->touched_capacity * 2 : 16;
        cq_conn **t = realloc(ep->touched, cap * sizeof *t);
        if (!t) { /* settle then looks at every connection instead */
            ep->touch_overflow = true;
            return;
        }
        ep->touched = t;
        ep->touched_capacity = cap;
    }
    c->touched_index = ep->touched_count;
    ep->touched[ep->touched_count++] = c;
}

static void untouch(coquic_endpoint_t *ep, cq_conn *c) {
    if (c->touched_index == CQ_TIMER_NONE) return;
    ep->touched[c->touched_index] = NULL;
    c->touched_index = CQ_TIMER_NONE;
}

void cq_endpoint_remove_conn(coquic_endpoint_t *ep, cq_conn *c) {
    if (c->prev) c->prev->next = c->next;
    else ep->conn_head = c->next;
    if (c->next) c->next->prev = c->prev;
    cq_map_remove_u64(&ep->connections_by_handle, c->handle);
    cq_timer_heap_remove(&ep->timers, &c->timer);
    untouch(ep, c);
    if (c->counted_wants_now) ep->wants_now_count--;
    if (c->counted_pending) ep->pending_send_count--;
    cq_endpoint_state_changed(ep, c->state, CQ_CONN_DEAD);
    ep->conn_count--;
    cq_conn_free(c);
}

/* ---- creation ---------------------------------------------------------------------------------- */

coquic_status_t cq_endpoint_create(const coquic_endpoint_config_t *config, coquic_endpoint_t **out) {
    coquic_endpoint_t *ep = calloc(1, sizeof *ep);
    if (!ep) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "allocating the endpoint");
    coquic_status_t st = cq_config_import(config, &ep->config);
    if (st == COQUIC_STATUS_OK)
        st = cq_tls_context_init(&ep->tls, &ep->config,
                                 config->size >= offsetof(coquic_endpoint_config_t, identity) + sizeof(void *)
                                     ? config->identity
                                     : NULL);
    if (st == COQUIC_STATUS_OK && (st = cq_ticketing_init(ep)) != COQUIC_STATUS_OK) cq_tls_context_free(&ep->tls);
    if (st != COQUIC_STATUS_OK) {
        free(ep->config.zero_rtt_context);
        free(ep);
        return st;
    }
    cq_random(ep->static_secret, sizeof ep->static_secret);
    ep->next_handle = 1;
    cq_qlog_from_environment(ep);
    *out = ep;
    return COQUIC_STATUS_OK;
}

void cq_endpoint_destroy(coquic_endpoint_t *ep) {
    if (!ep) return;
    if (ep->io) cq_io_endpoint_gone(ep->io);
    while (ep->conn_head) cq_endpoint_remove_conn(ep, ep->conn_head);
    cq_map_free(&ep->connections_by_handle);
    cq_map_free(&ep->connections_by_cid);
    cq_timer_heap_free(&ep->timers);
    free(ep->touched);
    free(ep->due);
    cq_tls_context_free(&ep->tls);
    cq_ticketing_free(ep);
    cq_tokens_free(ep);
    free(ep->config.zero_rtt_context);
    free(ep->qlog_dir);
    free(ep);
}

/* ---- opening ------------------------------------------------------------------------------------ */

coquic_status_t cq_endpoint_open(coquic_endpoint_t *ep, const coquic_open_connection_t *open,
                                 coquic_connection_handle_t *out_handle) {
    const coquic_client_connection_config_t *cc = &open->connection;
    if (ep->config.role != COQUIC_ROLE_CLIENT) {
        cq_result_set_local_error(ep->result, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, false, 0, false, 0);
        return COQUIC_STATUS_OK;
    }
    if (cc->source_connection_id.length > NGTCP2_MAX_CIDLEN ||
        (cc->initial_destination_connection_id.length > 0 &&
         (cc->initial_destination_connection_id.length < NGTCP2_MIN_INITIAL_DCIDLEN ||
          cc->initial_destination_connection_id.length > NGTCP2_MAX_CIDLEN)))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                       "connection IDs: source must be 0..20 bytes, initial destination 8..20 bytes "
                       "(or empty for a random one)");
    if ((cc->source_connection_id.length > 0 && !cc->source_connection_id.data) ||
        (cc->server_name_length > 0 && !cc->server_name))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "client connection config: NULL pointer with a length");
    if (cc->initial_version && !ngtcp2_is_supported_version(cc->initial_version))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "initial_version 0x%08x is not supported",
                       cc->initial_version);
    /* RFC 9000 §5.1: a zero-length CID can identify only one connection. */
    if (cc->source_connection_id.length == 0 ? ep->conn_count > 0 : (ep->cid_lengths & 1u) && ep->conn_count > 0) {
        cq_result_set_local_error(ep->result, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, false, 0, false, 0);
        return COQUIC_STATUS_OK;
    }
    if (cc->source_connection_id.length > 0 &&
        cq_map_get(&ep->connections_by_cid, cc->source_connection_id.data, cc->source_connection_id.length)) {
        cq_result_set_local_error(ep->result, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, false, 0, false, 0);
        return COQUIC_STATUS_OK;
    }
    coquic_status_t st;
    cq_conn *c = cq_conn_new_client(ep, open, &st);
    if (!c) return st;
    if ((st = add_conn(ep, c)) != COQUIC_STATUS_OK) return st;
    coquic_effect_t *e = cq_result_push(ep->result, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, c->handle);
    if (e) e->as.connection_lifecycle_event.event = COQUIC_LIFECYCLE_CREATED;
    cq_early_data_open_status(c);
    if (out_handle) *out_handle = c->handle;
    cq_conn_drain(c);
    return COQUIC_STATUS_OK;
}

/* ---- inbound datagrams ------------------------------------------------------------------------------ */

static void send_version_negotiation(coquic_endpoint_t *ep, const ngtcp2_version_cid *vc, uint64_t route) {
    uint8_t *buf = cq_result_reserve(ep->result, CQ_MAX_UDP_PAYLOAD);
    if (!buf) return;
    uint8_t unused;
    cq_random(&unused, 1);
    ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(buf, CQ_MAX_UDP_PAYLOAD, unused, vc->scid, vc->scidlen,
                                                          vc->dcid, vc->dcidlen, ep->config.versions,
                                                          ep->config.version_count);
    cq_result_shrink_last(ep->result, buf, CQ_MAX_UDP_PAYLOAD, n > 0 ? (size_t)n : 0);
    if (n > 0) cq_emit_datagram(ep, 0, route, buf, (size_t)n, 0);
}

static void refuse_initial(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, uint64_t route) {
    uint8_t *buf = cq_result_reserve(ep->result, CQ_MAX_UDP_PAYLOAD);
    if (!buf) return;
    ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(buf, CQ_MAX_UDP_PAYLOAD, hd->version, &hd->scid,
                                                          &hd->dcid, NGTCP2_CONNECTION_REFUSED, NULL, 0);
    cq_result_shrink_last(ep->result, buf, CQ_MAX_UDP_PAYLOAD, n > 0 ? (size_t)n : 0);
    if (n > 0) cq_emit_datagram(ep, 0, route, buf, (size_t)n, 0);
}

/* A short-header packet for a CID we issued but no longer know: answer with a stateless reset. */
static void send_stateless_reset(coquic_endpoint_t *ep, const uint8_t *data, size_t len, uint64_t route) {
    const size_t min_len = 1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN;
    if (ep->config.role != COQUIC_ROLE_SERVER || len < 1 + CQ_SERVER_CID_LEN || len <= min_len) return;
    size_t total = len - 1 < 43 ? len - 1 : 43; /* always smaller than what triggered it */
    ngtcp2_cid cid;
    ngtcp2_cid_init(&cid, data + 1, CQ_SERVER_CID_LEN);
    uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
    if (ngtcp2_crypto_generate_stateless_reset_token(token, ep->static_secret, sizeof ep->static_secret, &cid) != 0)
        return;
    uint8_t rand_bytes[64];
    size_t randlen = total - 1 - NGTCP2_STATELESS_RESET_TOKENLEN;
    cq_random(rand_bytes, randlen);
    uint8_t *buf = cq_result_reserve(ep->result, total);
    if (!buf) return;
    ngtcp2_ssize n = ngtcp2_pkt_write_stateless_reset(buf, total, token, rand_bytes, randlen);
    cq_result_shrink_last(ep->result, buf, total, n > 0 ? (size_t)n : 0);
    if (n > 0) cq_emit_datagram(ep, 0, route, buf, (size_t)n, 0);
}

/*
 * A short-header datagram that no connection ID claims may be a stateless reset from a peer
 * that lost our connection (RFC 9000 §10.3.1): its first bytes are random, only its last 16
 * bytes (a token the peer gave us for one of our destination CIDs) identify it. Client
 * endpoints look the token up among their connections and hand the datagram to the one
 * that owns it, where ngtcp2 checks it again (path included) and drains the connection.
 * Servers do not scan (their many connections would make every stray packet cost O(n)).
 */
static cq_conn *stateless_reset_owner(coquic_endpoint_t *ep, const uint8_t *data, size_t len) {
    if (ep->config.role != COQUIC_ROLE_CLIENT || len < 1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN)
        return NULL;
    const uint8_t *tail = data + len - NGTCP2_STATELESS_RESET_TOKENLEN;
    ngtcp2_cid_token stack[8];
    for (cq_conn *c = ep->conn_head; c; c = c->next) {
        if (c->state != CQ_CONN_ACTIVE || !c->conn) continue;
        size_t n = ngtcp2_conn_get_active_dcid(c->conn, NULL);
        if (n == 0) continue;
        ngtcp2_cid_token *tokens = n <= 8 ? stack : malloc(n * sizeof *tokens);
        if (!tokens) continue;
        n = ngtcp2_conn_get_active_dcid(c->conn, tokens);
        bool match = false;
        for (size_t i = 0; i < n && !match; i++) {
            if (!tokens[i].token_present) continue;
            uint8_t diff = 0;
            for (size_t k = 0; k < NGTCP2_STATELESS_RESET_TOKENLEN; k++) diff |= (uint8_t)(tokens[i].token[k] ^ tail[k]);
            match = diff == 0;
        }
        if (tokens != stack) free(tokens);
        if (match) return c;
    }
    return NULL;
}

/*
 * The address a Retry token is bound to: the peer's real transport address when the
 * runtime supplied its address-validation identity (0x04 a b c d port / 0x06 addr16 port),
 * otherwise the route's synthetic address.
 */
socklen_t cq_token_address(struct sockaddr_storage *ss, const uint8_t *id, size_t id_len, uint64_t route) {
    memset(ss, 0, sizeof *ss);
    if (id_len == 7 && id[0] == 0x04) {
        struct sockaddr_in *sa = (struct sockaddr_in *)ss;
        sa->sin_family = AF_INET;
        memcpy(&sa->sin_addr, id + 1, 4);
        memcpy(&sa->sin_port, id + 5, 2);
        return sizeof *sa;
    }
    if (id_len == 19 && id[0] == 0x06) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
        sa->sin6_family = AF_INET6;
        memcpy(&sa->sin6_addr, id + 1, 16);
        memcpy(&sa->sin6_port, id + 17, 2);
        return sizeof *sa;
    }
    ngtcp2_path_storage ps;
    cq_path_for_route(&ps, route, false);
    memcpy(ss, ps.path.remote.addr, ps.path.remote.addrlen);
    return ps.path.remote.addrlen;
}

#define CQ_RETRY_TOKEN_LIFETIME (10 * NGTCP2_SECONDS)

static void send_retry(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, const struct sockaddr_storage *addr,
                       socklen_t addrlen, uint64_t route) {
    ngtcp2_cid scid;
    scid.datalen = CQ_SERVER_CID_LEN;
    cq_random(scid.data, scid.datalen);
    uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN2];
    ngtcp2_ssize tokenlen = ngtcp2_crypto_generate_retry_token2(
        token, ep->static_secret, sizeof ep->static_secret, hd->version, (const ngtcp2_sockaddr *)addr, addrlen,
        &scid, &hd->dcid, cq_us_to_ns(ep->now));
    if (tokenlen < 0) return;
    uint8_t *buf = cq_result_reserve(ep->result, CQ_MAX_UDP_PAYLOAD);
    if (!buf) return;
    ngtcp2_ssize n = ngtcp2_crypto_write_retry(buf, CQ_MAX_UDP_PAYLOAD, hd->version, &hd->scid, &scid, &hd->dcid,
                                               token, (size_t)tokenlen);
    cq_result_shrink_last(ep->result, buf, CQ_MAX_UDP_PAYLOAD, n > 0 ? (size_t)n : 0);
    if (n > 0) cq_emit_datagram(ep, 0, route, buf, (size_t)n, 0);
}

/*
 * Handshakes from addresses not yet validated that may be open at once before every new
 * client must prove its address with a Retry round trip, although Retry is not enabled: a
 * flood of Initials from spoofed addresses then holds at most this many half-open connections
 * (each for the 10 s handshake timeout) and can no longer fill max_server_connections and lock
 * real clients out, who get in after one more round trip. With max_server_connections set,
 * at most half of it.
 */
#define CQ_AUTO_RETRY_UNVALIDATED 64

static size_t auto_retry_threshold(const coquic_endpoint_t *ep) {
    size_t max = ep->config.max_server_connections;
    size_t half = max ? (max / 2 ? max / 2 : 1) : CQ_AUTO_RETRY_UNVALIDATED;
    return half < CQ_AUTO_RETRY_UNVALIDATED ? half : CQ_AUTO_RETRY_UNVALIDATED;
}

static void accept_initial(coquic_endpoint_t *ep, const uint8_t *data, size_t len, uint64_t route, uint8_t ecn,
                           const uint8_t *identity, size_t identity_len) {
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, data, len) != 0) return; /* not an acceptable Initial: drop */
    ngtcp2_cid odcid, *validated_odcid = NULL;
    bool validated = false;
    bool must_validate = ep->config.retry_enabled || ep->unvalidated_count >= auto_retry_threshold(ep);
    if (hd.tokenlen > 0 && hd.token[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY2) {
        /* a Retry token: ours (Retry enabled, or sent under an Initial flood), or forged */
        struct sockaddr_storage addr;
        socklen_t addrlen = cq_token_address(&addr, identity, identity_len, route);
        if (ngtcp2_crypto_verify_retry_token2(&odcid, hd.token, hd.tokenlen, ep->static_secret,
                                              sizeof ep->static_secret, hd.version, (const ngtcp2_sockaddr *)&addr,
                                              addrlen, &hd.dcid, CQ_RETRY_TOKEN_LIFETIME, cq_us_to_ns(ep->now)) != 0) {
            refuse_initial(ep, &hd, route); /* forged, expired or for another address */
            return;
        }
        validated_odcid = &odcid;
        validated = true;
    } else if (must_validate) {
        struct sockaddr_storage addr;
        socklen_t addrlen = cq_token_address(&addr, identity, identity_len, route);
        /* a NEW_TOKEN from an earlier connection proves the address as well as a Retry */
        if (!cq_tokens_validate(ep, &hd, &addr, addrlen)) {
            send_retry(ep, &hd, &addr, addrlen, route);
            return;
        }
        validated = true;
    }
    /* half-open handshakes have their own bound (half_open.c): only established ones count here */
    if (ep->config.max_server_connections && cq_established_count(ep) >= ep->config.max_server_connections) {
        refuse_initial(ep, &hd, route);
        return;
    }
    if (!cq_half_open_make_room(ep)) return; /* half-open budget full of young handshakes: it retransmits */
    coquic_status_t st;
    cq_conn *c = cq_conn_new_server(ep, &hd, validated_odcid, route, &st);
    if (!c || add_conn(ep, c) != COQUIC_STATUS_OK) {
        if (st == COQUIC_STATUS_OUT_OF_MEMORY) ep->result->out_of_memory = 1;
        return;
    }
    if (!validated) { /* counted until its handshake completes or it is freed */
        c->unvalidated = true;
        ep->unvalidated_count++;
    }
    if (identity_len <= sizeof c->peer_identity) { /* NEW_TOKENs are bound to it */
        if (identity_len) memcpy(c->peer_identity, identity, identity_len);
        c->peer_identity_len = identity_len;
    }
    coquic_result_t *r = ep->result;
    size_t first = r->effect_count, first_close = r->close_count;
    bool batching = ep->batching; /* the answer is needed now, even inside a batch */
    ep->batching = false;
    cq_conn_read(c, data, len, route, ecn);
    ep->batching = batching;
    /* A genuine Initial always makes the server answer. One that produced nothing (it did
     * not decrypt, or was garbage with a valid-looking header) leaves no trace: no
     * ACCEPTED, no connection, no handle visible to the caller. */
    bool answered = false;
    for (size_t i = first; i < r->effect_count; i++)
        answered |= r->effects[i].kind == COQUIC_EFFECT_SEND_DATAGRAM && r->effects[i].as.send_datagram.connection == c->handle;
    if (!answered || c->state != CQ_CONN_ACTIVE) {
        /* Never seen by the caller: no ACCEPTED, FAILED or CLOSED. But a handshake refused on
         * its first packet (e.g. no common ALPN) still tells the client why: its
         * CONNECTION_CLOSE datagrams stay, re-labelled as endpoint-level (connection 0). */
        size_t kept = first;
        for (size_t i = first; i < r->effect_count; i++) {
            if (r->effects[i].kind != COQUIC_EFFECT_SEND_DATAGRAM) continue;
            r->effects[kept] = r->effects[i];
            r->effects[kept].as.send_datagram.connection = 0;
            kept++;
        }
        r->effect_count = kept;
        r->close_count = first_close;
        cq_endpoint_remove_conn(ep, c);
        ep->next_handle--; /* the handle was never seen */
        return;
    }
    coquic_effect_t *e = cq_result_push(r, COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, c->handle);
    if (!e) return;
    coquic_effect_t accepted = *e; /* ACCEPTED goes before the connection's other effects */
    memmove(&r->effects[first + 1], &r->effects[first], (r->effect_count - 1 - first) * sizeof *e);
    r->effects[first] = accepted;
    r->effects[first].as.connection_lifecycle_event.event = COQUIC_LIFECYCLE_ACCEPTED;
    cq_half_open_added(ep, c);
}

void cq_endpoint_input(coquic_endpoint_t *ep, const uint8_t *data, size_t len, uint64_t route, uint8_t ecn,
                       const uint8_t *identity, size_t identity_len) {
    if (len == 0 || !data) return;
    if (!(data[0] & 0x80)) { /* short header: try each CID length we hand out */
        for (size_t l = 0; l <= NGTCP2_MAX_CIDLEN; l++) {
            if (!(ep->cid_lengths & (UINT32_C(1) << l)) || len < 1 + l) continue;
            cq_conn *c = cq_map_get(&ep->connections_by_cid, data + 1, l);
            if (c) {
                cq_conn_read(c, data, len, route, ecn);
                return;
            }
        }
        cq_conn *owner = stateless_reset_owner(ep, data, len);
        if (owner) {
            cq_conn_read(owner, data, len, route, ecn); /* ngtcp2 verifies it and drains */
            return;
        }
        send_stateless_reset(ep, data, len, route);
        return;
    }
    ngtcp2_version_cid vc;
    int rv = ngtcp2_pkt_decode_version_cid(&vc, data, len, CQ_SERVER_CID_LEN);
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
        /* Only full-size datagrams get an answer (RFC 9000 §6.1: no amplification). */
        if (ep->config.role == COQUIC_ROLE_SERVER && len >= 1200) send_version_negotiation(ep, &vc, route);
        return;
    }
    if (rv != 0) return;
    cq_conn *c = cq_map_get(&ep->connections_by_cid, vc.dcid, vc.dcidlen);
    if (c) cq_conn_read(c, data, len, route, ecn);
    else if (ep->config.role == COQUIC_ROLE_SERVER) {
        /* A version ngtcp2 knows but this server was not configured for gets Version
         * Negotiation too: the configured list is the server's whole offer. */
        if (vc.version && !cq_config_has_version(&ep->config, vc.version)) {
            if (len >= 1200) send_version_negotiation(ep, &vc, route);
            return;
        }
        accept_initial(ep, data, len, route, ecn, identity, identity_len);
    }
}

/* ---- timers and bookkeeping --------------------------------------------------------------------- */

/* Runs the timers of the connections that are due, taken from the top of the expiry heap. */
void cq_endpoint_on_timer(coquic_endpoint_t *ep) {
    uint64_t ts = cq_us_to_ns(ep->now);
    size_t n = 0;
    for (cq_timer *t; (t = cq_timer_heap_min(&ep->timers)) && t->expiry <= ts;) {
        if (n == ep->due_capacity) {
            size_t cap = ep->due_capacity ? ep->due_capacity * 2 : 16;
            cq_conn **d = realloc(ep->due, cap * sizeof *d);
            if (!d) {
                ep->result->out_of_memory = 1;
                break;
            }
            ep->due = d;
            ep->due_capacity = cap;
        }
        cq_conn *c = (cq_conn *)((char *)t - offsetof(cq_conn, timer));
        ep->due[n++] = c;
        cq_timer_heap_update(&ep->timers, t, UINT64_MAX); /* re-keyed when the call settles */
        cq_endpoint_touch(ep, c);
        if (ep->touch_overflow) break; /* settle cannot find it: leave the rest for the next call */
    }
    for (size_t i = 0; i < n; i++) cq_conn_on_timer(ep->due[i]);
}

uint64_t cq_endpoint_expiry_ns(const coquic_endpoint_t *ep, bool *continuation) {
    *continuation = ep->wants_now_count > 0;
    const cq_timer *t = cq_timer_heap_min(&ep->timers);
    return t ? t->expiry : UINT64_MAX;
}

/* Looks at one connection again after a call acted on it: removed when DEAD, else re-keyed. */
static void settle_conn(coquic_endpoint_t *ep, cq_conn *c) {
    if (c->state == CQ_CONN_DEAD) {
        cq_endpoint_remove_conn(ep, c);
        return;
    }
    bool wants_now = c->state == CQ_CONN_ACTIVE && cq_conn_wants_call_now(c);
    if (wants_now != c->counted_wants_now) {
        c->counted_wants_now = wants_now;
        if (wants_now) ep->wants_now_count++;
        else ep->wants_now_count--;
    }
    bool pending = c->state == CQ_CONN_ACTIVE && cq_conn_has_pending_send(c);
    if (pending != c->counted_pending) {
        c->counted_pending = pending;
        if (pending) ep->pending_send_count++;
        else ep->pending_send_count--;
    }
    cq_timer_heap_update(&ep->timers, &c->timer, cq_conn_expiry_ns(c));
}

void cq_endpoint_settle(coquic_endpoint_t *ep) {
    for (size_t i = 0; i < ep->touched_count; i++) {
        cq_conn *c = ep->touched[i];
        if (!c) continue;
        c->touched_index = CQ_TIMER_NONE;
        ep->touched[i] = NULL;
        settle_conn(ep, c);
    }
    ep->touched_count = 0;
    if (ep->touch_overflow) { /* a touch was lost to an allocation failure: look at everyone */
        ep->touch_overflow = false;
        for (cq_conn *c = ep->conn_head, *n; c; c = n) {
            n = c->next;
            settle_conn(ep, c);
        }
    }
}

void cq_endpoint_input_batch(coquic_endpoint_t *ep, const uint8_t *data, const uint32_t *lengths,
                             const uint64_t *routes, const uint8_t *identities, const uint8_t *identity_lengths,
                             size_t count) {
    /* Connections that read a datagram are drained later: by the application's next call for
     * them (a response then carries the ACK) or by timer_expired, which next_wakeup (= now,
     * with send_continuation_pending) asks for at once. */
    ep->batching = true;
    size_t offset = 0, id_offset = 0;
    for (size_t i = 0; i < count; i++) {
        size_t id_len = identity_lengths ? identity_lengths[i] : 0;
        cq_endpoint_input(ep, data + offset, lengths[i], routes[i], COQUIC_ECN_UNAVAILABLE,
                          id_len ? identities + id_offset : NULL, id_len);
        offset += lengths[i];
        id_offset += id_len;
    }
    ep->batching = false;
}
