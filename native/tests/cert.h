/* Test certificates generated in-process with GnuTLS. */
#ifndef COQUIC_TEST_CERT_H
#define COQUIC_TEST_CERT_H
#include <stddef.h>
#include <time.h>

typedef struct test_cert {
    char *cert_pem;
    size_t cert_len;
    char *key_pem;
    size_t key_len;
} test_cert;

/* A self-signed ECDSA P-256 certificate for `name` (+ IP 127.0.0.1), valid now-1h..now+1d.
 * Cached per name for the process; never freed (tests share them). */
const test_cert *test_cert_for(const char *name);

/* A fresh self-signed certificate with the given validity period (e.g. an expired one);
 * free it with test_cert_free. */
test_cert *test_cert_with_validity(const char *name, time_t not_before, time_t not_after);
void test_cert_free(test_cert *c);

#endif
