/* One QUIC connection on ngtcp2: callbacks, reading, the send drain, close and streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The connection whose packet is being decrypted (ngtcp2's decrypt callback has no user data). */
static _Thread_local cq_conn *reading_conn;

typedef struct stop_record {
    uint64_t stream_id, code;
} stop_record;
static _Thread_local stop_record stop_records[32];
static _Thread_local size_t stop_record_count;

static inline uint64_t now_ns(const cq_conn *c) { return cq_us_to_ns(c->endpoint->now); }
static inline coquic_result_t *res(const cq_conn *c) { return c->endpoint->result; }

static bool stream_is_local(const cq_conn *c, int64_t id) { return ((id & 1) != 0) == c->is_server; }
static bool stream_is_uni(int64_t id) { return (id & 2) != 0; }

/* ---- lifecycle effects ------------------------------------------------------------------- */

static void push_state(cq_conn *c, coquic_state_change_t change) {
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
    push_state(c, COQUIC_STATE_CHANGE_FAILED);
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

/* ---- ngtcp2 callbacks ---------------------------------------------------------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) { return ((cq_conn *)ref->user_data)->conn; }

static void cb_rand(uint8_t *dest, size_t destlen, const ngtcp2_rand_ctx *ctx) { cq_random(dest, destlen); }

static int cb_get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
                                    void *user_data) {
    cq_conn *c = user_data;
    /* ngtcp2 wants an ID no connection uses: long random IDs never collide, but a client may
     * have chosen short source IDs (ngtcp2 keeps their length), so draw again on a clash */
    int tries = 0;
    do {
        cq_random(cid->data, cidlen);
        cid->datalen = cidlen;
    } while (cq_endpoint_cid_in_use(c->endpoint, cid) && ++tries < 16);
    if (tries == 16) return NGTCP2_ERR_CALLBACK_FAILURE;
    if (ngtcp2_crypto_generate_stateless_reset_token(token, c->endpoint->static_secret,
                                                     sizeof c->endpoint->static_secret, cid) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    return cq_endpoint_register_cid(c->endpoint, c, cid) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

/* ngtcp2 calls this a PTO after the peer retired cid (and for none of the others): from now on
 * a packet with it is a stranger's. */
static int cb_remove_connection_id(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *user_data) {
    cq_conn *c = user_data;
    cq_endpoint_unregister_cid(c->endpoint, c, cid);
    return 0;
}

/*
 * Server: the client's original DCID is not one of ngtcp2's IDs (no remove_connection_id comes
 * for it), so the engine releases it itself. The client uses it only for its first Initial and
 * 0-RTT packets, before it hears from us; once the handshake is confirmed it never sends it
 * again, and a grace of 3 PTO lets late copies of those packets still reach this connection
 * rather than look like a new one.
 */
static void schedule_original_dcid_release(cq_conn *c) {
    if (c->original_dcid_registered) c->original_dcid_release_ns = now_ns(c) + 3 * ngtcp2_conn_get_pto(c->conn);
}

static void release_original_dcid_if_due(cq_conn *c) {
    if (!c->original_dcid_registered || now_ns(c) < c->original_dcid_release_ns) return;
    c->original_dcid_registered = false;
    cq_endpoint_unregister_cid(c->endpoint, c, &c->original_dcid);
}

/* A server connection leaves the endpoint's count of unvalidated handshakes. */
static void stop_counting_unvalidated(cq_conn *c) {
    if (!c->unvalidated) return;
    c->unvalidated = false;
    c->endpoint->unvalidated_count--;
}

static int cb_handshake_completed(ngtcp2_conn *conn, void *user_data) {
    cq_conn *c = user_data;
    stop_counting_unvalidated(c); /* a completed handshake validated the address (RFC 9000 §8.1) */
    if (cq_early_data_on_handshake_completed(c) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
    if (!c->ready_emitted) {
        c->ready_emitted = true;
        push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_READY);
    }
    if (c->is_server && !c->confirmed_emitted) { /* a server's handshake is confirmed on completion */
        c->confirmed_emitted = true;
        push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
        schedule_original_dcid_release(c);
    }
    return 0;
}

static int cb_handshake_confirmed(ngtcp2_conn *conn, void *user_data) {
    cq_conn *c = user_data;
    if (!c->confirmed_emitted) {
        c->confirmed_emitted = true;
        push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
    }
    return 0;
}

/* ---- extension stream effects (coquic_x_endpoint_set_stream_effects) ---------------------- */

static coquic_x_stream_effect_t *push_stream_effect(cq_conn *c, coquic_effect_kind_t kind, int64_t stream_id,
                                                    uint64_t value) {
    coquic_effect_t *e = cq_result_push(res(c), kind, c->handle);
    if (!e) return NULL;
    coquic_x_stream_effect_t *x = (coquic_x_stream_effect_t *)(void *)&e->as;
    x->stream_id = (uint64_t)stream_id;
    x->value = value;
    return x;
}

/* One STREAM_ACKED per stream per result: later ACKs in the same call update its count. */
static void report_acked(cq_conn *c, cq_stream *s) {
    uint64_t unacked = s->write_shut ? 0 : s->write_offset - s->acked_offset;
    coquic_result_t *r = res(c);
    if (s->acked_call == c->endpoint->call_seq && s->acked_effect < r->effect_count &&
        r->effects[s->acked_effect].kind == COQUIC_X_EFFECT_STREAM_ACKED) {
        coquic_x_stream_effect_t *x = (coquic_x_stream_effect_t *)(void *)&r->effects[s->acked_effect].as;
        if (x->stream_id == (uint64_t)s->id) {
            x->value = unacked;
            return;
        }
    }
    if (!push_stream_effect(c, COQUIC_X_EFFECT_STREAM_ACKED, s->id, unacked)) return;
    s->acked_call = c->endpoint->call_seq;
    s->acked_effect = r->effect_count - 1;
}

static void set_fin(coquic_receive_stream_data_effect_t *d, uint64_t final_size) {
    d->fin = 1;
    d->final_size.has_value = 1;
    d->final_size.value = final_size;
}

/*
 * In-order bytes that continue the result's last effect (same connection and stream, no FIN
 * yet, bytes at the arena head) extend it: a batch of datagrams on one stream becomes one
 * receive effect instead of one per packet. Offsets stay exact, so the ABI's view is the same.
 */
static bool append_to_last_receive(cq_conn *c, int64_t stream_id, uint64_t offset, const uint8_t *data,
                                   size_t datalen, uint32_t flags) {
    coquic_result_t *r = res(c);
    if (r->effect_count == 0 || datalen == 0) return false;
    coquic_effect_t *last = &r->effects[r->effect_count - 1];
    if (last->kind != COQUIC_EFFECT_RECEIVE_STREAM_DATA) return false;
    coquic_receive_stream_data_effect_t *d = &last->as.receive_stream_data;
    if (d->connection != c->handle || d->stream_id != (uint64_t)stream_id || d->fin ||
        d->offset + d->bytes.length != offset || d->bytes.length == 0)
        return false;
    if (!cq_result_extend(r, d->bytes.data, d->bytes.length, data, datalen)) return false;
    d->bytes.length += datalen;
    if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) set_fin(d, offset + datalen);
    return true;
}

static int cb_recv_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t offset,
                               const uint8_t *data, size_t datalen, void *user_data, void *stream_user_data) {
    cq_conn *c = user_data;
    c->stats.stream_bytes_received += datalen;
    if (!c->endpoint->manual_credit) { /* the bytes now belong to the application: credit back at once */
        ngtcp2_conn_extend_max_stream_offset(conn, stream_id, datalen);
        ngtcp2_conn_extend_max_offset(conn, datalen);
    }
    if (append_to_last_receive(c, stream_id, offset, data, datalen, flags)) return 0;
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_RECEIVE_STREAM_DATA, c->handle);
    if (!e) return NGTCP2_ERR_CALLBACK_FAILURE;
    coquic_receive_stream_data_effect_t *d = &e->as.receive_stream_data;
    d->stream_id = (uint64_t)stream_id;
    d->offset = offset;
    d->bytes.data = cq_result_copy(res(c), data, datalen);
    if (datalen > 0 && !d->bytes.data) return NGTCP2_ERR_CALLBACK_FAILURE;
    d->bytes.length = datalen;
    if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) set_fin(d, offset + datalen);
    return 0;
}

