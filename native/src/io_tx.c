/*
 * Native I/O, sending: the SEND_DATAGRAM effects of a call become a queue of datagrams that
 * point into the result's arena (no copy), sent with sendmmsg. Consecutive datagrams to one
 * peer with one ECN codepoint and one size (the last of a run may be shorter) travel as one
 * UDP_SEGMENT (GSO) message, as ngtcp2's examples do with their aggregate writes. When the
 * socket would block, the datagrams still queued are copied out of the arena at the end of
 * the call (the result is about to be handed back) and the next wait waits for POLLOUT.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

static uint8_t tos_of_ecn(coquic_ecn_codepoint_t ecn) {
    switch (ecn) {
    case COQUIC_ECN_ECT0: return 2;
    case COQUIC_ECN_ECT1: return 1;
    case COQUIC_ECN_CE: return 3;
    default: return 0;
    }
}

static bool tx_reserve(coquic_x_io_t *io) {
    if (io->tx_count < io->tx_cap) return true;
    if (io->tx_head > 0) { /* reuse the sent prefix */
        memmove(io->tx, io->tx + io->tx_head, (io->tx_count - io->tx_head) * sizeof *io->tx);
        io->tx_count -= io->tx_head;
        io->tx_head = 0;
        return true;
    }
    size_t cap = io->tx_cap ? io->tx_cap * 2 : 1024;
    cq_tx_item *n = realloc(io->tx, cap * sizeof *n);
    if (!n) return false;
    io->tx = n;
    io->tx_cap = cap;
    return true;
}

void cq_io_tx_collect(coquic_x_io_t *io, coquic_result_t *r) {
    size_t kept = io->scan_from;
    for (size_t i = io->scan_from; i < r->effect_count; i++) {
        const coquic_effect_t *e = &r->effects[i];
        if (e->kind != COQUIC_EFFECT_SEND_DATAGRAM) {
            if (kept != i) r->effects[kept] = *e;
            kept++;
            continue;
        }
        const coquic_send_datagram_effect_t *d = &e->as.send_datagram;
        cq_peer *peer = d->route_handle.has_value ? cq_map_get_u64(&io->peers_by_route, d->route_handle.value) : NULL;
        if (!peer || d->bytes.length == 0) {
            io->stats.dropped_no_route++;
            continue;
        }
        if (!tx_reserve(io)) {
            io->stats.send_errors++; /* out of memory: the datagram is lost, QUIC retransmits */
            continue;
        }
        io->tx[io->tx_count++] = (cq_tx_item){d->bytes.data, (uint32_t)d->bytes.length,
                                              io->ecn ? tos_of_ecn(d->ecn) : 0, 0, d->is_pmtu_probe != 0, peer};
    }
    r->effect_count = kept;
    io->scan_from = kept;
}

/* Fills one message from the queue at `i`; returns how many datagrams it carries. */
static size_t build_message(coquic_x_io_t *io, size_t i, size_t m, size_t iov_at) {
    const cq_tx_item *first = &io->tx[i];
    size_t n = 1, bytes = first->len;
    while (io->gso && !first->probe && i + n < io->tx_count && n < CQ_IO_GSO_SEGMENTS) {
        const cq_tx_item *next = &io->tx[i + n];
        if (next->peer != first->peer || next->tos != first->tos || next->len > first->len || next->probe ||
            bytes + next->len > CQ_IO_GSO_BYTES)
            break;
        bytes += next->len;
        n++;
        if (next->len < first->len) break; /* only the last segment may be shorter */
    }
    struct msghdr *h = &io->tx_msgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = (void *)&first->peer->addr;
    h->msg_namelen = first->peer->addrlen;
    h->msg_iov = &io->tx_iov[iov_at];
    h->msg_iovlen = n;
    for (size_t k = 0; k < n; k++) {
        io->tx_iov[iov_at + k].iov_base = (void *)io->tx[i + k].data;
        io->tx_iov[iov_at + k].iov_len = io->tx[i + k].len;
    }
    h->msg_control = io->tx_ctrl[m];
    h->msg_controllen = sizeof io->tx_ctrl[m];
    size_t used = 0;
    struct cmsghdr *cm = CMSG_FIRSTHDR(h);
    if (n > 1) {
        uint16_t segment = (uint16_t)first->len;
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof segment);
        memcpy(CMSG_DATA(cm), &segment, sizeof segment);
        used += CMSG_SPACE(sizeof segment);
        cm = CMSG_NXTHDR(h, cm);
    }
    if (first->tos) {
        int tos = first->tos;
        cm->cmsg_level = io->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
        cm->cmsg_type = io->family == AF_INET6 ? IPV6_TCLASS : IP_TOS;
        cm->cmsg_len = CMSG_LEN(sizeof tos);
        memcpy(CMSG_DATA(cm), &tos, sizeof tos);
        used += CMSG_SPACE(sizeof tos);
    }
    h->msg_controllen = used;
    if (!used) h->msg_control = NULL;
    return n;
}

