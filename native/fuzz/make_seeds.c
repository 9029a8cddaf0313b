/*
 * Writes fuzz seeds from a real in-memory handshake + small transfer: every datagram each
 * side received, as fuzz inputs for the matching scenario (see fuzz_endpoint.c).
 * Usage: make_seeds CERT KEY OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coquic/ffi/core.h"

typedef struct { uint8_t data[1500]; size_t len; int to_server; } datagram;
static datagram flight[4096];
static size_t flight_len;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len);
    if (fread(b, 1, *len, f) != *len) exit(1);
    fclose(f);
    return b;
}

static void collect(coquic_result_t *r, int from_server) {
    for (size_t i = 0; i < coquic_result_effect_count(r); i++) {
        coquic_effect_t e;
        coquic_result_effect_at(r, i, &e);
        if (e.kind != COQUIC_EFFECT_SEND_DATAGRAM || flight_len == 4096) continue;
        datagram *d = &flight[flight_len++];
        d->len = e.as.send_datagram.bytes.length;
        memcpy(d->data, e.as.send_datagram.bytes.data, d->len);
        d->to_server = !from_server;
    }
    coquic_result_destroy(r);
}

static void write_seed(const char *dir, const char *name, uint8_t scenario, int to_server, size_t first, size_t last) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fputc(scenario, f);
    for (size_t i = first; i < last && i < flight_len; i++) {
        if (flight[i].to_server != to_server) continue;
        fputc((int)(flight[i].len >> 8), f);
        fputc((int)(flight[i].len & 0xff), f);
        fwrite(flight[i].data, 1, flight[i].len, f);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: make_seeds CERT KEY OUTDIR\n"); return 2; }
    size_t cl, kl;
    char *cert = slurp(argv[1], &cl), *key = slurp(argv[2], &kl);
    coquic_tls_identity_t id = {cert, cl, key, kl};
    coquic_endpoint_config_t sc, cc;
    coquic_endpoint_config_init(&sc);
    sc.role = COQUIC_ROLE_SERVER;
    sc.verify_peer = 0;
    sc.identity = &id;
    coquic_endpoint_config_init(&cc);
    cc.verify_peer = 0;
    coquic_endpoint_t *s, *c;
    if (coquic_endpoint_create(&sc, &s) || coquic_endpoint_create(&cc, &c)) return 1;
    coquic_open_connection_t open;
    memset(&open, 0, sizeof open);
    open.size = sizeof open;
    coquic_client_connection_config_init(&open.connection);
    static const uint8_t scid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    open.connection.source_connection_id = (coquic_bytes_t){scid, sizeof scid};
    open.initial_route_handle = 1;
    coquic_connection_handle_t h;
    coquic_result_t *r;
    uint64_t now = 1000;
    coquic_quic_connect(c, &open, now, &h, &r);
    collect(r, 0);
    static const uint8_t hello[] = "hello over QUIC";
    int sent = 0;
    for (size_t i = 0; i < flight_len && i < 4000; i++) {
        coquic_inbound_datagram_t in;
        memset(&in, 0, sizeof in);
        in.size = sizeof in;
        in.bytes = (coquic_bytes_t){flight[i].data, flight[i].len};
        in.route_handle.has_value = 1;
        in.route_handle.value = 1;
        now += 500;
        coquic_endpoint_input_datagram(flight[i].to_server ? s : c, &in, now, &r);
        collect(r, flight[i].to_server);
        if (!sent && i >= 2) {
            coquic_send_stream_data_t d = {sizeof d, 0, {hello, sizeof hello}, 1, 0};
            coquic_connection_send_stream(c, h, &d, now, &r);
            collect(r, 0);
            sent = 1;
        }
    }
    write_seed(argv[3], "server_handshake", 0, 1, 0, flight_len);
    write_seed(argv[3], "server_after_initial", 1, 1, 1, flight_len);
    write_seed(argv[3], "client_handshake", 2, 0, 0, flight_len);
    coquic_endpoint_destroy(c);
    coquic_endpoint_destroy(s);
    free(cert);
    free(key);
    printf("%zu datagrams captured\n", flight_len);
    return 0;
}
