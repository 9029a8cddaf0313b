/* DATAGRAM frames of one connection: the peer's limits and the bounded send queue. */
#include <stdlib.h>
#include <string.h>

#include "conn_private.h"

/* ---- datagrams ----------------------------------------------------------------------------------- */

/* Checks a DATAGRAM against the peer's limit; false (with a local error) when it cannot be sent. */
bool cq_conn_datagram_fits(cq_conn *c, size_t len) {
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