static int cb_stream_open(ngtcp2_conn *conn, int64_t stream_id, void *user_data) {
    cq_conn *c = user_data;
    int64_t *max_seen = stream_is_uni(stream_id) ? &c->max_remote_uni_seen : &c->max_remote_bidi_seen;
    if (stream_id > *max_seen) *max_seen = stream_id;
    cq_stream *s = cq_stream_get(c, stream_id);
    if (!s) s = cq_stream_create(c, stream_id);
    if (!s) return NGTCP2_ERR_CALLBACK_FAILURE;
    s->open_in_ngtcp2 = true;
    c->stats.streams_opened_remote++;
    return 0;
}

static void emit_peer_stop(cq_conn *c, cq_stream *s, uint64_t code) {
    if (s->peer_stop_seen) return;
    s->peer_stop_seen = true;
    s->write_shut = true;
    cq_stream_unlink_pending(c, s);
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_PEER_STOP_SENDING, c->handle);
    if (!e) return;
    e->as.peer_stop_sending.stream_id = (uint64_t)s->id;
    e->as.peer_stop_sending.application_error_code = code;
}

static void flush_stop_records_for(cq_conn *c, cq_stream *s) {
    for (size_t i = 0; i < stop_record_count; i++)
        if ((int64_t)stop_records[i].stream_id == s->id) emit_peer_stop(c, s, stop_records[i].code);
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t app_error_code,
                           void *user_data, void *stream_user_data) {
    cq_conn *c = user_data;
    cq_stream *s = cq_stream_get(c, stream_id);
    if (s) {
        flush_stop_records_for(c, s); /* a STOP_SENDING in this packet may have closed it */
        cq_stream_destroy(c, s);
    }
    if (c->endpoint->stream_effects & COQUIC_X_STREAM_EFFECT_CLOSED)
        push_stream_effect(c, COQUIC_X_EFFECT_STREAM_CLOSED, stream_id,
                           (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) ? app_error_code : 0);
    /*
     * A finished peer stream frees a slot. The slots go back (MAX_STREAMS) once a tenth of the
     * initial limit has been freed, not one by one: a request/response peer would otherwise
     * get a MAX_STREAMS packet, and owe an ACK, for every request.
     */
    if (!stream_is_local(c, stream_id)) {
        bool uni = stream_is_uni(stream_id);
        const coquic_transport_config_t *t = &c->endpoint->config.transport;
        uint64_t limit = uni ? t->initial_max_streams_uni : t->initial_max_streams_bidi;
        uint64_t *freed = uni ? &c->freed_remote_uni : &c->freed_remote_bidi;
        if (++*freed >= (limit >= 20 ? limit / 10 : 1)) {
            if (uni) ngtcp2_conn_extend_max_streams_uni(conn, *freed);
            else ngtcp2_conn_extend_max_streams_bidi(conn, *freed);
            *freed = 0;
        }
    }
    return 0;
}

