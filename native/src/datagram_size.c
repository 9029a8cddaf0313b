/* coquic_x_connection_max_datagram_size: the largest DATAGRAM payload a connection takes now. */
#include "internal.h"

/* The limits are the send check's (conn_datagrams.c); C test `ext_max_datagram_size_is_exact`
 * pins that a payload of exactly this size is sent and one byte more is refused. */
COQUIC_FFI_API uint64_t coquic_x_connection_max_datagram_size(const coquic_endpoint_t *endpoint,
                                                              coquic_connection_handle_t connection) {
    if (!endpoint) return 0;
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state != CQ_CONN_ACTIVE || !c->conn) return 0;
    return cq_conn_max_datagram_payload(c);
}
