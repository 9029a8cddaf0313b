/*
 * Native I/O: the engine owns the endpoint's UDP socket, so datagrams never leave C.
 * This file binds the socket, keeps the peer table (peer address <-> route handle) and
 * runs the pump: receive everything waiting (recvmmsg, GRO messages split in place, ECN
 * marks from control messages), feed it as one batch, run timers and drains, send.
 * Sending is in io_tx.c, waiting in io_wait.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io.h"

/* ---- peers ----------------------------------------------------------------------------------- */

/* The identity bytes double as the peer table key: 0x04 a b c d port, or 0x06 addr16 port. */
static size_t address_key(uint8_t key[19], const struct sockaddr_storage *ss) {
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
        key[0] = 0x04;
        memcpy(key + 1, &sa->sin_addr, 4);
        memcpy(key + 5, &sa->sin_port, 2);
        return 7;
    }
    const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
    key[0] = 0x06;
    memcpy(key + 1, &sa->sin6_addr, 16);
    memcpy(key + 17, &sa->sin6_port, 2);
    return 19;
}

/* The peer table key: the address key, then (for sockets besides the first) the socket id. */
size_t cq_io_peer_key(uint8_t key[CQ_IO_KEY_MAX], const struct sockaddr_storage *ss, uint32_t sock) {
    size_t len = address_key(key, ss);
    if (sock == 0) return len;
    key[len] = (uint8_t)sock; /* ids stay below 256 (io_paths.c) */
    return len + 1;
}

static socklen_t make_sockaddr(struct sockaddr_storage *ss, const uint8_t *address, size_t len, uint16_t port) {
    memset(ss, 0, sizeof *ss);
    if (len == 4) {
        struct sockaddr_in *sa = (struct sockaddr_in *)ss;
        sa->sin_family = AF_INET;
        memcpy(&sa->sin_addr, address, 4);
        sa->sin_port = htons(port);
        return sizeof *sa;
    }
    struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
    sa->sin6_family = AF_INET6;
    memcpy(&sa->sin6_addr, address, 16);
    sa->sin6_port = htons(port);
    return sizeof *sa;
}

cq_peer *cq_io_peer_by_address(coquic_x_io_t *io, const struct sockaddr_storage *ss) {
    uint8_t key[CQ_IO_KEY_MAX]; /* the main socket's peers (sock 0: no id byte) */
    size_t keylen = address_key(key, ss);
    return cq_map_get(&io->peers_by_addr, key, keylen);
}

static void free_held(coquic_x_io_t *io, cq_peer *p) {
    for (cq_held *h = p->held, *n; h; h = n) {
        n = h->next;
        io->held_bytes -= h->len;
        free(h);
    }
    p->held = p->held_tail = NULL;
    p->held_count = 0;
}

/* The peer for an address on socket `sock`, created (in `state`) on first sight; NULL when out
 * of memory. */
cq_peer *cq_io_peer_for(coquic_x_io_t *io, const struct sockaddr_storage *ss, socklen_t len, uint32_t sock,
                        cq_peer_state state) {
    uint8_t key[CQ_IO_KEY_MAX];
    size_t keylen = cq_io_peer_key(key, ss, sock);
    cq_peer *p = cq_map_get(&io->peers_by_addr, key, keylen);
    if (p) return p;
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->route = io->next_route++;
    p->sock = sock;
    memcpy(&p->addr, ss, len);
    p->addrlen = len;
    p->identity_len = (uint8_t)address_key(p->identity, ss);
    p->state = state;
    if (cq_map_put(&io->peers_by_addr, key, keylen, p) != 0) {
        free(p);
        return NULL;
    }
    if (cq_map_put_u64(&io->peers_by_route, p->route, p) != 0) {
        cq_map_remove(&io->peers_by_addr, key, keylen);
        free(p);
        return NULL;
    }
    return p;
}