static int cb_stream_reset(ngtcp2_conn *conn, int64_t stream_id, uint64_t final_size, uint64_t app_error_code,
                           void *user_data, void *stream_user_data) {
    cq_conn *c = user_data;
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_PEER_RESET_STREAM, c->handle);
    if (!e) return NGTCP2_ERR_CALLBACK_FAILURE;
    e->as.peer_reset_stream.stream_id = (uint64_t)stream_id;
    e->as.peer_reset_stream.application_error_code = app_error_code;
    e->as.peer_reset_stream.final_size = final_size;
    return 0;
}

static int cb_acked_stream_data_offset(ngtcp2_conn *conn, int64_t stream_id, uint64_t offset, uint64_t datalen,
                                       void *user_data, void *stream_user_data) {
    cq_conn *c = user_data;
    cq_stream *s = cq_stream_get(c, stream_id);
    if (!s) return 0;
    cq_stream_on_acked(s, offset, datalen);
    if (c->endpoint->stream_effects & COQUIC_X_STREAM_EFFECT_ACKED) report_acked(c, s);
    return 0;
}

static int cb_recv_datagram(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t datalen,
                            void *user_data) {
    cq_conn *c = user_data;
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_RECEIVE_DATAGRAM_DATA, c->handle);
    if (!e) return NGTCP2_ERR_CALLBACK_FAILURE;
    e->as.receive_datagram_data.bytes.data = cq_result_copy(res(c), data, datalen);
    if (datalen > 0 && !e->as.receive_datagram_data.bytes.data) return NGTCP2_ERR_CALLBACK_FAILURE;
    e->as.receive_datagram_data.bytes.length = datalen;
    c->stats.datagrams_received++;
    return 0;
}

