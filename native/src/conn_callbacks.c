/* The ngtcp2 callbacks of one connection: connection IDs, handshake progress, stream data and
 * events, DATAGRAMs, stateless reset and Version Negotiation, each turned into effects. */
#include <string.h>

#include "conn_private.h"

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


static int cb_handshake_completed(ngtcp2_conn *conn, void *user_data) {
    cq_conn *c = user_data;
    cq_half_open_ended(c, true); /* a completed handshake validated the address (RFC 9000 §8.1) */
    if (cq_early_data_on_handshake_completed(c) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
    if (!c->ready_emitted) {
        c->ready_emitted = true;
        cq_conn_push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_READY);
    }
    if (c->is_server && !c->confirmed_emitted) { /* a server's handshake is confirmed on completion */
        c->confirmed_emitted = true;
        cq_conn_push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
        cq_conn_schedule_original_dcid_release(c);
    }
    return 0;
}

static int cb_handshake_confirmed(ngtcp2_conn *conn, void *user_data) {
    cq_conn *c = user_data;
    if (!c->confirmed_emitted) {
        c->confirmed_emitted = true;
        cq_conn_push_state(c, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
    }
    return 0;
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


static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t app_error_code,
                           void *user_data, void *stream_user_data) {
    cq_conn *c = user_data;
    cq_stream *s = cq_stream_get(c, stream_id);
    if (s) {
        cq_compat_stop_sending_before_close(c, s); /* a STOP_SENDING in this packet may have closed it */
        cq_stream_destroy(c, s);
    }
    if (c->endpoint->stream_effects & COQUIC_X_STREAM_EFFECT_CLOSED)
        cq_conn_push_stream_effect(c, COQUIC_X_EFFECT_STREAM_CLOSED, stream_id,
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
    if (c->endpoint->stream_effects & COQUIC_X_STREAM_EFFECT_ACKED) cq_conn_report_acked(c, s);
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

void cq_conn_fill_callbacks(ngtcp2_callbacks *cb, bool server) {
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
    cb->decrypt = cq_compat_decrypt_cb;
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

