/* coquic_x_connection_peer_certificate: the server's leaf certificate DER on the client,
 * whether or not the client verified it; nothing for a server (its clients send none). */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "pair.h"
#include "test.h"

/* `name`'s test certificate as DER (gnutls_free it). */
static gnutls_datum_t der_of(const test_cert *cert) {
    gnutls_datum_t pem = {(unsigned char *)cert->cert_pem, (unsigned)cert->cert_len}, der = {NULL, 0};
    gnutls_x509_crt_t crt;
    gnutls_x509_crt_init(&crt);
    if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) == 0)
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
    gnutls_x509_crt_deinit(crt);
    return der;
}

static coquic_tls_identity_t other_identity;
static void server_with_other_cert(coquic_endpoint_config_t *c) {
    const test_cert *cert = test_cert_for("pinned.test");
    other_identity = (coquic_tls_identity_t){cert->cert_pem, cert->cert_len, cert->key_pem, cert->key_len};
    c->identity = &other_identity;
}

static void check_client_sees(pair *p, coquic_connection_handle_t c, const test_cert *cert) {
    gnutls_datum_t want = der_of(cert);
    CHECK(want.size > 100);
    size_t length = 1;
    /* asking with no buffer gives the length */
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 0, &length), COQUIC_STATUS_OK);
    CHECK_EQ(length, want.size);
    /* too small: the length, nothing copied */
    uint8_t small[16];
    memset(small, 0xaa, sizeof small);
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, small, sizeof small, &length), COQUIC_STATUS_OK);
    CHECK_EQ(length, want.size);
    for (size_t i = 0; i < sizeof small; i++) CHECK_EQ(small[i], 0xaa);
    uint8_t *buf = malloc(want.size + 8);
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, buf, want.size + 8, &length), COQUIC_STATUS_OK);
    CHECK_EQ(length, want.size);
    CHECK(memcmp(buf, want.data, want.size) == 0);
    free(buf);
    gnutls_free(want.data);
}

TEST(peer_cert_client_gets_the_servers_leaf_der) {
    pair *p = pair_new(NULL); /* the client does not verify: the certificate is there all the same */
    CHECK(p != NULL);
    coquic_connection_handle_t c = pair_connect(p);
    size_t length = 99;
    /* nothing received yet */
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 0, &length), COQUIC_STATUS_OK);
    CHECK_EQ(length, 0);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    check_client_sees(p, c, test_cert_for("localhost"));
    /* the server's client sent no certificate */
    coquic_connection_handle_t s = side_accepted(&p->server);
    CHECK(s != 0);
    length = 99;
    CHECK_EQ(coquic_x_connection_peer_certificate(p->server.ep, s, NULL, 0, &length), COQUIC_STATUS_OK);
    CHECK_EQ(length, 0);
    /* bad arguments */
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, 12345, NULL, 0, &length),
             COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(length, 0);
    CHECK_EQ(coquic_x_connection_peer_certificate(NULL, c, NULL, 0, &length), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 0, NULL), COQUIC_STATUS_INVALID_ARGUMENT);
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 10, &length),
             COQUIC_STATUS_INVALID_ARGUMENT);
    char msg[128];
    CHECK(coquic_x_last_error_message(msg, sizeof msg) > 0);
    pair_free(p);
}

TEST(peer_cert_names_the_certificate_each_server_presents) {
    pair_options o = {.server_config = server_with_other_cert};
    pair *p = pair_new(&o);
    CHECK(p != NULL);
    coquic_connection_handle_t c = pair_connect(p);
    CHECK(pair_run_until(p, pred_confirmed, &c, 10000000));
    check_client_sees(p, c, test_cert_for("pinned.test"));
    /* still there while the connection closes; gone once it is removed */
    coquic_result_t *r = NULL;
    coquic_close_connection_t close = {sizeof close, 1, NULL, 0};
    CHECK_EQ(coquic_connection_close(p->client.ep, c, &close, p->now, &r), COQUIC_STATUS_OK);
    pair_absorb(p, &p->client, r);
    size_t length = 0;
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 0, &length), COQUIC_STATUS_OK);
    CHECK(length > 0);
    CHECK(pair_run_until(p, pred_no_connections, NULL, 60000000));
    CHECK_EQ(coquic_x_connection_peer_certificate(p->client.ep, c, NULL, 0, &length), COQUIC_STATUS_INVALID_ARGUMENT);
    pair_free(p);
}