static int cb_recv_stateless_reset(ngtcp2_conn *conn, const ngtcp2_pkt_stateless_reset *sr, void *user_data) {
    ((cq_conn *)user_data)->stateless_reset_received = true;
    return 0;
}

/* Client, Version Negotiation (RFC 9000 §6.2, RFC 9368 §4): picks the first of our versions,
 * in our preference order, that the server offers; 0 when there is none. ngtcp2 has already
 * dropped a VN packet that lists the version we started in (a forged downgrade). */
static int cb_recv_version_negotiation(ngtcp2_conn *conn, const ngtcp2_pkt_hd *hd, const uint32_t *sv, size_t nsv,
                                       void *user_data) {
    cq_conn *c = user_data;
    const cq_config *cfg = &c->endpoint->config;
    c->vn_chosen_version = 0;
    for (size_t i = 0; i < cfg->version_count && !c->vn_chosen_version; i++)
        for (size_t j = 0; j < nsv; j++)
            if (sv[j] == cfg->versions[i] && sv[j] != ngtcp2_conn_get_client_chosen_version(conn)) {
                c->vn_chosen_version = sv[j];
                break;
            }
    return 0;
}

static void record_stop(void *ctx, uint64_t stream_id, uint64_t code) {
    if (stop_record_count < sizeof stop_records / sizeof stop_records[0])
        stop_records[stop_record_count++] = (stop_record){stream_id, code};
}

static int cb_decrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead, const ngtcp2_crypto_aead_ctx *aead_ctx,
                      const uint8_t *ciphertext, size_t ciphertextlen, const uint8_t *nonce, size_t noncelen,
                      const uint8_t *aad, size_t aadlen) {
    int rv = ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx, ciphertext, ciphertextlen, nonce, noncelen, aad,
                                      aadlen);
    if (rv == 0 && reading_conn && ciphertextlen >= aead->max_overhead)
        cq_scan_stop_sending(dest, ciphertextlen - aead->max_overhead, record_stop, NULL);
    return rv;
}

