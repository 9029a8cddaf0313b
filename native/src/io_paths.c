/*
 * Native I/O, more than one socket: a client migrating to a new local address (RFC 9000 §9)
 * needs a second socket while its old path still carries packets in flight (and stays the
 * fallback until the new one validates). coquic_x_io_bind_path binds one with the first
 * socket's options and makes a route to the same peer from it; peers are keyed by address
 * and socket, so the engine sees the new route as a new path. Sends pick the socket of their
 * route's peer (io_tx.c); the pump receives from every socket, the newest first: a server
 * answers the PATH_CHALLENGE on the new path and keeps sending on the old one until it moves,
 * so reading the old socket's backlog first would hand ngtcp2 the PATH_RESPONSE far behind
 * packets numbered after it (its short packet number then decodes wrongly).
 *
 * Waits (io_wait.c, io_hub.c) poll the extra sockets through one epoll set, xfd, made with the
 * first of them and kept until the io is freed; sockets join and leave it with epoll_ctl, which
 * is safe while a wait runs. Before binding, sockets besides the first that no connection's
 * current path uses are closed with their routes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "io.h"

int cq_io_sock_fd(const coquic_x_io_t *io, uint32_t sock) {
    for (size_t i = 0; i < io->extra_count; i++)
        if (io->extra[i].id == sock) return io->extra[i].fd;
    return -1;
}

static const cq_io_sock *sock_of(const coquic_x_io_t *io, uint32_t sock) {
    for (size_t i = 0; i < io->extra_count; i++)
        if (io->extra[i].id == sock) return &io->extra[i];
    return NULL;
}

void cq_io_paths_receive(coquic_x_io_t *io, size_t *budget) {
    for (size_t i = io->extra_count; i-- > 0 && *budget > 0;) cq_io_receive_socket(io, io->extra[i].fd, io->extra[i].id, budget);
}

void cq_io_paths_free(coquic_x_io_t *io) {
    for (size_t i = 0; i < io->extra_count; i++) close(io->extra[i].fd);
    io->extra_count = 0;
    int xfd = atomic_load(&io->xfd);
    if (xfd >= 0) close(xfd);
    atomic_store(&io->xfd, -1);
}

static bool sockopt(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

/* Whether socket `id` still matters: a connection's current path or a queued datagram uses it. */
static bool in_use(coquic_x_io_t *io, uint32_t id) {
    for (cq_conn *c = io->ep ? io->ep->conn_head : NULL; c; c = c->next) {
        const cq_peer *p = cq_map_get_u64(&io->peers_by_route, c->current_route);
        if (p && p->sock == id) return true;
    }
    for (size_t i = io->tx_head; i < io->tx_count; i++)
        if (io->tx[i].peer->sock == id) return true;
    return false;
}

/* Closes socket slot `i` and forgets the peers reached through it. */
static void close_extra(coquic_x_io_t *io, size_t i) {
    uint32_t id = io->extra[i].id;
    epoll_ctl(atomic_load(&io->xfd), EPOLL_CTL_DEL, io->extra[i].fd, NULL);
    close(io->extra[i].fd);
    io->extra[i] = io->extra[--io->extra_count];
    size_t n = 0;
    uint64_t *gone = malloc((io->peers_by_route.count + 1) * sizeof *gone);
    if (!gone) return; /* out of memory: the peers stay, unreachable (sends to them are dropped) */
    for (size_t k = 0; k < io->peers_by_route.capacity; k++) {
        const cq_map_slot *s = &io->peers_by_route.slots[k];
        if (s->used && ((const cq_peer *)s->value)->sock == id) gone[n++] = ((const cq_peer *)s->value)->route;
    }
    for (size_t k = 0; k < n; k++) cq_io_peer_drop(io, cq_map_get_u64(&io->peers_by_route, gone[k]));
    free(gone);
}

static void close_unused(coquic_x_io_t *io) {
    for (size_t i = io->extra_count; i-- > 0;)
        if (!in_use(io, io->extra[i].id)) close_extra(io, i);
}

/* The smallest socket id no open socket has (the peers of a closed one went with it). */
static uint32_t free_id(const coquic_x_io_t *io) {
    for (uint32_t id = 1;; id++)
        if (!sock_of(io, id)) return id; /* at most CQ_IO_EXTRA_SOCKETS are taken */
}

