/*
 * Route handles as network paths. ngtcp2 reasons about paths as socket addresses; the
 * ABI names paths with opaque 64-bit route handles (a local socket + a peer address).
 * Each route handle gets a synthetic IPv6 address (fd00:c0de::/64 + the handle), so
 * ngtcp2's path logic (migration, validation, anti-amplification per path) works
 * unchanged, and the handle comes back out of every path ngtcp2 writes to.
 *
 * On a server the route names the peer, so it becomes the remote address. On a client
 * the peer is the one server and a new route means a new local socket (migration), so
 * it becomes the local address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

#define ROUTE_PORT_PRESENT 443
#define ROUTE_PORT_ABSENT 1

static void route_addr(struct sockaddr_in6 *sa, uint64_t route) {
    memset(sa, 0, sizeof *sa);
    sa->sin6_family = AF_INET6;
    sa->sin6_addr.s6_addr[0] = 0xfd;
    sa->sin6_addr.s6_addr[2] = 0xc0;
    sa->sin6_addr.s6_addr[3] = 0xde;
    bool present = !(route & CQ_ROUTE_NONE);
    uint64_t h = present ? route : 0;
    for (int i = 0; i < 8; i++) sa->sin6_addr.s6_addr[8 + i] = (uint8_t)(h >> (56 - 8 * i));
    sa->sin6_port = htons(present ? ROUTE_PORT_PRESENT : ROUTE_PORT_ABSENT);
}

void cq_path_for_route(ngtcp2_path_storage *ps, uint64_t route, bool client) {
    struct sockaddr_in6 fixed, routed;
    memset(&fixed, 0, sizeof fixed);
    fixed.sin6_family = AF_INET6;
    fixed.sin6_addr.s6_addr[0] = 0xfd;
    fixed.sin6_addr.s6_addr[15] = 1;
    fixed.sin6_port = htons(4433);
    route_addr(&routed, route);
    const struct sockaddr_in6 *local = client ? &routed : &fixed, *remote = client ? &fixed : &routed;
    ngtcp2_path_storage_init(ps, (const ngtcp2_sockaddr *)local, sizeof *local, (const ngtcp2_sockaddr *)remote,
                             sizeof *remote, NULL);
}

uint64_t cq_route_of_path(const ngtcp2_path *path, bool client) {
    const ngtcp2_addr *a = client ? &path->local : &path->remote;
    if (!a->addr || a->addr->sa_family != AF_INET6) return CQ_ROUTE_NONE;
    const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)a->addr;
    if (ntohs(sa->sin6_port) != ROUTE_PORT_PRESENT) return CQ_ROUTE_NONE;
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) h = (h << 8) | sa->sin6_addr.s6_addr[8 + i];
    return h;
}

static coquic_ecn_codepoint_t ecn_from_ngtcp2(uint8_t ecn) {
    switch (ecn) {
    case NGTCP2_ECN_ECT_0: return COQUIC_ECN_ECT0;
    case NGTCP2_ECN_ECT_1: return COQUIC_ECN_ECT1;
    case NGTCP2_ECN_CE: return COQUIC_ECN_CE;
    default: return COQUIC_ECN_NOT_ECT;
    }
}

void cq_emit_datagram(coquic_endpoint_t *ep, coquic_connection_handle_t handle, uint64_t route,
                      uint8_t *bytes, size_t len, uint8_t ngtcp2_ecn) {
    coquic_effect_t *e = cq_result_push(ep->result, COQUIC_EFFECT_SEND_DATAGRAM, handle);
    if (!e) return;
    coquic_send_datagram_effect_t *d = &e->as.send_datagram;
    d->route_handle.has_value = !(route & CQ_ROUTE_NONE);
    d->route_handle.value = d->route_handle.has_value ? route : 0;
    d->bytes.data = bytes;
    d->bytes.length = len;
    d->ecn = ecn_from_ngtcp2(ngtcp2_ecn);
    d->is_pmtu_probe = 0; /* connections mark their DPLPMTUD probes (pmtu.c) */
}
