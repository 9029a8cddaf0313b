/*
 * Native I/O, ICMP errors: the socket is bound with IP_RECVERR / IPV6_RECVERR, so an ICMP
 * unreachable answering one of our datagrams is queued on the socket's error queue with the
 * destination it answered (an unconnected UDP socket reports nothing otherwise). The pump
 * drains that queue and keeps the routes of destinations that refused (port, host or network
 * unreachable); coquic_x_io_take_unreachable hands them to the binding, which decides what
 * they end (a handshake in flight to that address: RFC 9000 §14.2.1 asks for care with ICMP,
 * so an established connection is left to its own timers). JavaScript thread only.
 */
#include <errno.h>
#include <time.h> /* struct timespec, for linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>

#include "io.h"

#define CQ_IO_ERR_DRAIN 64 /* error-queue messages read per pump at most */

void cq_io_err_enable(coquic_x_io_t *io) {
    int one = 1;
    if (io->family == AF_INET) setsockopt(io->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    else setsockopt(io->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
}

static bool unreachable_errno(uint32_t e) {
    return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

static void note(coquic_x_io_t *io, uint64_t route, int32_t err) {
    for (size_t i = 0; i < io->unreachable_count; i++)
        if (io->unreachable[i].route == route) return; /* one report per route until taken */
    if (io->unreachable_count == CQ_IO_UNREACHABLE_MAX) return;
    io->unreachable[io->unreachable_count].route = route;
    io->unreachable[io->unreachable_count].err = err;
    io->unreachable_count++;
}

void cq_io_err_drain(coquic_x_io_t *io) {
    io->err_pending = false;
    for (int k = 0; k < CQ_IO_ERR_DRAIN; k++) {
        struct sockaddr_storage to;
        uint8_t payload[64]; /* the start of our datagram (unused, but recvmsg wants room) */
        uint8_t ctrl[512];
        struct iovec iov = {payload, sizeof payload};
        struct msghdr h = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctrl, .msg_controllen = sizeof ctrl};
        ssize_t n = recvmsg(io->fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            return; /* EAGAIN: the queue is empty */
        }
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&h); cm; cm = CMSG_NXTHDR(&h, cm)) {
            bool v4 = cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR;
            bool v6 = cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6) continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(cm), sizeof ee);
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
            if (!unreachable_errno(ee.ee_errno)) continue; /* e.g. EMSGSIZE: path MTU, not refusal */
            cq_peer *p = cq_io_peer_by_address(io, &to);
            if (p) note(io, p->route, (int32_t)ee.ee_errno);
        }
    }
    io->err_pending = true; /* more than one pump's worth: go on next time */
}

COQUIC_FFI_API size_t coquic_x_io_take_unreachable(coquic_x_io_t *io, uint64_t *out_routes, int32_t *out_errnos,
                                                   size_t capacity) {
    if (!io || !out_routes || !out_errnos) return 0;
    size_t n = io->unreachable_count < capacity ? io->unreachable_count : capacity;
    for (size_t i = 0; i < n; i++) {
        out_routes[i] = io->unreachable[i].route;
        out_errnos[i] = io->unreachable[i].err;
    }
    memmove(io->unreachable, io->unreachable + n, (io->unreachable_count - n) * sizeof *io->unreachable);
    io->unreachable_count -= n;
    return n;
}