static void fill_callbacks(ngtcp2_callbacks *cb, bool server) {
    memset(cb, 0, sizeof *cb);
    if (server) {
        cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
        cb->recv_rx_key = cq_early_data_rx_key_cb;
    } else {
        cb->client_initial = ngtcp2_crypto_client_initial_cb;
        cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
        cb->recv_version_negotiation = cb_recv_version_negotiation;
        cb->recv_new_token = cq_tokens_recv_cb;
        cb->tls_early_data_rejected = cq_early_data_rejected_cb;
    }
    cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb->encrypt = ngtcp2_crypto_encrypt_cb;
    cb->decrypt = cb_decrypt;
    cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb->update_key = ngtcp2_crypto_update_key_cb;
    cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb->rand = cb_rand;
    cb->get_new_connection_id = cb_get_new_connection_id;
    cb->remove_connection_id = cb_remove_connection_id;
    cb->handshake_completed = cb_handshake_completed;
    cb->handshake_confirmed = cb_handshake_confirmed;
    cb->recv_stream_data = cb_recv_stream_data;
    cb->stream_open = cb_stream_open;
    cb->stream_close = cb_stream_close;
    cb->stream_reset = cb_stream_reset;
    cb->acked_stream_data_offset = cb_acked_stream_data_offset;
    cb->recv_datagram = cb_recv_datagram;
    cb->recv_stateless_reset = cb_recv_stateless_reset;
    cb->path_validation = cq_path_validation_cb; /* path_events.c */
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
    fill_callbacks(&cb, false);
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
    fill_callbacks(&cb, true);
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
    stop_counting_unvalidated(c);
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
static void conn_on_error(cq_conn *c, int rv) {
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

/* ---- streams ------------------------------------------------------------------------------------- */

/* Opens locally initiated streams in ngtcp2, in id order, as stream credit allows. */
static void open_pending_streams(cq_conn *c, bool uni) {
    int64_t *next = uni ? &c->next_local_uni : &c->next_local_bidi;
    int64_t highest = uni ? c->highest_local_uni : c->highest_local_bidi;
    while (*next <= highest) {
        cq_stream *s = cq_stream_get(c, *next);
        int64_t got = -1;
        int rv = uni ? ngtcp2_conn_open_uni_stream(c->conn, &got, s) : ngtcp2_conn_open_bidi_stream(c->conn, &got, s);
        if (rv != 0) break; /* NGTCP2_ERR_STREAM_ID_BLOCKED: wait for MAX_STREAMS */
        *next = got + 4;
        c->stats.streams_opened_local++;
        if (!s) continue; /* a skipped id: open but unused, as RFC 9000 §3.2 implies */
        s->open_in_ngtcp2 = true;
        if (s->write_shut && !s->peer_stop_seen)
            ngtcp2_conn_shutdown_stream_write(c->conn, 0, s->id, s->reset_code);
        else if (cq_stream_has_unsent(s))
            cq_stream_mark_pending(c, s);
    }
}

static bool check_stream_for_send(cq_conn *c, uint64_t id64, cq_stream **out) {
    coquic_result_t *r = res(c);
    if (id64 >= (UINT64_C(1) << 62)) {
        cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, true, c->handle, true, id64);
        return false;
    }
    int64_t id = (int64_t)id64;
    bool local = stream_is_local(c, id), uni = stream_is_uni(id);
    if (!local && uni) {
        cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, true, c->handle, true, id64);
        return false;
    }
    cq_stream *s = cq_stream_get(c, id);
    if (!s) {
        int64_t highest = local ? (uni ? c->highest_local_uni : c->highest_local_bidi) : c->max_remote_bidi_seen;
        if (id <= highest) { /* existed and is gone: both directions finished */
            cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, true, c->handle, true, id64);
            return false;
        }
        int64_t next = uni ? c->next_local_uni : c->next_local_bidi;
        if (!local || (id - next) / 4 > 100000) { /* peer stream not opened yet, or an absurd jump */
            cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, true, c->handle, true, id64);
            return false;
        }
        s = cq_stream_create(c, id);
        if (!s) {
            r->out_of_memory = 1;
            return false;
        }
        if (uni) c->highest_local_uni = id;
        else c->highest_local_bidi = id;
    }
    if (s->fin_requested || s->write_shut) {
        cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED, true, c->handle, true, id64);
        return false;
    }
    *out = s;
    return true;
}

static bool conn_usable(cq_conn *c) {
    if (c->state == CQ_CONN_ACTIVE) return true;
    cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
    return false;
}

void cq_conn_send_stream(cq_conn *c, const coquic_send_stream_data_t *in) {
    if (!conn_usable(c)) return;
    cq_stream *s;
    if (!check_stream_for_send(c, in->stream_id, &s)) return;
    if (cq_stream_append(s, in->bytes.data, in->bytes.length) != 0) {
        res(c)->out_of_memory = 1;
        return;
    }
    if (in->fin) s->fin_requested = true;
    if (in->size >= sizeof(coquic_send_stream_data_t)) s->priority = in->priority;
    if (s->open_in_ngtcp2) cq_stream_mark_pending(c, s);
    cq_conn_drain(c);
}

