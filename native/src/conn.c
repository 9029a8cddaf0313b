/* One QUIC connection on ngtcp2: its lifecycle (creation, Version Negotiation restart, failure
 * and close, free), reading, timers and statistics. Its ngtcp2 callbacks are in conn_callbacks.c,
 * streams in conn_streams.c, DATAGRAMs in conn_datagrams.c, the send loop in conn_send.c, and the
 * workarounds for ngtcp2 1.11 in ngtcp2_compat.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_private.h"

/* ---- lifecycle effects ------------------------------------------------------------------- */

void cq_conn_push_state(cq_conn *c, coquic_state_change_t change) {
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_STATE_EVENT, c->handle);
    if (e) e->as.state_event.change = change;
}

static void push_lifecycle(cq_conn *c, coquic_lifecycle_t event) {
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_CONNECTION_LIFECYCLE_EVENT, c->handle);
    if (e) e->as.connection_lifecycle_event.event = event;
}

static void emit_failed(cq_conn *c, coquic_x_close_source_t source, bool is_app, uint64_t code,
                        const uint8_t *reason, size_t reason_len) {
    if (c->failed_emitted) return;
    c->failed_emitted = true;
    cq_conn_push_state(c, COQUIC_STATE_CHANGE_FAILED);
    cq_result_push_close(res(c), c->handle, source, is_app, code, reason, reason_len);
}

/* State dropped: CLOSED now, removal at the end of the current call. */
static void set_state(cq_conn *c, cq_conn_state state) {
    cq_endpoint_state_changed(c->endpoint, c->state, state);
    c->state = state;
    cq_endpoint_touch(c->endpoint, c);
}

static void emit_closed(cq_conn *c) {
    if (c->state == CQ_CONN_DEAD) return;
    set_state(c, CQ_CONN_DEAD);
    push_lifecycle(c, COQUIC_LIFECYCLE_CLOSED);
}

static void enter_period(cq_conn *c, cq_conn_state state) {
    set_state(c, state);
    c->close_deadline_ns = now_ns(c) + 3 * ngtcp2_conn_get_pto(c->conn);
    c->continuation = false;
}


static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) { return ((cq_conn *)ref->user_data)->conn; }

/*
 * Server: the client's original DCID is not one of ngtcp2's IDs (no remove_connection_id comes
 * for it), so the engine releases it itself. The client uses it only for its first Initial and
 * 0-RTT packets, before it hears from us; once the handshake is confirmed it never sends it
 * again, and a grace of 3 PTO lets late copies of those packets still reach this connection
 * rather than look like a new one.
 */
void cq_conn_schedule_original_dcid_release(cq_conn *c) {
    if (c->original_dcid_registered) c->original_dcid_release_ns = now_ns(c) + 3 * ngtcp2_conn_get_pto(c->conn);
}

void cq_conn_release_original_dcid_if_due(cq_conn *c) {
    if (!c->original_dcid_registered || now_ns(c) < c->original_dcid_release_ns) return;
    c->original_dcid_registered = false;
    cq_endpoint_unregister_cid(c->endpoint, c, &c->original_dcid);
}

void cq_conn_evict(cq_conn *c) {
    emit_failed(c, COQUIC_X_CLOSE_SOURCE_HANDSHAKE_TIMEOUT, false, 0, (const uint8_t *)"half-open handshake dropped",
                27);
    emit_closed(c);
}


/* ---- creation ------------------------------------------------------------------------------- */

