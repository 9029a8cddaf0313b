/*
 * Path MTU: DPLPMTUD probes marked on SEND_DATAGRAM effects, and update_path_mtu.
 *
 * ngtcp2 1.11 runs DPLPMTUD itself (RFC 8899: PING + PADDING probes above the path's
 * current maximum, judged by their acknowledgement) but does not tell which datagrams are
 * probes. With payload-size shaping on (the default: max_outbound_datagram_size <= 1200), a
 * probe is the only datagram it writes above ngtcp2_conn_get_path_max_tx_udp_payload_size:
 * ordinary packets are capped at that size (conn_shape_udp_payload), PATH_CHALLENGE and
 * PATH_RESPONSE at 1200, and the maximum rises only when a probe is acknowledged
 * (ngtcp2_rtb.c), after the probe was written. Without shaping the path maximum is the
 * configured ceiling and probes are no larger than other packets, so none is marked.
 *
 * ngtcp2 takes no external PMTU signal: a probe that was lost (or refused by the socket with
 * EMSGSIZE) is judged by ngtcp2's own probe timer, and it has no call to lower a path's
 * maximum. update_path_mtu therefore accepts reports it has nothing to do for and refuses
 * the reductions it cannot apply.
 */
#include "internal.h"

void cq_pmtu_mark_probe(cq_conn *c, size_t len) {
    coquic_result_t *r = c->endpoint->result;
    if (!r || r->effect_count == 0) return;
    coquic_effect_t *e = &r->effects[r->effect_count - 1];
    if (e->kind != COQUIC_EFFECT_SEND_DATAGRAM || e->as.send_datagram.bytes.length != len) return;
    e->as.send_datagram.is_pmtu_probe = len > ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
}

void cq_pmtu_update(coquic_endpoint_t *ep, const coquic_path_mtu_update_t *u) {
    uint64_t route = u->route_handle.has_value ? u->route_handle.value : CQ_ROUTE_NONE;
    /* below QUIC's smallest datagram: ignored (RFC 9000 §14.2.1), like a forged ICMP message */
    if (u->max_udp_payload_size < 1200) return;
    for (cq_conn *c = ep->conn_head; c; c = c->next) {
        if (!c->conn || c->state != CQ_CONN_ACTIVE || c->current_route != route) continue;
        /* at or above what the path carries now: only a probe can have been that big, and
         * ngtcp2's DPLPMTUD times an unacknowledged probe out by itself */
        if (u->max_udp_payload_size >= ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn)) continue;
        /* a reduction below the validated maximum: ngtcp2 1.11 cannot lower it */
        cq_result_set_local_error(ep->result, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, c->handle, false, 0);
        return;
    }
}