/* Receive-side or send-side shutdown requested by the application. */
static cq_stream *stream_for_shutdown(cq_conn *c, uint64_t id64, bool write_side) {
    coquic_result_t *r = res(c);
    if (id64 >= (UINT64_C(1) << 62)) {
        cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, true, c->handle, true, id64);
        return NULL;
    }
    int64_t id = (int64_t)id64;
    bool local = stream_is_local(c, id), uni = stream_is_uni(id);
    /* Unidirectional streams have one side only. */
    if (uni && local != write_side) {
        cq_result_set_local_error(r, COQUIC_LOCAL_ERROR_INVALID_STREAM_DIRECTION, true, c->handle, true, id64);
        return NULL;
    }
    cq_stream *s = cq_stream_get(c, id);
    if (!s) {
        int64_t highest = local ? (uni ? c->highest_local_uni : c->highest_local_bidi)
                                : (uni ? c->max_remote_uni_seen : c->max_remote_bidi_seen);
        coquic_local_error_code_t code = id <= highest ? (write_side ? COQUIC_LOCAL_ERROR_SEND_SIDE_CLOSED
                                                                     : COQUIC_LOCAL_ERROR_RECEIVE_SIDE_CLOSED)
                                                       : COQUIC_LOCAL_ERROR_INVALID_STREAM_ID;
        cq_result_set_local_error(r, code, true, c->handle, true, id64);
        return NULL;
    }
    return s;
}

void cq_conn_reset_stream(cq_conn *c, uint64_t stream_id, uint64_t code) {
    if (!conn_usable(c)) return;
    cq_stream *s = stream_for_shutdown(c, stream_id, true);
    if (!s) return;
    if (s->write_shut) return; /* already reset (by us or in answer to STOP_SENDING) */
    s->write_shut = true;
    s->reset_code = code;
    cq_stream_unlink_pending(c, s);
    if (s->open_in_ngtcp2) ngtcp2_conn_shutdown_stream_write(c->conn, 0, s->id, code);
    cq_conn_drain(c);
}

void cq_conn_stop_sending(cq_conn *c, uint64_t stream_id, uint64_t code) {
    if (!conn_usable(c)) return;
    cq_stream *s = stream_for_shutdown(c, stream_id, false);
    if (!s) return;
    if (s->read_shut) return;
    s->read_shut = true;
    if (s->open_in_ngtcp2) ngtcp2_conn_shutdown_stream_read(c->conn, 0, s->id, code);
    cq_conn_drain(c);
}

/* ---- datagrams ----------------------------------------------------------------------------------- */

/* Checks a DATAGRAM against the peer's limit; false (with a local error) when it cannot be sent. */
static bool datagram_fits(cq_conn *c, size_t len) {
    const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
    if (!rp) return true; /* not known yet: checked again once the handshake is done */
    if (rp->max_datagram_frame_size == 0) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_NOT_SUPPORTED, true, c->handle, false, 0);
        return false;
    }
    /* frame type + length varint + payload must fit the peer's limit and one packet */
    size_t packet_room = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
    size_t overhead = 1 + 8 + 60; /* frame header + short header, CID and AEAD tag, generously */
    if (len + 9 > rp->max_datagram_frame_size || len + overhead > packet_room) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE, true, c->handle, false, 0);
        return false;
    }
    return true;
}

static void pop_datagram(cq_conn *c) {
    cq_pending_datagram *d = c->dgram_head;
    c->dgram_head = d->next;
    if (!c->dgram_head) c->dgram_tail = NULL;
    c->dgram_queued--;
    c->dgram_queued_bytes -= d->length;
    free(d);
}

void cq_conn_send_datagram(cq_conn *c, const coquic_send_datagram_data_t *in) {
    if (!conn_usable(c)) return;
    size_t len = in->bytes.length;
    if (len > 65535) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE, true, c->handle, false, 0);
        return;
    }
    if (ngtcp2_conn_get_handshake_completed(c->conn) && !datagram_fits(c, len)) return;
    /* DATAGRAMs are unreliable: a queue that outgrows its cap (e.g. before the handshake,
     * or while congestion control holds them) loses its oldest ones, not memory */
    while (c->dgram_head && (c->dgram_queued >= CQ_MAX_QUEUED_DATAGRAMS ||
                             c->dgram_queued_bytes + len > CQ_MAX_QUEUED_DATAGRAM_BYTES))
        pop_datagram(c);
    cq_pending_datagram *d = malloc(sizeof *d + len);
    if (!d) {
        res(c)->out_of_memory = 1;
        return;
    }
    d->next = NULL;
    d->length = len;
    if (len) memcpy(d->data, in->bytes.data, len);
    if (c->dgram_tail) c->dgram_tail->next = d;
    else c->dgram_head = d;
    c->dgram_tail = d;
    c->dgram_queued++;
    c->dgram_queued_bytes += len;
    cq_conn_drain(c);
}