static void fill_settings(ngtcp2_settings *s, const coquic_endpoint_t *ep, uint64_t ts) {
    const cq_config *cfg = &ep->config;
    ngtcp2_settings_default(s);
    /* qlog costs ~20% CPU on bulk transfers: only when a qlog file or loss accounting is wanted */
    if (cq_qlog_wanted(ep)) s->qlog_write = cq_qlog_write;
    s->initial_ts = ts;
    s->cc_algo = cfg->cc_algo;
    size_t max_payload = cfg->max_outbound_datagram_size;
    if (cfg->transport.pmtud_enabled && cfg->transport.pmtud_max_datagram_size > max_payload)
        max_payload = cfg->transport.pmtud_max_datagram_size;
    if (max_payload > CQ_MAX_UDP_PAYLOAD) max_payload = CQ_MAX_UDP_PAYLOAD;
    s->max_tx_udp_payload_size = max_payload;
    /* A caller asking for datagrams above 1200 bytes gets them from the start. */
    s->no_tx_udp_payload_size_shaping = cfg->max_outbound_datagram_size > 1200;
    s->no_pmtud = !cfg->transport.pmtud_enabled;
    s->ack_thresh = cfg->transport.ack_eliciting_threshold ? cfg->transport.ack_eliciting_threshold : 2;
    s->handshake_timeout = 10 * NGTCP2_SECONDS; /* half-open connections do not live forever */
    s->preferred_versions = cfg->versions;
    s->preferred_versionslen = cfg->version_count;
    s->available_versions = cfg->versions;
    s->available_versionslen = cfg->version_count;
}

static void fill_params(ngtcp2_transport_params *p, const coquic_transport_config_t *t) {
    ngtcp2_transport_params_default(p);
    p->initial_max_stream_data_bidi_local = t->initial_max_stream_data_bidi_local;
    p->initial_max_stream_data_bidi_remote = t->initial_max_stream_data_bidi_remote;
    p->initial_max_stream_data_uni = t->initial_max_stream_data_uni;
    p->initial_max_data = t->initial_max_data;
    p->initial_max_streams_bidi = t->initial_max_streams_bidi;
    p->initial_max_streams_uni = t->initial_max_streams_uni;
    p->max_idle_timeout = t->max_idle_timeout * NGTCP2_MILLISECONDS;
    p->max_udp_payload_size = t->max_udp_payload_size;
    p->active_connection_id_limit = t->active_connection_id_limit;
    p->ack_delay_exponent = t->ack_delay_exponent;
    p->max_ack_delay = t->max_ack_delay * NGTCP2_MILLISECONDS;
    p->max_datagram_frame_size = t->max_datagram_frame_size;
    p->disable_active_migration = t->disable_active_migration;
    p->grease_quic_bit = t->grease_quic_bit;
}

static cq_conn *conn_alloc(coquic_endpoint_t *ep, bool server, uint64_t route) {
    cq_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->endpoint = ep;
    c->is_server = server;
    c->handle = ep->next_handle++;
    c->conn_ref.get_conn = get_conn;
    c->conn_ref.user_data = c;
    c->current_route = route;
    c->next_local_bidi = server ? 1 : 0;
    c->next_local_uni = server ? 3 : 2;
    c->highest_local_bidi = c->highest_local_uni = -1;
    c->max_remote_bidi_seen = c->max_remote_uni_seen = -1;
    c->stats.size = sizeof c->stats;
    c->loss_accounting = ep->loss_accounting;
    c->original_dcid_release_ns = UINT64_MAX;
    c->timer.expiry = UINT64_MAX;
    c->timer.index = c->touched_index = CQ_TIMER_NONE;
    return c;
}

static coquic_status_t conn_attach_tls(cq_conn *c, const char *server_name, size_t server_name_len) {
    int rv = cq_tls_session_new(&c->tls, &c->endpoint->tls, &c->endpoint->config, &c->conn_ref, server_name,
                                server_name_len);
    if (rv != 0) return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "TLS session setup: %s", gnutls_strerror(rv));
    ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
    return COQUIC_STATUS_OK;
}

static coquic_status_t ngtcp2_status(int rv, const char *what) {
    return cq_fail(rv == NGTCP2_ERR_NOMEM ? COQUIC_STATUS_OUT_OF_MEMORY : COQUIC_STATUS_INTERNAL_ERROR, "%s: %s",
                   what, ngtcp2_strerror(rv));
}

/* A token for the client's first Initial: a Retry token, or a server's NEW_TOKEN. */
typedef struct client_token {
    const uint8_t *data;
    size_t len;
    ngtcp2_token_type type;
} client_token;

