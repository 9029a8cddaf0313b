/* The send loop of one connection: DATAGRAMs first, then streams by priority (round robin among
 * equals), a bounded number of packets per call, each emitted as a send effect. */
#include "conn_private.h"

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
    cq_conn_release_original_dcid_if_due(c);
    if (c->state != CQ_CONN_ACTIVE) return;
    cq_conn_open_pending_streams(c, false);
    cq_conn_open_pending_streams(c, true);
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
            if (!cq_conn_datagram_fits(c, d->length)) {
                cq_conn_pop_datagram(c);
                continue;
            }
            int accepted = 0;
            ngtcp2_vec v = {d->data, d->length};
            /* an empty DATAGRAM is legal, but ngtcp2 asserts on zero-length vector entries */
            nwrite = ngtcp2_conn_writev_datagram(c->conn, &ps.path, &pi, buf, cap, &accepted,
                                                 NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, d->length ? 1 : 0, ts);
            if (nwrite < 0) {
                cq_result_shrink_last(res(c), buf, cap, 0);
                cq_conn_on_error(c, (int)nwrite);
                return;
            }
            if (accepted) {
                cq_conn_pop_datagram(c);
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
                    cq_conn_on_error(c, (int)nwrite);
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