/* ---- the send drain -------------------------------------------------------------------------------- */

/* The highest-priority writable stream; among equals the first in the (round-robin) list. */
static cq_stream *next_writable(cq_conn *c) {
    cq_stream *best = NULL;
    for (cq_stream *s = c->pending_head; s; s = s->pending_next)
        if (!s->blocked && s->open_in_ngtcp2 && (!best || s->priority > best->priority)) best = s;
    return best;
}

static void rotate_or_unlink(cq_conn *c, cq_stream *s) {
    cq_stream_unlink_pending(c, s);
    if (cq_stream_has_unsent(s)) cq_stream_mark_pending(c, s);
}

static void advance_stream(cq_stream *s, ngtcp2_ssize ndatalen, bool fin_flag) {
    if (ndatalen < 0) return;
    s->sent_offset += (uint64_t)ndatalen;
    s->conn->stats.stream_bytes_sent += (uint64_t)ndatalen;
    if (fin_flag && s->sent_offset == s->write_offset) s->fin_sent = true;
}

void cq_conn_drain(cq_conn *c) {
    cq_endpoint_touch(c->endpoint, c);
    c->drain_deferred = false;
    release_original_dcid_if_due(c);
    if (c->state != CQ_CONN_ACTIVE) return;
    open_pending_streams(c, false);
    open_pending_streams(c, true);
    c->continuation = false;
    for (cq_stream *s = c->pending_head; s; s = s->pending_next) s->blocked = false;

    bool handshake_done = ngtcp2_conn_get_handshake_completed(c->conn);
    uint64_t ts = now_ns(c);
    /* room for a DPLPMTUD probe: ngtcp2 sizes every other packet to the path itself (pmtu.c) */
    size_t cap = ngtcp2_conn_get_max_tx_udp_payload_size(c->conn);
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi;
    uint8_t *buf = NULL;
    size_t written = 0;

    while (written < CQ_MAX_DATAGRAMS_PER_DRAIN) {
        if (!buf && !(buf = cq_result_reserve(res(c), cap))) return;
        ngtcp2_ssize nwrite;
        if (handshake_done && c->dgram_head) {
            cq_pending_datagram *d = c->dgram_head;
            if (!datagram_fits(c, d->length)) {
                pop_datagram(c);
                continue;
            }
            int accepted = 0;
            ngtcp2_vec v = {d->data, d->length};
            /* an empty DATAGRAM is legal, but ngtcp2 asserts on zero-length vector entries */
            nwrite = ngtcp2_conn_writev_datagram(c->conn, &ps.path, &pi, buf, cap, &accepted,
                                                 NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, d->length ? 1 : 0, ts);
            if (nwrite < 0) {
                cq_result_shrink_last(res(c), buf, cap, 0);
                conn_on_error(c, (int)nwrite);
                return;
            }
            if (accepted) {
                pop_datagram(c);
                c->stats.datagrams_sent++;
            }
        } else {
            cq_stream *s = next_writable(c);
            ngtcp2_vec vec[16];
            size_t nvec = 0;
            uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
            int64_t sid = -1;
            if (s) {
                sid = s->id;
                nvec = cq_stream_unsent_vec(s, vec, 16);
                /* FIN only when these vectors carry every unsent byte (more than 16 chunks may wait) */
                uint64_t in_vec = 0;
                for (size_t i = 0; i < nvec; i++) in_vec += vec[i].len;
                bool all_in_vec = s->sent_offset + in_vec == s->write_offset;
                if (s->fin_requested && all_in_vec) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
                flags |= NGTCP2_WRITE_STREAM_FLAG_MORE;
            }
            ngtcp2_ssize ndatalen = -1;
            nwrite = ngtcp2_conn_writev_stream(c->conn, &ps.path, &pi, buf, cap, &ndatalen, flags, sid, vec, nvec, ts);
            if (nwrite < 0) {
                switch (nwrite) {
                case NGTCP2_ERR_STREAM_DATA_BLOCKED:
                    s->blocked = true;
                    continue;
                case NGTCP2_ERR_STREAM_SHUT_WR:
                case NGTCP2_ERR_STREAM_NOT_FOUND:
                    s->write_shut = true;
                    cq_stream_unlink_pending(c, s);
                    continue;
                case NGTCP2_ERR_WRITE_MORE:
                    advance_stream(s, ndatalen, flags & NGTCP2_WRITE_STREAM_FLAG_FIN);
                    rotate_or_unlink(c, s);
                    continue;
                default:
                    cq_result_shrink_last(res(c), buf, cap, 0);
                    conn_on_error(c, (int)nwrite);
                    return;
                }
            }
            if (s) {
                advance_stream(s, ndatalen, flags & NGTCP2_WRITE_STREAM_FLAG_FIN);
                rotate_or_unlink(c, s);
            }
        }
        if (nwrite == 0) break; /* congestion/pacing limited, or nothing left */
        cq_result_shrink_last(res(c), buf, cap, (size_t)nwrite);
        cq_emit_datagram(c->endpoint, c->handle, cq_route_of_path(&ps.path, !c->is_server), buf, (size_t)nwrite, pi.ecn);
        cq_pmtu_mark_probe(c, (size_t)nwrite);
        c->stats.udp_bytes_sent += (uint64_t)nwrite;
        c->stats.packets_sent++;
        buf = NULL;
        written++;
    }
    if (buf) cq_result_shrink_last(res(c), buf, cap, 0);
    if (written >= CQ_MAX_DATAGRAMS_PER_DRAIN) c->continuation = true;
    ngtcp2_conn_update_pkt_tx_time(c->conn, ts);
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
    reading_conn = c;
    stop_record_count = 0;
    int rv = ngtcp2_conn_read_pkt(c->conn, &ps.path, &pi, data, len, now_ns(c));
    reading_conn = NULL;
    c->stats.udp_bytes_received += len;
    c->stats.packets_received++;
    for (size_t i = 0; i < stop_record_count; i++) {
        cq_stream *s = cq_stream_get(c, (int64_t)stop_records[i].stream_id);
        if (s && (!stream_is_uni(s->id) || stream_is_local(c, s->id)))
            emit_peer_stop(c, s, stop_records[i].code);
    }
    stop_record_count = 0;
    if (rv != 0) {
        conn_on_error(c, rv);
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
            conn_on_error(c, rv);
            return;
        }
    }
    cq_conn_drain(c);
}