/* Creates the client's ngtcp2 connection and TLS session in `version` on the connection's
 * route, with `c->client_scid` and the destination CID `dcid`; `original_version` (0 = none)
 * is the version of an attempt that Version Negotiation ended; `resume` (NULL after such a
 * restart) carries the resumption state and 0-RTT wish of the application's config. */
static coquic_status_t client_start(cq_conn *c, const ngtcp2_cid *dcid, uint32_t version, uint32_t original_version,
                                    client_token token, const coquic_client_connection_config_t *resume) {
    coquic_endpoint_t *ep = c->endpoint;
    ngtcp2_path_storage ps;
    cq_path_for_route(&ps, c->current_route, true);
    ngtcp2_callbacks cb;
    cq_conn_fill_callbacks(&cb, false);
    ngtcp2_settings settings;
    fill_settings(&settings, ep, cq_us_to_ns(ep->now));
    if (token.len > 0) {
        settings.token = token.data;
        settings.tokenlen = token.len;
        settings.token_type = token.type;
    }
    if (original_version && original_version != version) settings.original_version = original_version;
    ngtcp2_transport_params params;
    fill_params(&params, &ep->config.transport);
    cq_qlog_open(c, &c->client_scid); /* before ngtcp2 writes the qlog header */
    int rv = ngtcp2_conn_client_new(&c->conn, dcid, &c->client_scid, &ps.path, version, &cb, &settings, &params, NULL,
                                    c);
    if (rv != 0) {
        c->conn = NULL;
        cq_qlog_close(c);
        return ngtcp2_status(rv, "creating the client connection");
    }
    coquic_status_t st = resume ? cq_resumption_apply(c, resume, version) : COQUIC_STATUS_OK;
    return st == COQUIC_STATUS_OK ? conn_attach_tls(c, c->server_name, strlen(c->server_name)) : st;
}

cq_conn *cq_conn_new_client(coquic_endpoint_t *ep, const coquic_open_connection_t *open, coquic_status_t *status) {
    const coquic_client_connection_config_t *cc = &open->connection;
    cq_conn *c = conn_alloc(ep, false, open->initial_route_handle);
    if (!c) {
        *status = cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "allocating a connection");
        return NULL;
    }
    ngtcp2_cid dcid;
    ngtcp2_cid_init(&c->client_scid, cc->source_connection_id.data, cc->source_connection_id.length);
    if (cc->initial_destination_connection_id.length == 0) {
        dcid.datalen = 16;
        cq_random(dcid.data, dcid.datalen);
    } else {
        ngtcp2_cid_init(&dcid, cc->initial_destination_connection_id.data,
                        cc->initial_destination_connection_id.length);
    }
    size_t name_len = cc->server_name_length < sizeof c->server_name - 1 ? cc->server_name_length : sizeof c->server_name - 1;
    if (name_len) memcpy(c->server_name, cc->server_name, name_len);
    c->server_name[name_len] = '\0';
    const coquic_bytes_t *id = &open->address_validation_identity;
    if (id->length <= sizeof c->peer_identity) {
        if (id->length) memcpy(c->peer_identity, id->data, id->length);
        c->peer_identity_len = id->length;
    }
    client_token token = {cc->retry_token.data, cc->retry_token.length, NGTCP2_TOKEN_TYPE_RETRY};
    if (token.len == 0) { /* this server's NEW_TOKEN from an earlier connection, if any */
        token.data = cq_tokens_lookup(ep, id->data, id->length, &token.len);
        token.type = NGTCP2_TOKEN_TYPE_NEW_TOKEN;
        if (!token.data) token.len = 0;
    }
    /* A client starts in a version it supports (ngtcp2 asserts on anything else): the
     * connection's initial version when the endpoint lists it, else the endpoint's first. */
    const cq_config *cfg = &ep->config;
    uint32_t version = cc->initial_version && cq_config_has_version(cfg, cc->initial_version) ? cc->initial_version
                                                                                              : cfg->versions[0];
    uint32_t original = cc->original_version && cq_config_has_version(cfg, cc->original_version) ? cc->original_version : 0;
    *status = client_start(c, &dcid, version, original, token, cc);
    if (c->conn && token.type == NGTCP2_TOKEN_TYPE_NEW_TOKEN && token.len > 0)
        cq_tokens_forget(ep, id->data, id->length); /* ngtcp2 holds its copy; never reuse it */
    if (*status == COQUIC_STATUS_OK && cq_endpoint_register_cid(ep, c, &c->client_scid) != 0)
        *status = cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "registering the connection ID");
    if (*status != COQUIC_STATUS_OK) {
        cq_conn_free(c);
        return NULL;
    }
    return c;
}

