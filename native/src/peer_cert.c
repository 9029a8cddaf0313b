/* coquic_x_connection_peer_certificate: the peer's leaf certificate, for callers that check
 * it themselves (WebTransport's serverCertificateHashes pins a self-signed certificate by
 * hash on a client that skips CA verification). See include/coquic/ffi/ext.h. */
#include <string.h>

#include <gnutls/gnutls.h>

#include "internal.h"

COQUIC_FFI_API coquic_status_t coquic_x_connection_peer_certificate(const coquic_endpoint_t *endpoint,
                                                                    coquic_connection_handle_t connection,
                                                                    uint8_t *buffer, size_t capacity,
                                                                    size_t *out_length) {
    cq_clear_error();
    if (!endpoint || !out_length)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "peer_certificate: NULL endpoint or output length");
    *out_length = 0;
    if (capacity > 0 && !buffer)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "peer_certificate: NULL buffer with capacity %zu", capacity);
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state == CQ_CONN_DEAD)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "peer_certificate: unknown connection %llu",
                       (unsigned long long)connection);
    if (!c->tls) return COQUIC_STATUS_OK; /* between a version-negotiation restart's two sessions */
    /* X.509 sessions only (our credentials are certificates); the list is the peer's chain as
     * sent, leaf first, kept by GnuTLS whether or not it was verified. */
    if (gnutls_certificate_type_get2(c->tls, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509) return COQUIC_STATUS_OK;
    unsigned int count = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(c->tls, &count);
    if (!chain || count == 0 || !chain[0].data) return COQUIC_STATUS_OK;
    *out_length = chain[0].size;
    if (capacity >= chain[0].size) memcpy(buffer, chain[0].data, chain[0].size);
    return COQUIC_STATUS_OK;
}