/* A socket like the first one (buffers, GRO and ECN as it has them, no fragmentation). */
static coquic_status_t open_extra(coquic_x_io_t *io, const struct sockaddr_storage *ss, socklen_t len, int *out_fd) {
    int fd = socket(io->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: socket: %s", strerror(errno));
    if (io->family == AF_INET6) sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    sockopt(fd, SOL_SOCKET, SO_RCVBUF, 8 << 20);
    sockopt(fd, SOL_SOCKET, SO_SNDBUF, 8 << 20);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int e = errno;
        close(fd);
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: bind: %s%s", strerror(e),
                       e == EADDRINUSE ? " (address in use)" : "");
    }
    /* the receive buffers are sized for the first socket: GRO only where it has it too */
    if (io->gro && !sockopt(fd, SOL_UDP, UDP_GRO, 1)) {
        close(fd);
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: UDP_GRO: %s", strerror(errno));
    }
    if (io->ecn) {
        if (io->family == AF_INET) sockopt(fd, IPPROTO_IP, IP_RECVTOS, 1);
        else sockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    }
    if (io->family == AF_INET) sockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    else sockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
    *out_fd = fd;
    return COQUIC_STATUS_OK;
}

/* The epoll set waits poll for the extra sockets, made on first use (see the top). */
static coquic_status_t ensure_xfd(coquic_x_io_t *io) {
    if (atomic_load(&io->xfd) >= 0) return COQUIC_STATUS_OK;
    int xfd = epoll_create1(EPOLL_CLOEXEC);
    if (xfd < 0) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: epoll: %s", strerror(errno));
    atomic_store(&io->xfd, xfd);
    cq_io_hub_add_fd(io, xfd);
    coquic_x_io_interrupt(io); /* a wait in progress starts over, polling it too */
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API coquic_status_t coquic_x_io_bind_path(coquic_x_io_t *io, const uint8_t *address, size_t address_length,
                                                     uint16_t port, uint64_t route, uint64_t *out_route) {
    cq_clear_error();
    if (out_route) *out_route = COQUIC_X_NO_ROUTE;
    if (!io || !io->ep || !out_route || !address)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: NULL or closed io, NULL address or output");
    if (address_length != (io->family == AF_INET ? 4u : 16u))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: the address must be of the socket's family "
                                                       "(%s)", io->family == AF_INET ? "4 bytes" : "16 bytes");
    const cq_peer *peer = cq_map_get_u64(&io->peers_by_route, route);
    if (!peer) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: unknown route %llu", (unsigned long long)route);
    struct sockaddr_storage peer_addr = peer->addr;
    socklen_t peer_len = peer->addrlen;
    close_unused(io);
    if (io->extra_count == CQ_IO_EXTRA_SOCKETS)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: %d sockets besides the first are in use",
                       CQ_IO_EXTRA_SOCKETS);
    coquic_status_t st = ensure_xfd(io);
    if (st != COQUIC_STATUS_OK) return st;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (io->family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        sa->sin_family = AF_INET;
        memcpy(&sa->sin_addr, address, 4);
        sa->sin_port = htons(port);
        len = sizeof *sa;
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        sa->sin6_family = AF_INET6;
        memcpy(&sa->sin6_addr, address, 16);
        sa->sin6_port = htons(port);
        len = sizeof *sa;
    }
    int fd = -1;
    if ((st = open_extra(io, &ss, len, &fd)) != COQUIC_STATUS_OK) return st;
    cq_io_sock *x = &io->extra[io->extra_count];
    x->fd = fd;
    x->id = free_id(io);
    x->local_len = sizeof x->local;
    getsockname(fd, (struct sockaddr *)&x->local, &x->local_len);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = x->id};
    if (epoll_ctl(atomic_load(&io->xfd), EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = errno;
        close(fd);
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind_path: epoll_ctl: %s", strerror(e));
    }
    cq_peer *p = cq_io_peer_for(io, &peer_addr, peer_len, x->id, CQ_PEER_ADMITTED);
    if (!p) {
        epoll_ctl(atomic_load(&io->xfd), EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "io_bind_path: peer table");
    }
    p->pinned = true; /* the binding keeps it until the socket goes */
    io->extra_count++;
    *out_route = p->route;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API uint8_t coquic_x_io_route_local_address(const coquic_x_io_t *io, uint64_t route, uint8_t *out_address,
                                                       uint16_t *out_port) {
    const cq_peer *p = io ? cq_map_get_u64(&io->peers_by_route, route) : NULL;
    if (!p) return 0;
    const cq_io_sock *x = p->sock ? sock_of(io, p->sock) : NULL;
    if (p->sock && !x) return 0;
    const struct sockaddr_storage *ss = x ? &x->local : &io->local;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
        if (out_address) memcpy(out_address, &sa->sin_addr, 4);
        if (out_port) *out_port = ntohs(sa->sin_port);
        return 4;
    }
    const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
    if (out_address) memcpy(out_address, &sa->sin6_addr, 16);
    if (out_port) *out_port = ntohs(sa->sin6_port);
    return 6;
}
