/* coquic_x_connection_max_datagram_size: the largest DATAGRAM payload a connection takes now. */
#include "internal.h"

/*
 * The same limits as the send check in conn.c (datagram_fits): a frame header of up to 9
 * bytes (type + length varint) within the peer's max_datagram_frame_size, and a packet's
 * short header, connection ID and AEAD tag (69 bytes, generously) within the path's UDP
 * payload size; never above 65,535. C test `ext_max_datagram_size_is_exact` pins that a
 * payload of exactly this size is sent and one byte more is refused.
 */
#define CQ_DATAGRAM_FRAME_OVERHEAD 9
#define CQ_DATAGRAM_PACKET_OVERHEAD 69
#define CQ_DATAGRAM_MAX 65535

COQUIC_FFI_API uint64_t coquic_x_connection_max_datagram_size(const coquic_endpoint_t *endpoint,
                                                              coquic_connection_handle_t connection) {
    if (!endpoint) return 0;
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state != CQ_CONN_ACTIVE || !c->conn) return 0;
    uint64_t max = CQ_DATAGRAM_MAX;
    size_t room = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
    if (room <= CQ_DATAGRAM_PACKET_OVERHEAD) return 0;
    if (room - CQ_DATAGRAM_PACKET_OVERHEAD < max) max = room - CQ_DATAGRAM_PACKET_OVERHEAD;
    const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
    if (rp) { /* before the peer's parameters arrive only the path limits it */
        if (rp->max_datagram_frame_size <= CQ_DATAGRAM_FRAME_OVERHEAD) return 0;
        if (rp->max_datagram_frame_size - CQ_DATAGRAM_FRAME_OVERHEAD < max)
            max = rp->max_datagram_frame_size - CQ_DATAGRAM_FRAME_OVERHEAD;
    }
    return max;
}