void cq_conn_close(cq_conn *c, uint64_t app_code, const uint8_t *reason, size_t reason_len) {
    if (!conn_usable(c)) return;
    ngtcp2_ccerr ccerr;
    ngtcp2_ccerr_set_application_error(&ccerr, app_code, reason, reason_len);
    emit_failed(c, COQUIC_X_CLOSE_SOURCE_LOCAL, true, app_code, reason, reason_len);
    send_close(c, &ccerr);
}

void cq_conn_key_update(cq_conn *c) {
    if (!conn_usable(c)) return;
    int rv = ngtcp2_conn_get_handshake_completed(c->conn) ? ngtcp2_conn_initiate_key_update(c->conn, now_ns(c))
                                                          : NGTCP2_ERR_INVALID_STATE;
    if (rv != 0) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
        return;
    }
    cq_conn_drain(c);
}

void cq_conn_migrate(cq_conn *c, const coquic_request_connection_migration_t *in) {
    if (!conn_usable(c)) return;
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

void cq_conn_consume(cq_conn *c, uint64_t stream_id, uint64_t bytes) {
    if (!conn_usable(c)) return;
    if (stream_id >= (UINT64_C(1) << 62)) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_INVALID_STREAM_ID, true, c->handle, true, stream_id);
        return;
    }
    /* A stream that already closed needs no stream credit, but the connection still does. */
    if (cq_stream_get(c, (int64_t)stream_id)) ngtcp2_conn_extend_max_stream_offset(c->conn, (int64_t)stream_id, bytes);
    ngtcp2_conn_extend_max_offset(c->conn, bytes);
    /* the credit goes out with the connection's next packet, or on the timer this asks for at
     * once: reading a request must not cost a packet of its own before the response */
    c->drain_deferred = true;
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
