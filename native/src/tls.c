/* TLS 1.3 through GnuTLS, wired to ngtcp2 by ngtcp2_crypto_gnutls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "internal.h"

/* TLS 1.3 only, QUIC-capable AEADs, no middlebox compatibility mode. */
static const char priority[] =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
    "+GROUP-SECP384R1:+GROUP-SECP521R1";

static coquic_status_t gnutls_failure(const char *what, int rv) {
    return cq_fail(rv == GNUTLS_E_MEMORY_ERROR ? COQUIC_STATUS_OUT_OF_MEMORY : COQUIC_STATUS_INVALID_ARGUMENT,
                   "%s: %s", what, gnutls_strerror(rv));
}

coquic_status_t cq_tls_context_init(cq_tls_context *tls, const cq_config *config,
                                    const coquic_tls_identity_t *identity) {
    memset(tls, 0, sizeof *tls);
    int rv = gnutls_certificate_allocate_credentials(&tls->credentials);
    if (rv != 0) return gnutls_failure("allocating TLS credentials", rv);

    if (config->role == COQUIC_ROLE_SERVER && identity && identity->certificate_pem_length > 0) {
        gnutls_datum_t cert = {(unsigned char *)identity->certificate_pem,
                               (unsigned int)identity->certificate_pem_length};
        gnutls_datum_t key = {(unsigned char *)identity->private_key_pem,
                              (unsigned int)identity->private_key_pem_length};
        if (!identity->certificate_pem || !identity->private_key_pem ||
            identity->private_key_pem_length == 0) {
            cq_tls_context_free(tls);
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                           "identity: certificate and private key PEM are both required");
        }
        rv = gnutls_certificate_set_x509_key_mem2(tls->credentials, &cert, &key, GNUTLS_X509_FMT_PEM,
                                                  NULL, 0);
        if (rv < 0) {
            cq_tls_context_free(tls);
            return gnutls_failure("identity: certificate chain / private key PEM rejected", rv);
        }
        tls->has_identity = true;
    }
    if (config->role == COQUIC_ROLE_CLIENT && config->verify_peer) {
        /* System trust store; SSL_CERT_FILE adds a bundle, as with the upstream library. */
        rv = gnutls_certificate_set_x509_system_trust(tls->credentials);
        (void)rv; /* a machine without a store still works with SSL_CERT_FILE or a supplied CA */
        const char *extra = getenv("SSL_CERT_FILE");
        if (extra && *extra)
            gnutls_certificate_set_x509_trust_file(tls->credentials, extra, GNUTLS_X509_FMT_PEM);
    }
    return COQUIC_STATUS_OK;
}

void cq_tls_context_free(cq_tls_context *tls) {
    if (tls->credentials) gnutls_certificate_free_credentials(tls->credentials);
    tls->credentials = NULL;
}

coquic_status_t cq_tls_add_trusted_ca(cq_tls_context *tls, const char *pem, size_t len) {
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned int)len};
    int rv = gnutls_certificate_set_x509_trust_mem(tls->credentials, &d, GNUTLS_X509_FMT_PEM);
    if (rv <= 0) return rv < 0 ? gnutls_failure("trusted CA PEM rejected", rv)
                               : cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "trusted CA PEM holds no certificate");
    return COQUIC_STATUS_OK;
}

int cq_tls_session_new(gnutls_session_t *out, const cq_tls_context *tls, const cq_config *config,
                       ngtcp2_crypto_conn_ref *conn_ref, const char *server_name,
                       size_t server_name_len) {
    bool server = config->role == COQUIC_ROLE_SERVER;
    gnutls_session_t s;
    int rv = gnutls_init(&s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA);
    if (rv != 0) return rv;
    rv = gnutls_priority_set_direct(s, priority, NULL);
    if (rv == 0)
        rv = server ? ngtcp2_crypto_gnutls_configure_server_session(s)
                    : ngtcp2_crypto_gnutls_configure_client_session(s);
    if (rv == 0) rv = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, tls->credentials);
    if (rv == 0) {
        gnutls_datum_t alpn = {(unsigned char *)config->alpn, (unsigned int)config->alpn_len};
        rv = gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY);
    }
    if (rv == 0 && !server && server_name_len > 0) {
        /* GnuTLS keeps this pointer for the session's lifetime: server_name is NUL-terminated
         * storage owned by the connection. */
        rv = gnutls_server_name_set(s, GNUTLS_NAME_DNS, server_name, server_name_len);
        if (rv == 0 && config->verify_peer) gnutls_session_set_verify_cert(s, server_name, 0);
    } else if (rv == 0 && !server && config->verify_peer) {
        gnutls_session_set_verify_cert(s, NULL, 0);
    }
    if (rv != 0) {
        gnutls_deinit(s);
        return rv;
    }
    gnutls_session_set_ptr(s, conn_ref);
    *out = s;
    return 0;
}

void cq_tls_describe_failure(gnutls_session_t session, char *buf, size_t cap) {
    if (cap == 0) return;
    buf[0] = '\0';
    unsigned int status = gnutls_session_get_verify_cert_status(session);
    if (status == 0) return;
    gnutls_datum_t out = {NULL, 0};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
        snprintf(buf, cap, "certificate verification failed (0x%x): %.*s", status, (int)out.size, (const char *)out.data);
        gnutls_free(out.data);
    } else {
        snprintf(buf, cap, "certificate verification failed (status 0x%x)", status);
    }
}