/* RFC 9368 incompatible version negotiation: the first attempt ended in a Version Negotiation
 * packet that offers a version we speak, so the same connection (same handle, source CID,
 * route and queued streams) starts over in that version with a fresh destination CID and TLS
 * session; its transport parameters then carry the original version, which stops a forged VN
 * from downgrading us (the server checks it). Only once per connection. */
static bool restart_after_version_negotiation(cq_conn *c) {
    uint32_t chosen = c->vn_chosen_version;
    /* After 0-RTT the streams already live in the first attempt's ngtcp2 state: no restart. */
    if (!chosen || c->vn_restarted || c->early_attempted) return false;
    uint32_t original = ngtcp2_conn_get_client_chosen_version(c->conn);
    c->vn_restarted = true;
    ngtcp2_conn_del(c->conn);
    c->conn = NULL;
    cq_qlog_close(c);
    gnutls_deinit(c->tls);
    c->tls = NULL;
    ngtcp2_cid dcid;
    dcid.datalen = 16;
    cq_random(dcid.data, dcid.datalen);
    client_token none = {NULL, 0, NGTCP2_TOKEN_TYPE_RETRY};
    if (client_start(c, &dcid, chosen, original, none, NULL) != COQUIC_STATUS_OK) return false;
    if (c->endpoint->batching) c->drain_deferred = true; /* the new Initial goes out with the batch */
    else cq_conn_drain(c);
    return true;
}

cq_conn *cq_conn_new_server(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, const ngtcp2_cid *retry_odcid,
                            uint64_t route, coquic_status_t *status) {
    cq_conn *c = conn_alloc(ep, true, route);
    if (!c) {
        *status = cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "allocating a connection");
        return NULL;
    }
    ngtcp2_cid scid;
    scid.datalen = CQ_SERVER_CID_LEN;
    cq_random(scid.data, scid.datalen);
    ngtcp2_path_storage ps;
    cq_path_for_route(&ps, route, false);
    ngtcp2_callbacks cb;
    cq_conn_fill_callbacks(&cb, true);
    ngtcp2_settings settings;
    fill_settings(&settings, ep, cq_us_to_ns(ep->now));
    ngtcp2_transport_params params;
    fill_params(&params, &ep->config.transport);
    params.original_dcid = retry_odcid ? *retry_odcid : hd->dcid;
    params.original_dcid_present = 1;
    if (retry_odcid) { /* the client's DCID now is the SCID we put in the Retry */
        params.retry_scid = hd->dcid;
        params.retry_scid_present = 1;
        settings.token = hd->token;
        settings.tokenlen = hd->tokenlen;
        settings.token_type = NGTCP2_TOKEN_TYPE_RETRY;
    }
    params.stateless_reset_token_present = 1;
    ngtcp2_crypto_generate_stateless_reset_token(params.stateless_reset_token, ep->static_secret,
                                                 sizeof ep->static_secret, &scid);
    cq_qlog_open(c, &scid);
    int rv = ngtcp2_conn_server_new(&c->conn, &hd->scid, &scid, &ps.path, hd->version, &cb, &settings, &params,
                                    NULL, c);
    if (rv != 0) {
        *status = ngtcp2_status(rv, "creating the server connection");
        cq_qlog_close(c);
        free(c);
        return NULL;
    }
    c->original_dcid = hd->dcid;
    *status = conn_attach_tls(c, NULL, 0);
    if (*status == COQUIC_STATUS_OK &&
        (cq_endpoint_register_cid(ep, c, &scid) != 0 || cq_endpoint_register_cid(ep, c, &hd->dcid) != 0))
        *status = cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "registering connection IDs");
    c->original_dcid_registered = *status == COQUIC_STATUS_OK;
    if (*status != COQUIC_STATUS_OK) {
        cq_conn_free(c);
        return NULL;
    }
    return c;
}

