/* Streams of one connection: what the application asks (send, reset, stop sending, credit) and
 * the stream effects the engine reports (peer STOP_SENDING, the STREAM_ACKED/STREAM_CLOSED extension). */
#include <stdlib.h>

#include "conn_private.h"

/* ---- extension stream effects (coquic_x_endpoint_set_stream_effects) ---------------------- */

coquic_x_stream_effect_t *cq_conn_push_stream_effect(cq_conn *c, coquic_effect_kind_t kind, int64_t stream_id,
                                                    uint64_t value) {
    coquic_effect_t *e = cq_result_push(res(c), kind, c->handle);
    if (!e) return NULL;
    coquic_x_stream_effect_t *x = (coquic_x_stream_effect_t *)(void *)&e->as;
    x->stream_id = (uint64_t)stream_id;
    x->value = value;
    return x;
}

/* One STREAM_ACKED per stream per result: later ACKs in the same call update its count. */
void cq_conn_report_acked(cq_conn *c, cq_stream *s) {
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
    if (!cq_conn_push_stream_effect(c, COQUIC_X_EFFECT_STREAM_ACKED, s->id, unacked)) return;
    s->acked_call = c->endpoint->call_seq;
    s->acked_effect = r->effect_count - 1;
}

void cq_conn_emit_peer_stop(cq_conn *c, cq_stream *s, uint64_t code) {
    if (s->peer_stop_seen) return;
    s->peer_stop_seen = true;
    s->write_shut = true;
    cq_stream_unlink_pending(c, s);
    coquic_effect_t *e = cq_result_push(res(c), COQUIC_EFFECT_PEER_STOP_SENDING, c->handle);
    if (!e) return;
    e->as.peer_stop_sending.stream_id = (uint64_t)s->id;
    e->as.peer_stop_sending.application_error_code = code;
}


/* ---- streams ------------------------------------------------------------------------------------- */

/* Opens locally initiated streams in ngtcp2, in id order, as stream credit allows. */
void cq_conn_open_pending_streams(cq_conn *c, bool uni) {
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

void cq_conn_send_stream(cq_conn *c, const coquic_send_stream_data_t *in) {
    if (!cq_conn_usable(c)) return;
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
    if (!cq_conn_usable(c)) return;
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
    if (!cq_conn_usable(c)) return;
    cq_stream *s = stream_for_shutdown(c, stream_id, false);
    if (!s) return;
    if (s->read_shut) return;
    s->read_shut = true;
    if (s->open_in_ngtcp2) ngtcp2_conn_shutdown_stream_read(c->conn, 0, s->id, code);
    cq_conn_drain(c);
}

void cq_conn_consume(cq_conn *c, uint64_t stream_id, uint64_t bytes) {
    if (!cq_conn_usable(c)) return;
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

