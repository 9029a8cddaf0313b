/*
 * libFuzzer target: arbitrary bytes as inbound datagrams into endpoints, through the public
 * ABI only. The first input byte picks a scenario; the rest is split into datagrams by a
 * 2-byte big-endian length prefix each.
 *
 *   0: a fresh server endpoint
 *   1: a server endpoint mid-handshake (it has accepted a genuine client Initial)
 *   2: a client endpoint mid-handshake (it has sent its Initial)
 *
 * Between datagrams the virtual clock advances and timers fire, so timer paths run too.
 * The certificate and key come from COQUIC_FUZZ_CERT / COQUIC_FUZZ_KEY (scripts/fuzz
 * generates them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coquic/ffi/core.h"
#include "coquic/ffi/ext.h"

static char *cert_pem, *key_pem;
static size_t cert_len, key_len;
static uint8_t client_initial[1500];
static size_t client_initial_len;

static char *slurp(const char *path, size_t *len) {
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        fprintf(stderr, "fuzz: set COQUIC_FUZZ_CERT and COQUIC_FUZZ_KEY to PEM files\n");
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) abort();
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static coquic_endpoint_t *make_endpoint(coquic_role_t role) {
    coquic_tls_identity_t id = {cert_pem, cert_len, key_pem, key_len};
    coquic_endpoint_config_t cfg;
    coquic_endpoint_config_init(&cfg);
    cfg.role = role;
    cfg.verify_peer = 0;
    cfg.identity = role == COQUIC_ROLE_SERVER ? &id : NULL;
    cfg.transport.max_idle_timeout = 5000;
    coquic_endpoint_t *ep = NULL;
    if (coquic_endpoint_create(&cfg, &ep) != COQUIC_STATUS_OK) abort();
    return ep;
}

/* Consumes a result, remembering the first datagram it sends when asked to. */
static void consume(coquic_result_t *r, uint8_t *keep, size_t *keep_len) {
    size_t n = coquic_result_effect_count(r);
    for (size_t i = 0; i < n; i++) {
        coquic_effect_t e;
        if (coquic_result_effect_at(r, i, &e) != COQUIC_STATUS_OK) abort();
        if (e.kind == COQUIC_EFFECT_SEND_DATAGRAM && keep && *keep_len == 0 &&
            e.as.send_datagram.bytes.length <= 1500) {
            memcpy(keep, e.as.send_datagram.bytes.data, e.as.send_datagram.bytes.length);
            *keep_len = e.as.send_datagram.bytes.length;
        }
    }
    coquic_result_destroy(r);
}

static coquic_endpoint_t *client_with_open_connection(uint8_t *initial, size_t *initial_len) {
    coquic_endpoint_t *c = make_endpoint(COQUIC_ROLE_CLIENT);
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    static const uint8_t scid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t dcid[8] = {9, 10, 11, 12, 13, 14, 15, 16};
    open.connection.source_connection_id = (coquic_bytes_t){scid, sizeof scid};
    open.connection.initial_destination_connection_id = (coquic_bytes_t){dcid, sizeof dcid};
    open.initial_route_handle = 1;
    coquic_result_t *r = NULL;
    if (coquic_endpoint_open_connection(c, &open, 1000, &r) != COQUIC_STATUS_OK) abort();
    consume(r, initial, initial_len);
    return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    cert_pem = slurp(getenv("COQUIC_FUZZ_CERT"), &cert_len);
    key_pem = slurp(getenv("COQUIC_FUZZ_KEY"), &key_len);
    coquic_endpoint_t *c = client_with_open_connection(client_initial, &client_initial_len);
    coquic_endpoint_destroy(c);
    return 0;
}

static void feed(coquic_endpoint_t *ep, const uint8_t *data, size_t len, uint64_t *now) {
    coquic_inbound_datagram_t in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.bytes = (coquic_bytes_t){data, len};
    in.route_handle.has_value = 1;
    in.route_handle.value = 1;
    coquic_result_t *r = NULL;
    if (coquic_endpoint_input_datagram(ep, &in, *now, &r) != COQUIC_STATUS_OK) abort();
    consume(r, NULL, NULL);
    *now += 7000;
    if (coquic_endpoint_timer_expired(ep, *now, &r) != COQUIC_STATUS_OK) abort();
    consume(r, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t scenario = data[0] % 3;
    uint64_t now = 2000;
    uint8_t unused[1500];
    size_t unused_len = 0;
    coquic_endpoint_t *ep;
    if (scenario == 2) {
        ep = client_with_open_connection(unused, &unused_len);
    } else {
        ep = make_endpoint(COQUIC_ROLE_SERVER);
        if (scenario == 1) feed(ep, client_initial, client_initial_len, &now);
    }
    size_t at = 1;
    while (at + 2 <= size) {
        size_t len = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (len > size - at) len = size - at;
        feed(ep, data + at, len, &now);
        at += len;
    }
    coquic_endpoint_destroy(ep);
    return 0;
}
