/* Client certificate verification through SSL_CERT_FILE (read when the client endpoint is
 * created, on top of the system store), with the generated test certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "pair.h"
#include "test.h"

static void verifying_client(coquic_endpoint_config_t *c) { c->verify_peer = 1; }

static coquic_tls_identity_t other_identity;
static void server_with_other_cert(coquic_endpoint_config_t *c) {
    const test_cert *cert = test_cert_for("other.test");
    other_identity = (coquic_tls_identity_t){cert->cert_pem, cert->cert_len, cert->key_pem, cert->key_len};
    c->identity = &other_identity;
}

/* Writes `name`'s certificate to a temp file; returns its path (static buffer) or NULL. */
static const char *cert_file(const char *name) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/coquic-test-ca-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    const test_cert *cert = test_cert_for(name);
    bool ok = write(fd, cert->cert_pem, cert->cert_len) == (ssize_t)cert->cert_len;
    close(fd);
    return ok ? path : NULL;
}

static const char *g_server_name;
static void with_server_name(coquic_open_connection_t *open, void *ctx) {
    open->connection.server_name = g_server_name;
    open->connection.server_name_length = strlen(g_server_name);
}

static bool client_closed(pair *p, void *ctx) { return p->client.close_count > 0; }

typedef struct outcome {
    bool confirmed;
    bool failed_cleanly; /* FAILED + close info on the client, nothing confirmed */
    uint8_t source;
    char reason[256];
} outcome;

/* A verifying client (SSL_CERT_FILE = `trusted`'s certificate, or unset) connects with SNI
 * `server_name` to a server presenting `server_cert_name`'s certificate. */
static outcome verify_run(const char *trusted, const char *server_name, bool other_server_cert) {
    outcome out = {false, false, 0xff, ""};
    const char *path = trusted ? cert_file(trusted) : NULL;
    if (trusted && !path) return out;
    if (path) setenv("SSL_CERT_FILE", path, 1);
    else unsetenv("SSL_CERT_FILE");
    pair_options o = {.client_config = verifying_client, .server_config = other_server_cert ? server_with_other_cert : NULL};
    pair *p = pair_new(&o); /* the trust file is read here */
    unsetenv("SSL_CERT_FILE");
    if (path) unlink(path);
    if (!p) return out;
    g_server_name = server_name;
    coquic_connection_handle_t c = pair_connect_with(p, with_server_name, NULL);
    out.confirmed = pair_run_until(p, pred_confirmed, &c, 5000000);
    if (!out.confirmed) {
        pair_run_until(p, client_closed, NULL, 5000000);
        out.failed_cleanly = side_has_state(&p->client, c, COQUIC_STATE_CHANGE_FAILED) && p->client.close_count > 0 &&
                             !side_has_state(&p->client, c, COQUIC_STATE_CHANGE_HANDSHAKE_CONFIRMED);
        if (p->client.close_count) {
            out.source = p->client.closes[0].source;
            snprintf(out.reason, sizeof out.reason, "%s", p->client.close_reasons[0]);
        }
    }
    pair_free(p);
    return out;
}

TEST(verify_ssl_cert_file_trusts_the_test_certificate) {
    outcome o = verify_run("localhost", "localhost", false);
    CHECK(o.confirmed);
}

TEST(verify_without_trust_fails_the_handshake) {
    outcome o = verify_run(NULL, "localhost", false);
    test_note("source %u reason '%s'", o.source, o.reason);
    CHECK(!o.confirmed);
    CHECK(o.failed_cleanly);
    CHECK_EQ(o.source, COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR);
    CHECK(strstr(o.reason, "certificate") != NULL);
}

TEST(verify_wrong_server_name_fails) {
    outcome o = verify_run("localhost", "example.org", false);
    test_note("source %u reason '%s'", o.source, o.reason);
    CHECK(!o.confirmed);
    CHECK(o.failed_cleanly);
    CHECK(strstr(o.reason, "certificate") != NULL);
}

TEST(verify_ip_address_in_subject_alt_name) {
    /* the test certificate carries IP 127.0.0.1 in its subjectAltName */
    outcome o = verify_run("localhost", "127.0.0.1", false);
    test_note("source %u reason '%s'", o.source, o.reason);
    CHECK(o.confirmed);
}

TEST(verify_server_with_an_untrusted_certificate_fails) {
    /* trust localhost's certificate, but the server presents other.test's */
    outcome o = verify_run("localhost", "other.test", true);
    test_note("source %u reason '%s'", o.source, o.reason);
    CHECK(!o.confirmed);
    CHECK(o.failed_cleanly);
    /* ...and trusting other.test's certificate makes that server acceptable */
    o = verify_run("other.test", "other.test", true);
    CHECK(o.confirmed);
}

/* SSL_CERT_FILE is parsed once per version of the file and shared: endpoints created after
 * the file changed see the new content, endpoints created before keep the old one. */
TEST(verify_ssl_cert_file_change_is_seen_by_new_endpoints_only) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/coquic-test-ca-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const test_cert *trusted = test_cert_for("localhost"), *other = test_cert_for("other.test");
    CHECK(write(fd, trusted->cert_pem, trusted->cert_len) == (ssize_t)trusted->cert_len);
    close(fd);
    setenv("SSL_CERT_FILE", path, 1);
    pair_options o = {.client_config = verifying_client};
    pair *before = pair_new(&o);
    pair *same = pair_new(&o); /* same file version: shares the parsed list */
    /* replace the content (a different size, so the change is seen even within one mtime tick) */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fwrite(other->cert_pem, 1, other->cert_len, f);
    fputs("\n\n", f);
    fclose(f);
    pair *after = pair_new(&o);
    unsetenv("SSL_CERT_FILE");
    unlink(path);
    CHECK(before && same && after);
    g_server_name = "localhost";
    pair *pairs[3] = {before, same, after};
    bool confirmed[3];
    for (int i = 0; i < 3; i++) {
        coquic_connection_handle_t c = pair_connect_with(pairs[i], with_server_name, NULL);
        confirmed[i] = pair_run_until(pairs[i], pred_confirmed, &c, 5000000);
    }
    CHECK(confirmed[0]);
    CHECK(confirmed[1]);
    CHECK(!confirmed[2]); /* the new file no longer trusts the server's certificate */
    pair_free(before);
    pair_free(same);
    pair_free(after);
}