void cq_conn_free(cq_conn *c) {
    if (!c) return;
    cq_half_open_ended(c, false);
    cq_endpoint_unregister_all_cids(c->endpoint, c);
    for (size_t i = 0; i < c->streams.capacity; i++) {
        cq_map_slot *slot = &c->streams.slots[i];
        if (!slot->used) continue;
        cq_stream *s = slot->value;
        for (cq_send_chunk *k = s->head, *n; k; k = n) {
            n = k->next;
            free(k);
        }
        free(s);
    }
    cq_map_free(&c->streams);
    for (cq_pending_datagram *d = c->dgram_head, *n; d; d = n) {
        n = d->next;
        free(d);
    }
    if (c->conn) ngtcp2_conn_del(c->conn);
    cq_qlog_close(c); /* after ngtcp2, which may still write */
    if (c->tls) gnutls_deinit(c->tls);
    free(c->resume_session);
    free(c->app_context);
    free(c->close_packet);
    cq_compat_free(c);
    free(c);
}

/* ---- failure handling -------------------------------------------------------------------------- */

/* Writes our CONNECTION_CLOSE carrying ccerr, keeps a copy for retransmission, enters closing. */
static void send_close(cq_conn *c, const ngtcp2_ccerr *ccerr) {
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi;
    size_t cap = ngtcp2_conn_get_max_tx_udp_payload_size(c->conn);
    uint8_t *buf = cq_result_reserve(res(c), cap);
    if (!buf) return;
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, buf, cap, ccerr, now_ns(c));
    if (n <= 0) { /* nothing can be sent (e.g. no keys yet): drop the state right away */
        cq_result_shrink_last(res(c), buf, cap, 0);
        emit_closed(c);
        return;
    }
    cq_result_shrink_last(res(c), buf, cap, (size_t)n);
    cq_emit_datagram(c->endpoint, c->handle, cq_route_of_path(&ps.path, !c->is_server), buf, (size_t)n, pi.ecn);
    free(c->close_packet);
    c->close_packet = malloc((size_t)n);
    if (c->close_packet) {
        memcpy(c->close_packet, buf, (size_t)n);
        c->close_packet_len = (size_t)n;
    }
    enter_period(c, CQ_CONN_CLOSING);
}