static void free_blocks(coquic_x_io_t *io) {
    for (cq_tx_block *b = io->tx_blocks, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    io->tx_blocks = NULL;
}

void cq_io_tx_flush(coquic_x_io_t *io) {
    size_t per_message[CQ_IO_TX_MSGS];
    while (io->tx_head < io->tx_count) {
        size_t m = 0, iov_at = 0, i = io->tx_head;
        /* one sendmmsg per socket: a migrating client's datagrams may leave from another one */
        uint32_t sock = io->tx[i].peer->sock;
        int fd = sock == 0 ? io->fd : cq_io_sock_fd(io, sock);
        if (fd < 0) { /* its socket was closed (io_paths.c): nowhere to send from */
            io->stats.dropped_no_route++;
            io->tx_head++;
            continue;
        }
        while (m < CQ_IO_TX_MSGS && i < io->tx_count && io->tx[i].peer->sock == sock) {
            size_t n = build_message(io, i, m, iov_at);
            per_message[m++] = n;
            iov_at += n;
            i += n;
        }
        int sent = sendmmsg(fd, io->tx_msgs, (unsigned)m, 0);
        if (sent < 0) {
            if (errno == EINTR) continue;
            /* (another socket being full also waits: waits then see the first one writable and
             * come straight back, a short busy spell; their sends are rare, mostly ACKs) */
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                io->stats.send_would_block++;
                atomic_store(&io->want_write, true);
                return;
            }
            if (errno == EIO && io->gso && per_message[0] > 1) { /* no GSO on this path: send singly */
                io->gso = false;
                io->stats.gso = 0;
                continue;
            }
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN) {
                io->err_pending = true; /* an earlier datagram's ICMP error (io_err.c), not this one's */
                continue;
            }
            /* a probe above the path MTU: the answer DPLPMTUD asked for (ngtcp2 counts it lost) */
            bool probe_too_big = errno == EMSGSIZE && io->tx[io->tx_head].probe;
            if (!probe_too_big) io->stats.send_errors += per_message[0]; /* too big, no route, ...: QUIC copes */
            io->tx_head += per_message[0];
            continue;
        }
        io->stats.send_syscalls++;
        for (int k = 0; k < sent; k++) {
            io->stats.send_messages++;
            io->stats.send_datagrams += per_message[k];
            for (size_t j = 0; j < per_message[k]; j++) {
                const cq_tx_item *t = &io->tx[io->tx_head + j];
                io->stats.send_bytes += t->len;
                io->stats.send_ecn_marked += t->tos != 0;
            }
            io->tx_head += per_message[k];
        }
    }
    io->tx_head = io->tx_count = 0;
    free_blocks(io);
    atomic_store(&io->want_write, false);
}

void cq_io_tx_detach(coquic_x_io_t *io) {
    size_t need = 0;
    for (size_t i = io->tx_head; i < io->tx_count; i++)
        if (!io->tx[i].owned) need += io->tx[i].len;
    if (need == 0) return;
    cq_tx_block *b = malloc(sizeof *b + need);
    if (!b) { /* out of memory: drop what cannot be kept, QUIC retransmits */
        io->stats.send_errors += io->tx_count - io->tx_head;
        io->tx_head = io->tx_count = 0;
        free_blocks(io);
        atomic_store(&io->want_write, false);
        return;
    }
    b->next = io->tx_blocks;
    io->tx_blocks = b;
    uint8_t *at = b->data;
    for (size_t i = io->tx_head; i < io->tx_count; i++) {
        cq_tx_item *t = &io->tx[i];
        if (t->owned) continue;
        memcpy(at, t->data, t->len);
        t->data = at;
        t->owned = 1;
        at += t->len;
    }
}

void cq_io_tx_free(coquic_x_io_t *io) {
    free(io->tx);
    io->tx = NULL;
    io->tx_head = io->tx_count = io->tx_cap = 0;
    free_blocks(io);
}
