/*
 * 0-RTT (RFC 9001 §4.6): the outcome as ZERO_RTT_STATUS_EVENT effects, the server's ticket
 * once its handshake completes, and early data the server refused sent again in 1-RTT.
 */
#include "internal.h"

static void push_status(cq_conn *c, coquic_zero_rtt_status_t status) {
    coquic_effect_t *e = cq_result_push(c->endpoint->result, COQUIC_EFFECT_ZERO_RTT_STATUS_EVENT, c->handle);
    if (e) e->as.zero_rtt_status_event.status = status;
}

void cq_early_data_open_status(cq_conn *c) {
    if (c->early_attempted) push_status(c, COQUIC_ZERO_RTT_ATTEMPTED);
    else if (c->early_wanted) push_status(c, COQUIC_ZERO_RTT_NOT_ATTEMPTED); /* no usable ticket */
}

/* A ClientHello extension: early_data (RFC 8446 §4.2.10, type 42) means the client sent 0-RTT. */
static int note_extension(void *ctx, unsigned tls_id, const unsigned char *data, unsigned len) {
    (void)data, (void)len;
    if (tls_id == 42) *(bool *)ctx = true;
    return 0;
}

static int client_hello_hook(gnutls_session_t session, unsigned int htype, unsigned when, unsigned int incoming,
                             const gnutls_datum_t *msg) {
    (void)when;
    if (htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || !incoming || !msg) return 0;
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    cq_conn *c = ref ? ref->user_data : NULL;
    bool offered = false;
    if (c && gnutls_ext_raw_parse(&offered, note_extension, msg, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO) == 0 && offered)
        c->early_offered = true;
    return 0; /* a ClientHello GnuTLS cannot parse fails the handshake there, not here */
}

/* Server: early data offered and no 0-RTT key installed (not allowed, a replay, a stale ticket). */
static void report_refused(cq_conn *c) {
    if (!c->early_offered || c->early_status_emitted) return;
    c->early_status_emitted = true;
    push_status(c, COQUIC_ZERO_RTT_REJECTED);
}

void cq_early_data_configure_server(gnutls_session_t s) {
    gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE, client_hello_hook);
}

int cq_early_data_on_handshake_completed(cq_conn *c) {
    if (c->is_server) {
        report_refused(c); /* normally done with the Handshake key already */
        /* a failed ticket costs the client its next resumption, not this connection */
        if (c->endpoint->ticketing) (void)gnutls_session_ticket_send(c->tls, 1, 0);
        cq_tokens_issue(c);
        return 0;
    }
    if (!c->early_attempted || c->early_status_emitted) return 0;
    if (gnutls_session_get_flags(c->tls) & GNUTLS_SFLAGS_EARLY_DATA) {
        c->early_status_emitted = true;
        push_status(c, COQUIC_ZERO_RTT_ACCEPTED);
        return 0;
    }
    /* GnuTLS tells of a refusal only now: ngtcp2 drops its early state and calls
     * cq_early_data_rejected_cb, which queues the streams again */
    return ngtcp2_conn_tls_early_data_rejected(c->conn);
}

/*
 * The server refused 0-RTT: ngtcp2 has forgotten every stream and stream ID. The engine
 * still holds each stream's bytes (nothing sent in 0-RTT can have been acknowledged), so the
 * streams are opened again, in ID order, by the next drain and their bytes sent from the start.
 */
int cq_early_data_rejected_cb(ngtcp2_conn *conn, void *user_data) {
    cq_conn *c = user_data;
    for (size_t i = 0; i < c->streams.capacity; i++) {
        cq_map_slot *slot = &c->streams.slots[i];
        if (!slot->used) continue;
        cq_stream *s = slot->value;
        cq_stream_unlink_pending(c, s);
        s->open_in_ngtcp2 = false;
        s->sent_offset = s->head ? s->head->offset : s->acked_offset;
        s->send_from = NULL; /* sent_offset went back: scan from the head */
        s->fin_sent = false;
        s->blocked = false;
    }
    c->next_local_bidi = c->is_server ? 1 : 0;
    c->next_local_uni = c->is_server ? 3 : 2;
    c->stats.streams_opened_local = 0;
    if (!c->early_status_emitted) {
        c->early_status_emitted = true;
        push_status(c, COQUIC_ZERO_RTT_REJECTED);
    }
    return 0;
}

/* Server: a 0-RTT key means GnuTLS accepted the client's early data (replays never get one);
 * the Handshake key comes after it, so early data offered without one by then was refused. */
int cq_early_data_rx_key_cb(ngtcp2_conn *conn, ngtcp2_encryption_level level, void *user_data) {
    cq_conn *c = user_data;
    if (c->is_server && level == NGTCP2_ENCRYPTION_LEVEL_0RTT && !c->early_status_emitted) {
        c->early_status_emitted = true;
        push_status(c, COQUIC_ZERO_RTT_ACCEPTED);
    } else if (c->is_server && level == NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE) {
        report_refused(c);
    }
    return 0;
}

void cq_early_data_fill_stats(cq_conn *c, coquic_x_connection_stats_t *out) {
    out->resumed = c->tls && gnutls_session_is_resumed(c->tls) != 0;
    out->early_data_accepted = c->tls && (gnutls_session_get_flags(c->tls) & GNUTLS_SFLAGS_EARLY_DATA) != 0;
}