/* Turns an ngtcp2 error from read/write/expiry into the connection's end. */
void cq_conn_on_error(cq_conn *c, int rv) {
    switch (rv) {
    case NGTCP2_ERR_DRAINING: {
        const ngtcp2_ccerr *e = ngtcp2_conn_get_ccerr(c->conn);
        coquic_x_close_source_t src =
            c->stateless_reset_received ? COQUIC_X_CLOSE_SOURCE_STATELESS_RESET : COQUIC_X_CLOSE_SOURCE_PEER;
        emit_failed(c, src, e->type == NGTCP2_CCERR_TYPE_APPLICATION, e->error_code, e->reason, e->reasonlen);
        enter_period(c, CQ_CONN_DRAINING);
        return;
    }
    case NGTCP2_ERR_CLOSING:
    case NGTCP2_ERR_DISCARD_PKT:
        return;
    case NGTCP2_ERR_IDLE_CLOSE:
        emit_failed(c, COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT, false, 0, (const uint8_t *)"idle timeout", 12);
        emit_closed(c);
        return;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
        emit_failed(c, COQUIC_X_CLOSE_SOURCE_HANDSHAKE_TIMEOUT, false, 0, (const uint8_t *)"handshake timeout", 17);
        emit_closed(c);
        return;
    case NGTCP2_ERR_RECV_VERSION_NEGOTIATION:
        if (restart_after_version_negotiation(c)) return;
        if (!c->conn) { /* the restart failed after dropping the first attempt */
            emit_failed(c, COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR, false, 0x11,
                        (const uint8_t *)"version negotiation: restart failed", 35);
            emit_closed(c);
            return;
        }
        /* fall through */
    case NGTCP2_ERR_DROP_CONN: {
        const char *why = rv == NGTCP2_ERR_DROP_CONN ? "connection dropped"
                                                      : "version negotiation: no common QUIC version";
        emit_failed(c, COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR, false, rv == NGTCP2_ERR_DROP_CONN ? 0 : 0x11,
                    (const uint8_t *)why, strlen(why));
        emit_closed(c);
        return;
    }
    default: break;
    }
    ngtcp2_ccerr ccerr;
    ngtcp2_ccerr_default(&ccerr);
    char reason[512];
    reason[0] = '\0';
    if (rv == NGTCP2_ERR_CRYPTO) {
        uint8_t alert = ngtcp2_conn_get_tls_alert(c->conn);
        ngtcp2_ccerr_set_tls_alert(&ccerr, alert, NULL, 0);
        cq_tls_describe_failure(c->tls, reason, sizeof reason);
        if (!reason[0]) snprintf(reason, sizeof reason, "TLS handshake failed (alert %u)", alert);
    } else {
        ngtcp2_ccerr_set_liberr(&ccerr, rv, NULL, 0);
        snprintf(reason, sizeof reason, "%s", ngtcp2_strerror(rv));
    }
    emit_failed(c, COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR, false, ccerr.error_code, (const uint8_t *)reason,
                strlen(reason));
    send_close(c, &ccerr);
}

bool cq_conn_usable(cq_conn *c) {
    if (c->state == CQ_CONN_ACTIVE) return true;
    cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
    return false;
}


/* ---- inbound, timers, close ---------------------------------------------------------------------- */

static uint8_t ecn_to_ngtcp2(uint8_t ecn) {
    switch (ecn) {
    case COQUIC_ECN_ECT0: return NGTCP2_ECN_ECT_0;
    case COQUIC_ECN_ECT1: return NGTCP2_ECN_ECT_1;
    case COQUIC_ECN_CE: return NGTCP2_ECN_CE;
    default: return NGTCP2_ECN_NOT_ECT;
    }
}

static void resend_close(cq_conn *c) {
    uint8_t *copy = cq_result_copy(res(c), c->close_packet, c->close_packet_len);
    if (copy) cq_emit_datagram(c->endpoint, c->handle, c->current_route, copy, c->close_packet_len, 0);
}

void cq_conn_read(cq_conn *c, const uint8_t *data, size_t len, uint64_t route, uint8_t ecn) {
    cq_endpoint_touch(c->endpoint, c);
    if (c->state == CQ_CONN_CLOSING) {
        if (c->close_packet) resend_close(c);
        return;
    }
    if (c->state != CQ_CONN_ACTIVE) return;
    if (c->is_server && !c->endpoint->config.allow_peer_address_change && route != c->current_route &&
        ngtcp2_conn_get_handshake_completed(c->conn))
        return; /* address changes are refused by configuration */
    ngtcp2_path_storage ps;
    cq_path_for_route(&ps, route, !c->is_server);
    ngtcp2_pkt_info pi = {.ecn = ecn_to_ngtcp2(ecn)};
    cq_compat_read_begin(c);
    int rv = ngtcp2_conn_read_pkt(c->conn, &ps.path, &pi, data, len, now_ns(c));
    cq_compat_read_end(c);
    c->stats.udp_bytes_received += len;
    c->stats.packets_received++;
    if (rv != 0) {
        cq_conn_on_error(c, rv);
        return;
    }
    const ngtcp2_path *cur = ngtcp2_conn_get_path(c->conn);
    c->current_route = cq_route_of_path(cur, !c->is_server);
    if (c->endpoint->batching) c->drain_deferred = true;
    else cq_conn_drain(c);
}

