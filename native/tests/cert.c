#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "cert.h"

static struct {
    char name[64];
    test_cert cert;
} cache[4];
static int cached;

static char *dup_datum(gnutls_datum_t d, size_t *len) {
    char *s = malloc(d.size + 1);
    memcpy(s, d.data, d.size);
    s[d.size] = '\0';
    *len = d.size;
    gnutls_free(d.data);
    return s;
}

static void generate(test_cert *c, const char *name, time_t not_before, time_t not_after) {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_init(&key);
    if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) abort();
    gnutls_x509_crt_init(&crt);
    unsigned char serial[16];
    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f;
    static const unsigned char loopback[4] = {127, 0, 0, 1};
    if (gnutls_x509_crt_set_version(crt, 3) || gnutls_x509_crt_set_serial(crt, serial, sizeof serial) ||
        gnutls_x509_crt_set_activation_time(crt, not_before) || gnutls_x509_crt_set_expiration_time(crt, not_after) ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name, (unsigned)strlen(name)) ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name), GNUTLS_FSAN_SET) ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, loopback, 4, GNUTLS_FSAN_APPEND) ||
        gnutls_x509_crt_set_basic_constraints(crt, 1, -1) ||
        gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN) ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) || gnutls_x509_crt_set_key(crt, key) ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0))
        abort();
    gnutls_datum_t d;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d)) abort();
    c->cert_pem = dup_datum(d, &c->cert_len);
    if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d)) abort();
    c->key_pem = dup_datum(d, &c->key_len);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

const test_cert *test_cert_for(const char *name) {
    for (int i = 0; i < cached; i++)
        if (strcmp(cache[i].name, name) == 0) return &cache[i].cert;
    if (cached == 4) abort();
    time_t now = time(NULL);
    generate(&cache[cached].cert, name, now - 3600, now + 86400);
    strncpy(cache[cached].name, name, sizeof cache[cached].name - 1);
    return &cache[cached++].cert;
}

test_cert *test_cert_with_validity(const char *name, time_t not_before, time_t not_after) {
    test_cert *c = calloc(1, sizeof *c);
    if (!c) abort();
    generate(c, name, not_before, not_after);
    return c;
}

void test_cert_free(test_cert *c) {
    if (!c) return;
    free(c->cert_pem);
    free(c->key_pem);
    free(c);
}