/* Forgets a peer (its route goes). */
void cq_io_peer_drop(coquic_x_io_t *io, cq_peer *p) {
    uint8_t key[CQ_IO_KEY_MAX];
    size_t keylen = cq_io_peer_key(key, &p->addr, p->sock);
    cq_map_remove(&io->peers_by_addr, key, keylen);
    cq_map_remove_u64(&io->peers_by_route, p->route);
    free_held(io, p);
    free(p);
}

static void note_new_peer(coquic_x_io_t *io, cq_peer *p) {
    if (io->new_peer_count == io->new_peer_cap) {
        size_t cap = io->new_peer_cap ? io->new_peer_cap * 2 : 16;
        uint64_t *n = realloc(io->new_peers, cap * sizeof *n);
        if (!n) return;
        io->new_peers = n;
        io->new_peer_cap = cap;
    }
    io->new_peers[io->new_peer_count++] = p->route;
}

/* ---- lifetime ---------------------------------------------------------------------------------- */

static bool sockopt(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

static coquic_status_t open_socket(coquic_x_io_t *io, const struct sockaddr_storage *ss, socklen_t len,
                                   uint32_t flags) {
    io->family = ss->ss_family;
    io->fd = socket(io->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (io->fd < 0) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io: socket: %s", strerror(errno));
    if (io->family == AF_INET6) sockopt(io->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    /* Large buffers: a burst of a full congestion window must not be dropped (capped by
     * net.core.rmem_max / wmem_max). */
    sockopt(io->fd, SOL_SOCKET, SO_RCVBUF, 8 << 20);
    sockopt(io->fd, SOL_SOCKET, SO_SNDBUF, 8 << 20);
    if (bind(io->fd, (const struct sockaddr *)ss, len) != 0) {
        char text[INET6_ADDRSTRLEN] = "?";
        const void *a = io->family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                                              : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
        inet_ntop(io->family, a, text, sizeof text);
        uint16_t port = ntohs(io->family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                                    : ((const struct sockaddr_in6 *)ss)->sin6_port);
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io: bind %s port %u: %s%s", text, port, strerror(errno),
                       errno == EADDRINUSE ? " (address in use)" : "");
    }
    io->local_len = sizeof io->local;
    getsockname(io->fd, (struct sockaddr *)&io->local, &io->local_len);
    if (!(flags & COQUIC_X_IO_NO_GRO)) io->gro = sockopt(io->fd, SOL_UDP, UDP_GRO, 1);
    if (!(flags & COQUIC_X_IO_NO_GSO)) {
        int segment = 0;
        socklen_t l = sizeof segment;
        io->gso = getsockopt(io->fd, SOL_UDP, UDP_SEGMENT, &segment, &l) == 0;
    }
    if (!(flags & COQUIC_X_IO_NO_ECN))
        io->ecn = io->family == AF_INET ? sockopt(io->fd, IPPROTO_IP, IP_RECVTOS, 1)
                                        : sockopt(io->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    /* Don't fragment: QUIC sizes its packets itself (RFC 9000 §14). */
    if (io->family == AF_INET) sockopt(io->fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    else sockopt(io->fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
    cq_io_err_enable(io); /* ICMP unreachables reach us (io_err.c) */
    return COQUIC_STATUS_OK;
}

static coquic_status_t alloc_rx(coquic_x_io_t *io) {
    io->rx_slots = io->gro ? CQ_IO_RX_SLOTS_GRO : CQ_IO_RX_SLOTS_PLAIN;
    io->rx_slot_len = io->gro ? CQ_IO_RX_SLOT_GRO : CQ_IO_RX_SLOT_PLAIN;
    io->rx_buf_len = io->rx_slots * io->rx_slot_len;
    /* mmap: pages are only populated as datagrams land in them (an idle client stays small) */
    void *buf = mmap(NULL, io->rx_buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    io->rx_msgs = calloc(io->rx_slots, sizeof *io->rx_msgs);
    io->rx_iov = calloc(io->rx_slots, sizeof *io->rx_iov);
    io->rx_addr = calloc(io->rx_slots, sizeof *io->rx_addr);
    io->rx_ctrl = calloc(io->rx_slots, 64);
    if (buf == MAP_FAILED || !io->rx_msgs || !io->rx_iov || !io->rx_addr || !io->rx_ctrl) {
        if (buf != MAP_FAILED) munmap(buf, io->rx_buf_len);
        return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "io: receive buffers");
    }
    io->rx_buf = buf;
    for (size_t i = 0; i < io->rx_slots; i++) {
        io->rx_iov[i].iov_base = io->rx_buf + i * io->rx_slot_len;
        io->rx_iov[i].iov_len = io->rx_slot_len;
    }
    return COQUIC_STATUS_OK;
}

static void io_free(coquic_x_io_t *io) {
    cq_io_tx_free(io);
    for (size_t i = 0; i < io->peers_by_route.capacity; i++) {
        cq_map_slot *s = &io->peers_by_route.slots[i];
        if (!s->used) continue;
        free_held(io, s->value);
        free(s->value);
    }
    cq_map_free(&io->peers_by_route);
    cq_map_free(&io->peers_by_addr);
    free(io->new_peers);
    if (io->rx_buf) munmap(io->rx_buf, io->rx_buf_len);
    free(io->rx_msgs);
    free(io->rx_iov);
    free(io->rx_addr);
    free(io->rx_ctrl);
    cq_io_paths_free(io);
    if (io->fd >= 0) close(io->fd);
    if (io->efd >= 0) close(io->efd);
    pthread_cond_destroy(&io->cv);
    pthread_mutex_destroy(&io->mu);
    free(io);
}

COQUIC_FFI_API coquic_status_t coquic_x_io_bind(coquic_endpoint_t *endpoint, const uint8_t *address,
                                                size_t address_length, uint16_t port, uint32_t flags,
                                                coquic_x_io_t **out_io) {
    cq_clear_error();
    if (out_io) *out_io = NULL;
    if (!endpoint || !out_io || !address || (address_length != 4 && address_length != 16))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind: NULL endpoint or output, or an address that is "
                                                       "neither 4 nor 16 bytes");
    if (endpoint->io) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_bind: the endpoint has a native socket already");
    coquic_x_io_t *io = calloc(1, sizeof *io);
    if (!io) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "io: allocating");
    io->fd = io->efd = -1;
    atomic_init(&io->xfd, -1);
    if (cq_io_wait_init(io) != 0) {
        free(io);
        return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "io: mutex");
    }
    struct sockaddr_storage ss;
    socklen_t len = make_sockaddr(&ss, address, address_length, port);
    coquic_status_t st = open_socket(io, &ss, len, flags);
    if (st == COQUIC_STATUS_OK) st = alloc_rx(io);
    if (st == COQUIC_STATUS_OK && (io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io: eventfd: %s", strerror(errno));
    if (st != COQUIC_STATUS_OK) {
        io_free(io);
        return st;
    }
    io->next_route = 1;
    io->prune_at = CQ_IO_PRUNE_MIN;
    io->stats.size = sizeof io->stats;
    io->stats.gso = io->gso;
    io->stats.gro = io->gro;
    io->stats.ecn = io->ecn;
    io->ep = endpoint;
    endpoint->io = io;
    *out_io = io;
    return COQUIC_STATUS_OK;
}

static void detach(coquic_x_io_t *io) {
    if (!io->ep) return;
    cq_io_tx_flush(io); /* last words (CONNECTION_CLOSE) go out if the socket takes them */
    io->ep->io = NULL;
    io->ep = NULL;
}

COQUIC_FFI_API void coquic_x_io_close(coquic_x_io_t *io) {
    if (!io) return;
    coquic_x_io_hub_remove(io->hub, io);
    cq_io_wait_stop(io);
    detach(io);
}

COQUIC_FFI_API void coquic_x_io_destroy(coquic_x_io_t *io) {
    if (!io) return;
    coquic_x_io_close(io);
    io_free(io);
}

void cq_io_endpoint_gone(coquic_x_io_t *io) {
    io->ep = NULL; /* its queued datagrams are owned copies (every call detaches) and still go out */
}

bool cq_io_blocked(coquic_x_io_t *io) { return atomic_load(&io->want_write); }

void cq_io_after_call(coquic_x_io_t *io, coquic_result_t *result) {
    cq_io_tx_collect(io, result);
    cq_io_tx_flush(io);
    cq_io_tx_detach(io); /* the result is about to be handed back: keep nothing pointing into it */
    io->scan_from = 0;
    cq_io_hub_sync(io);
}

/* ---- addresses ------------------------------------------------------------------------------- */

static uint8_t write_address(const struct sockaddr_storage *ss, uint8_t *out, uint16_t *port) {
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
        if (out) memcpy(out, &sa->sin_addr, 4);
        if (port) *port = ntohs(sa->sin_port);
        return 4;
    }
    const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
    if (out) memcpy(out, &sa->sin6_addr, 16);
    if (port) *port = ntohs(sa->sin6_port);
    return 6;
}

COQUIC_FFI_API uint8_t coquic_x_io_local_address(const coquic_x_io_t *io, uint8_t *out_address, uint16_t *out_port) {
    return io ? write_address(&io->local, out_address, out_port) : 0;
}

COQUIC_FFI_API uint64_t coquic_x_io_route(coquic_x_io_t *io, const uint8_t *address, size_t address_length,
                                          uint16_t port) {
    if (!io || !address || address_length != (io->family == AF_INET ? 4u : 16u)) return COQUIC_X_NO_ROUTE;
    struct sockaddr_storage ss;
    socklen_t len = make_sockaddr(&ss, address, address_length, port);
    cq_peer *p = cq_io_peer_for(io, &ss, len, 0, CQ_PEER_ADMITTED);
    if (p) p->pinned = true;
    return p ? p->route : COQUIC_X_NO_ROUTE;
}

COQUIC_FFI_API uint8_t coquic_x_io_route_address(const coquic_x_io_t *io, uint64_t route, uint8_t *out_address,
                                                 uint16_t *out_port) {
    const cq_peer *p = io ? cq_map_get_u64(&io->peers_by_route, route) : NULL;
    return p ? write_address(&p->addr, out_address, out_port) : 0;
}

COQUIC_FFI_API uint64_t coquic_x_io_connection_route(const coquic_x_io_t *io,
                                                     coquic_connection_handle_t connection) {
    const cq_conn *c = io && io->ep ? cq_endpoint_find_conn(io->ep, connection) : NULL;
    return c ? c->current_route : COQUIC_X_NO_ROUTE;
}

/* ---- receiving ------------------------------------------------------------------------------- */

static coquic_ecn_codepoint_t ecn_of_tos(coquic_x_io_t *io, uint8_t tos) {
    switch (tos & 3) {
    case 2: io->stats.recv_ecn_ect0++; return COQUIC_ECN_ECT0;
    case 1: io->stats.recv_ecn_ect1++; return COQUIC_ECN_ECT1;
    case 3: io->stats.recv_ecn_ce++; return COQUIC_ECN_CE;
    default: return COQUIC_ECN_NOT_ECT;
    }
}

static void hold(coquic_x_io_t *io, cq_peer *p, const uint8_t *data, size_t len, uint8_t ecn) {
    /* beyond the bounds the datagram is dropped: the peer retransmits */
    if (p->held_count >= CQ_IO_HELD_PER_PEER || io->held_bytes + len > CQ_IO_HELD_BYTES) return;
    cq_held *h = malloc(sizeof *h + len);
    if (!h) return;
    h->next = NULL;
    h->len = len;
    h->ecn = ecn;
    memcpy(h->data, data, len);
    if (p->held_tail) p->held_tail->next = h;
    else p->held = h;
    p->held_tail = h;
    p->held_count++;
    io->held_bytes += len;
}

/* Whether a datagram from a new address can open a connection: an Initial (long header,
 * fixed bit, a version the endpoint is configured for with that version's Initial type, IDs of
 * at most 20 bytes) of at least 1,200 bytes. With the gate on, nothing else from a new address
 * makes a peer or an offer (quic/initial_check.ts applies the same rule to runtime sockets). */
static bool opens_connection(const coquic_endpoint_t *ep, const uint8_t *d, size_t len) {
    if (len < 1200 || (d[0] & 0xc0) != 0xc0) return false;
    uint32_t version = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
    unsigned type = (d[0] & 0x30) >> 4; /* Initial: 0 in v1, 1 in v2 (RFC 9369 §3.2) */
    if (!((version == NGTCP2_PROTO_VER_V1 && type == 0) || (version == NGTCP2_PROTO_VER_V2 && type == 1))) return false;
    if (!cq_config_has_version(&ep->config, version)) return false;
    size_t dcid = d[5];
    if (dcid > 20 || 6 + dcid >= len) return false;
    size_t scid = d[6 + dcid];
    return scid <= 20 && 7 + dcid + scid < len;
}

static void feed(coquic_x_io_t *io, uint32_t sock, const struct sockaddr_storage *from, socklen_t fromlen,
                 const uint8_t *data, size_t len, uint8_t tos) {
    io->stats.recv_datagrams++;
    io->stats.recv_bytes += len;
    coquic_ecn_codepoint_t ecn = io->ecn ? ecn_of_tos(io, tos) : COQUIC_ECN_UNAVAILABLE;
    uint8_t key[CQ_IO_KEY_MAX];
    size_t keylen = cq_io_peer_key(key, from, sock);
    cq_peer *p = cq_map_get(&io->peers_by_addr, key, keylen);
    if (!p) {
        if (io->gate && !opens_connection(io->ep, data, len)) return; /* garbage: no peer, no offer */
        if (io->gate && io->undecided >= CQ_IO_HELD_PEERS) return; /* too many undecided peers */
        p = cq_io_peer_for(io, from, fromlen, sock, io->gate ? CQ_PEER_UNDECIDED : CQ_PEER_ADMITTED);
        if (!p) return;
        if (p->state == CQ_PEER_UNDECIDED) {
            io->undecided++;
            note_new_peer(io, p);
        }
    }
    if (p->state == CQ_PEER_IGNORED) return;
    if (p->state == CQ_PEER_UNDECIDED) {
        hold(io, p, data, len, ecn);
        return;
    }
    cq_endpoint_input(io->ep, data, len, p->route, ecn, p->identity, p->identity_len);
}

/* One message: its control messages say the GRO segment size and the ECN bits. */
static void feed_message(coquic_x_io_t *io, uint32_t sock, size_t slot) {
    struct msghdr *h = &io->rx_msgs[slot].msg_hdr;
    size_t len = io->rx_msgs[slot].msg_len;
    if (h->msg_flags & MSG_TRUNC) return;
    int segment = 0;
    uint8_t tos = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
        if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) memcpy(&segment, CMSG_DATA(cm), sizeof segment);
        else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS) tos = *(const uint8_t *)CMSG_DATA(cm);
        else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS) {
            int v;
            memcpy(&v, CMSG_DATA(cm), sizeof v);
            tos = (uint8_t)v;
        }
    }
    io->stats.recv_messages++;
    const uint8_t *data = io->rx_iov[slot].iov_base;
    size_t step = segment > 0 ? (size_t)segment : len;
    for (size_t at = 0; at < len; at += step) {
        size_t n = len - at < step ? len - at : step;
        feed(io, sock, &io->rx_addr[slot], h->msg_namelen, data + at, n, tos);
    }
}