uint64_t cq_conn_expiry_ns(cq_conn *c) {
    switch (c->state) {
    case CQ_CONN_ACTIVE:
        return cq_conn_wants_call_now(c) ? now_ns(c) : ngtcp2_conn_get_expiry(c->conn);
    case CQ_CONN_CLOSING:
    case CQ_CONN_DRAINING:
        return c->close_deadline_ns;
    default:
        return UINT64_MAX;
    }
}

void cq_conn_on_timer(cq_conn *c) {
    uint64_t ts = now_ns(c);
    if (c->state == CQ_CONN_CLOSING || c->state == CQ_CONN_DRAINING) {
        if (ts >= c->close_deadline_ns) emit_closed(c);
        return;
    }
    if (c->state != CQ_CONN_ACTIVE) return;
    if (ngtcp2_conn_get_expiry(c->conn) <= ts) {
        int rv = ngtcp2_conn_handle_expiry(c->conn, ts);
        if (rv != 0) {
            cq_conn_on_error(c, rv);
            return;
        }
    }
    cq_conn_drain(c);
}

void cq_conn_close(cq_conn *c, uint64_t app_code, const uint8_t *reason, size_t reason_len) {
    if (!cq_conn_usable(c)) return;
    ngtcp2_ccerr ccerr;
    ngtcp2_ccerr_set_application_error(&ccerr, app_code, reason, reason_len);
    emit_failed(c, COQUIC_X_CLOSE_SOURCE_LOCAL, true, app_code, reason, reason_len);
    send_close(c, &ccerr);
}

void cq_conn_key_update(cq_conn *c) {
    if (!cq_conn_usable(c)) return;
    int rv = ngtcp2_conn_get_handshake_completed(c->conn) ? ngtcp2_conn_initiate_key_update(c->conn, now_ns(c))
                                                          : NGTCP2_ERR_INVALID_STATE;
    if (rv != 0) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
        return;
    }
    cq_conn_drain(c);
}

void cq_conn_migrate(cq_conn *c, const coquic_request_connection_migration_t *in) {
    if (!cq_conn_usable(c)) return;
    int rv = NGTCP2_ERR_INVALID_STATE;
    if (!c->is_server && in->reason == COQUIC_MIGRATION_REASON_ACTIVE &&
        c->confirmed_emitted) {
        ngtcp2_path_storage ps;
        cq_path_for_route(&ps, in->route_handle, true);
        rv = ngtcp2_conn_initiate_migration(c->conn, &ps.path, now_ns(c));
    }
    if (rv != 0) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
        return;
    }
    c->current_route = in->route_handle;
    cq_conn_drain(c);
}


bool cq_conn_has_pending_send(const cq_conn *c) { return c->pending_head != NULL || c->dgram_head != NULL; }

void cq_conn_fill_stats(cq_conn *c, coquic_x_connection_stats_t *out) {
    size_t size = out->size;
    *out = c->stats;
    out->size = size;
    ngtcp2_conn_info info;
    ngtcp2_conn_get_conn_info(c->conn, &info);
    out->smoothed_rtt_us = info.smoothed_rtt / 1000;
    out->min_rtt_us = info.min_rtt == UINT64_MAX ? 0 : info.min_rtt / 1000;
    out->latest_rtt_us = info.latest_rtt / 1000;
    out->rtt_variance_us = info.rttvar / 1000;
    out->congestion_window = info.cwnd;
    out->bytes_in_flight = info.bytes_in_flight;

    if (!c->loss_accounting) out->packets_lost = UINT64_MAX; /* not counted for this connection */
    out->streams_active = c->streams.count;
    out->handshake_completed = ngtcp2_conn_get_handshake_completed(c->conn) != 0;
    out->closing = c->state != CQ_CONN_ACTIVE;
    cq_early_data_fill_stats(c, out);
}
