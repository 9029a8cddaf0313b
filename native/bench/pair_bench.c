/*
 * In-memory transfer benchmark driven by the C pair harness (no sockets): the native
 * baseline that scripts/bench_ffi.ts compares the Deno and Bun bindings against.
 * Prints one JSON line: {"runtime":"c","bytes":…,"seconds":…,"datagrams":…}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pair.h"

bool g_quick;

static bool done(pair *p, void *ctx) {
    coquic_connection_handle_t s = side_accepted(&p->server);
    return s && side_stream(&p->server, s, 0)->fin;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
    size_t size = mib << 20;
    pair_options o = {.delay_us = 1000};
    pair *p = pair_new(&o);
    p->server.verify_pattern = false;
    coquic_connection_handle_t c = pair_connect(p);
    if (!pair_run_until(p, pred_confirmed, &c, 10000000)) return 1;
    uint8_t *buf = malloc(size);
    pattern_fill(buf, size, 0, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t before = p->client.datagrams_sent + p->server.datagrams_sent;
    pair_send(p, &p->client, c, 0, buf, size, true);
    if (!pair_run_until(p, done, NULL, 600000000)) return 1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t datagrams = p->client.datagrams_sent + p->server.datagrams_sent - before;
    printf("{\"runtime\":\"c\",\"bytes\":%zu,\"seconds\":%.6f,\"datagrams\":%llu}\n", size, secs,
           (unsigned long long)datagrams);
    free(buf);
    pair_free(p);
    return 0;
}