/* Receives and feeds from one socket until it is empty or the budget is spent. */
void cq_io_receive_socket(coquic_x_io_t *io, int fd, uint32_t sock, size_t *budget_left) {
    size_t budget = *budget_left;
    int errors = 0;
    while (budget > 0) {
        for (size_t i = 0; i < io->rx_slots; i++) {
            struct msghdr *h = &io->rx_msgs[i].msg_hdr;
            h->msg_name = &io->rx_addr[i];
            h->msg_namelen = sizeof io->rx_addr[i];
            h->msg_iov = &io->rx_iov[i];
            h->msg_iovlen = 1;
            h->msg_control = io->rx_ctrl + i * 64;
            h->msg_controllen = 64;
            h->msg_flags = 0;
        }
        int n = recvmmsg(fd, io->rx_msgs, (unsigned)io->rx_slots, MSG_DONTWAIT, NULL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errors++ < 4) {
            io->err_pending = true; /* an ICMP error, reported once (its details are queued): read on */
            continue;
        }
        if (n <= 0) break; /* EAGAIN: empty */
        io->stats.recv_syscalls++;
        size_t before = io->stats.recv_datagrams;
        for (int i = 0; i < n; i++) feed_message(io, sock, (size_t)i);
        size_t got = io->stats.recv_datagrams - before;
        budget = got >= budget ? 0 : budget - got;
        if ((size_t)n < io->rx_slots) break; /* drained (a wait will say if more came) */
    }
    *budget_left = budget;
}

