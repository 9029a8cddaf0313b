/* DATAGRAM frames of one connection: the peer's limits and the bounded send queue. */
#include <stdlib.h>
#include <string.h>

#include "conn_private.h"

/* A DATAGRAM frame's header (type + length varint) and a packet's short header, connection ID
 * and AEAD tag (generously): what a payload shares the peer's frame limit and a packet with. */
#define CQ_DATAGRAM_FRAME_OVERHEAD 9
#define CQ_DATAGRAM_PACKET_OVERHEAD 69
#define CQ_DATAGRAM_MAX 65535

size_t cq_conn_max_datagram_payload(cq_conn *c) {
    size_t max = CQ_DATAGRAM_MAX;
    size_t room = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
    if (room <= CQ_DATAGRAM_PACKET_OVERHEAD) return 0;
    if (room - CQ_DATAGRAM_PACKET_OVERHEAD < max) max = room - CQ_DATAGRAM_PACKET_OVERHEAD;
    const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
    if (rp) { /* before the peer's parameters arrive only the path limits it */
        if (rp->max_datagram_frame_size <= CQ_DATAGRAM_FRAME_OVERHEAD) return 0;
        if (rp->max_datagram_frame_size - CQ_DATAGRAM_FRAME_OVERHEAD < max)
            max = (size_t)rp->max_datagram_frame_size - CQ_DATAGRAM_FRAME_OVERHEAD;
    }
    return max;
}

/* Checks a DATAGRAM against the peer's limit; false (with a local error) when it cannot be sent. */
bool cq_conn_datagram_fits(cq_conn *c, size_t len) {
    const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
    if (!rp) return true; /* not known yet: checked again once the handshake is done */
    if (rp->max_datagram_frame_size == 0) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_NOT_SUPPORTED, true, c->handle, false, 0);
        return false;
    }
    if (len > cq_conn_max_datagram_payload(c)) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE, true, c->handle, false, 0);
        return false;
    }
    return true;
}

void cq_conn_pop_datagram(cq_conn *c) {
    cq_pending_datagram *d = c->dgram_head;
    c->dgram_head = d->next;
    if (!c->dgram_head) c->dgram_tail = NULL;
    c->dgram_queued--;
    c->dgram_queued_bytes -= d->length;
    free(d);
}

void cq_conn_send_datagram(cq_conn *c, const coquic_send_datagram_data_t *in) {
    if (!cq_conn_usable(c)) return;
    size_t len = in->bytes.length;
    if (len > 65535) {
        cq_result_set_local_error(res(c), COQUIC_LOCAL_ERROR_DATAGRAM_TOO_LARGE, true, c->handle, false, 0);
        return;
    }
    if (ngtcp2_conn_get_handshake_completed(c->conn) && !cq_conn_datagram_fits(c, len)) return;
    /* DATAGRAMs are unreliable: a queue that outgrows its cap (e.g. before the handshake,
     * or while congestion control holds them) loses its oldest ones, not memory */
    while (c->dgram_head && (c->dgram_queued >= CQ_MAX_QUEUED_DATAGRAMS ||
                             c->dgram_queued_bytes + len > CQ_MAX_QUEUED_DATAGRAM_BYTES))
        cq_conn_pop_datagram(c);
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