/* Receives and feeds from every socket (a migrating client's new ones first, io_paths.c). */
static void receive_all(coquic_x_io_t *io) {
    size_t budget = CQ_IO_RX_BUDGET;
    io->ep->batching = true;
    cq_io_paths_receive(io, &budget);
    cq_io_receive_socket(io, io->fd, 0, &budget);
    io->ep->batching = false;
    /* The kernel reports a queued ICMP error once, on the next receive or send (sk_err), so
     * err_pending is set whenever the error queue has something (and EPOLLERR wakes the pump). */
    if (io->err_pending) cq_io_err_drain(io);
}

/* ---- pruning ---------------------------------------------------------------------------------- */

/*
 * A peer is made for every address a datagram came from, so a server meeting many clients
 * (or a spray of forged addresses) would keep them all. Once the table reaches prune_at,
 * peers that no connection currently uses, that hold nothing and that were not handed out
 * by coquic_x_io_route are dropped; a later datagram from one of them makes a new route.
 */
static void prune_peers(coquic_x_io_t *io) {
    size_t n = io->peers_by_route.count;
    if (n < io->prune_at || !io->ep) return;
    cq_map used = {0};
    uint64_t *victims = malloc(n * sizeof *victims);
    bool ok = victims != NULL;
    for (cq_conn *c = io->ep->conn_head; ok && c; c = c->next)
        ok = cq_map_put_u64(&used, c->current_route, c) == 0;
    /* datagrams still queued for the socket point at their peers */
    for (size_t i = io->tx_head; ok && i < io->tx_count; i++) ok = cq_map_put_u64(&used, io->tx[i].peer->route, io) == 0;
    size_t v = 0;
    for (size_t i = 0; ok && i < io->peers_by_route.capacity; i++) {
        const cq_map_slot *s = &io->peers_by_route.slots[i];
        if (!s->used) continue;
        const cq_peer *p = s->value;
        if (!p->pinned && !p->held && p->state != CQ_PEER_UNDECIDED && !cq_map_get_u64(&used, p->route))
            victims[v++] = p->route;
    }
    for (size_t i = 0; i < v; i++) cq_io_peer_drop(io, cq_map_get_u64(&io->peers_by_route, victims[i]));
    cq_map_free(&used);
    free(victims);
    /* out of memory: try again later; otherwise next when the table has doubled */
    size_t left = io->peers_by_route.count;
    io->prune_at = left * 2 > CQ_IO_PRUNE_MIN ? left * 2 : CQ_IO_PRUNE_MIN;
}

/* ---- the pump -------------------------------------------------------------------------------- */

#define CQ_IO_CONTINUATION_ROUNDS 16

COQUIC_FFI_API coquic_status_t coquic_x_io_pump(coquic_x_io_t *io, coquic_time_us_t now,
                                                coquic_result_t **out_result) {
    if (out_result) *out_result = NULL;
    cq_clear_error();
    if (!io || !io->ep) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_pump: NULL or closed io");
    coquic_endpoint_t *ep = io->ep;
    coquic_status_t st = cq_call_begin(ep, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    io->scan_from = 0;
    cq_io_tx_flush(io); /* what waited for writability goes first */
    receive_all(io);
    /* Each connection that read something is drained once, now, so its ACKs and answers
     * cover the whole batch; due timers run too. Then long bursts continue while the socket
     * takes them (each drain stops at 256 datagrams per connection). */
    for (int round = 0; round < CQ_IO_CONTINUATION_ROUNDS; round++) {
        cq_endpoint_on_timer(ep);
        cq_io_tx_collect(io, ep->result);
        cq_io_tx_flush(io);
        cq_endpoint_settle(ep); /* the expiry heap and counters see this round's drains */
        bool continuation;
        cq_endpoint_expiry_ns(ep, &continuation);
        if (!continuation || atomic_load(&io->want_write)) break;
    }
    prune_peers(io);
    return cq_call_finish(ep, st, out_result);
}

/* ---- the gate ---------------------------------------------------------------------------------- */

COQUIC_FFI_API void coquic_x_io_set_gate(coquic_x_io_t *io, uint8_t enabled) {
    if (io) io->gate = enabled != 0;
}

COQUIC_FFI_API size_t coquic_x_io_take_new_peers(coquic_x_io_t *io, uint64_t *out_routes, size_t capacity) {
    if (!io || !out_routes) return 0;
    size_t n = io->new_peer_count < capacity ? io->new_peer_count : capacity;
    memcpy(out_routes, io->new_peers, n * sizeof *out_routes);
    memmove(io->new_peers, io->new_peers + n, (io->new_peer_count - n) * sizeof *io->new_peers);
    io->new_peer_count -= n;
    return n;
}

static cq_peer *undecided_peer(coquic_x_io_t *io, uint64_t route) {
    cq_peer *p = cq_map_get_u64(&io->peers_by_route, route);
    if (!p || p->state != CQ_PEER_UNDECIDED) return NULL;
    io->undecided--;
    return p;
}

COQUIC_FFI_API coquic_status_t coquic_x_io_admit(coquic_x_io_t *io, uint64_t route, coquic_time_us_t now,
                                                 coquic_result_t **out_result) {
    if (out_result) *out_result = NULL;
    cq_clear_error();
    if (!io || !io->ep) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_admit: NULL or closed io");
    coquic_status_t st = cq_call_begin(io->ep, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    cq_peer *p = undecided_peer(io, route);
    if (p) {
        p->state = CQ_PEER_ADMITTED;
        for (cq_held *h = p->held; h; h = h->next)
            cq_endpoint_input(io->ep, h->data, h->len, p->route, h->ecn, p->identity, p->identity_len);
        free_held(io, p);
    }
    return cq_call_finish(io->ep, st, out_result);
}

COQUIC_FFI_API void coquic_x_io_ignore(coquic_x_io_t *io, uint64_t route) {
    cq_peer *p = io ? undecided_peer(io, route) : NULL;
    if (!p) {
        p = io ? cq_map_get_u64(&io->peers_by_route, route) : NULL;
        if (!p) return;
    }
    p->state = CQ_PEER_IGNORED;
    free_held(io, p);
}

COQUIC_FFI_API coquic_status_t coquic_x_io_stats(const coquic_x_io_t *io, coquic_x_io_stats_t *out_stats) {
    cq_clear_error();
    if (!io || !out_stats) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_stats: NULL io or output");
    if (out_stats->size < sizeof *out_stats)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_stats: size %zu below %zu", out_stats->size,
                       sizeof *out_stats);
    *out_stats = io->stats;
    out_stats->queued = io->tx_count - io->tx_head;
    out_stats->peers = io->peers_by_route.count;
    out_stats->gso = io->gso;
    return COQUIC_STATUS_OK;
}
