/* The native I/O extension's private state (io.c, io_tx.c, io_wait.c). Nothing here is ABI. */
#ifndef COQUIC_IO_H
#define COQUIC_IO_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "internal.h"

#define CQ_IO_RX_SLOTS_GRO 16     /* recvmmsg messages per call with GRO (64 KiB each) */
#define CQ_IO_RX_SLOTS_PLAIN 64   /* ... without GRO (one datagram each) */
#define CQ_IO_RX_SLOT_GRO 65536
#define CQ_IO_RX_SLOT_PLAIN 2048
#define CQ_IO_RX_BUDGET 4096      /* datagrams per pump: the event loop gets a turn after that */
#define CQ_IO_TX_MSGS 64          /* messages per sendmmsg */
#define CQ_IO_GSO_SEGMENTS 64     /* datagrams per GSO message (the kernel's UDP_MAX_SEGMENTS) */
#define CQ_IO_GSO_BYTES 65000     /* payload bytes per GSO message (an IP packet is at most 64 KiB) */
#define CQ_IO_HELD_PER_PEER 32    /* gate: datagrams held per undecided peer */
#define CQ_IO_HELD_PEERS 1024     /* gate: undecided peers held at most */
#define CQ_IO_HELD_BYTES (4u << 20) /* gate: bytes held for all undecided peers together */
#define CQ_IO_PRUNE_MIN 4096      /* peers kept before idle ones are pruned */
#define CQ_IO_UNREACHABLE_MAX 64  /* ICMP-refused routes kept until taken */

typedef enum cq_peer_state { CQ_PEER_ADMITTED = 0, CQ_PEER_UNDECIDED, CQ_PEER_IGNORED } cq_peer_state;

typedef struct cq_held {
    struct cq_held *next;
    size_t len;
    uint8_t ecn;
    uint8_t data[];
} cq_held;

#define CQ_IO_EXTRA_SOCKETS 4   /* sockets besides the first (client migration, io_paths.c) */
#define CQ_IO_KEY_MAX 20          /* peer table key: the address identity, then a socket id byte */

/* A socket besides the first: bound for a client's migration (io_paths.c). */
typedef struct cq_io_sock {
    int fd;
    uint32_t id; /* peers name their socket by id (1..255, reused once closed): 0 is the first */
    struct sockaddr_storage local;
    socklen_t local_len;
} cq_io_sock;

/* One peer address on one socket = one route handle, for the life of the io. */
typedef struct cq_peer {
    uint64_t route;
    uint32_t sock; /* the socket it is reached from: 0 the first, else a cq_io_sock id */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint8_t identity[19]; /* address-validation identity: 0x04 a b c d port / 0x06 addr16 port */
    uint8_t identity_len;
    cq_peer_state state;
    bool pinned; /* handed out by coquic_x_io_route: never pruned */
    cq_held *held, *held_tail;
    size_t held_count;
} cq_peer;

/* An outbound datagram waiting for sendmmsg: bytes in a result's arena, or in an owned block. */
typedef struct cq_tx_item {
    const uint8_t *data;
    uint32_t len;
    uint8_t tos;   /* ECN bits for the IP header */
    uint8_t owned; /* copied out of the arena (the socket was not writable at the end of a call) */
    uint8_t probe; /* a DPLPMTUD probe: sent alone, and EMSGSIZE for it is expected */
    cq_peer *peer;
} cq_tx_item;

typedef struct cq_tx_block {
    struct cq_tx_block *next;
    uint8_t data[];
} cq_tx_block;

struct coquic_x_io {
    coquic_endpoint_t *ep; /* NULL once closed or the endpoint is gone */
    int fd;                /* the UDP socket */
    int efd;               /* eventfd: interrupts and close */
    int family;            /* AF_INET or AF_INET6 */
    struct sockaddr_storage local;
    socklen_t local_len;
    bool gso, gro, ecn;
    bool gate;

    cq_map peers_by_addr;  /* family + address + port -> cq_peer */
    cq_map peers_by_route; /* route -> cq_peer */
    uint64_t next_route;
    size_t prune_at;       /* prune idle peers once the table holds this many */
    uint64_t *new_peers;   /* gate: routes first seen since take_new_peers */
    size_t new_peer_count, new_peer_cap, undecided;
    size_t held_bytes; /* datagram bytes held for undecided peers (at most CQ_IO_HELD_BYTES) */

    /* receive */
    uint8_t *rx_buf;
    size_t rx_buf_len, rx_slots, rx_slot_len;
    struct mmsghdr *rx_msgs;
    struct iovec *rx_iov;
    struct sockaddr_storage *rx_addr;
    uint8_t *rx_ctrl;

    /* send */
    cq_tx_item *tx;
    size_t tx_head, tx_count, tx_cap;
    cq_tx_block *tx_blocks;
    struct mmsghdr tx_msgs[CQ_IO_TX_MSGS];
    struct iovec tx_iov[CQ_IO_TX_MSGS * CQ_IO_GSO_SEGMENTS];
    uint8_t tx_ctrl[CQ_IO_TX_MSGS][64];
    size_t scan_from; /* effects of the result being built already looked at */

    /* waiting (io_wait.c); these are all another thread ever touches */
    atomic_bool want_write; /* datagrams are queued: waits also wait for POLLOUT */
    atomic_bool closed;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool armed, stop;
    int64_t armed_timeout_us;
    coquic_x_io_ready_fn ready_fn;
    uint32_t ready_token;

    coquic_x_io_stats_t stats;

    /* io_paths.c: more sockets (client migration); waits poll them through xfd, an epoll set
     * made with the first of them (-1 before), then kept until the io is freed */
    cq_io_sock extra[CQ_IO_EXTRA_SOCKETS];
    size_t extra_count;
    atomic_int xfd;
    /* io_err.c: ICMP unreachables from the error queue, by route, until taken */
    struct { uint64_t route; int32_t err; } unreachable[CQ_IO_UNREACHABLE_MAX];
    size_t unreachable_count;
    bool err_pending; /* a call reported an ICMP error: drain the error queue */

    struct coquic_x_io_hub *hub; /* io_hub.c: the hub polling this io, if any */
    bool hub_out;                /* registered there with EPOLLOUT too */
    uint32_t hub_token;
};

/* io_hub.c: keeps the hub's interest in POLLOUT in step with want_write (JS thread). */
void cq_io_hub_sync(coquic_x_io_t *io);

/* io.c: peers and receiving, shared with io_paths.c */
size_t cq_io_peer_key(uint8_t key[CQ_IO_KEY_MAX], const struct sockaddr_storage *ss, uint32_t sock);
cq_peer *cq_io_peer_for(coquic_x_io_t *io, const struct sockaddr_storage *ss, socklen_t len, uint32_t sock,
                        cq_peer_state state);
void cq_io_peer_drop(coquic_x_io_t *io, cq_peer *p);
void cq_io_receive_socket(coquic_x_io_t *io, int fd, uint32_t sock, size_t *budget);

/* io_paths.c */
int cq_io_sock_fd(const coquic_x_io_t *io, uint32_t sock); /* -1: closed */
void cq_io_paths_receive(coquic_x_io_t *io, size_t *budget);
void cq_io_paths_free(coquic_x_io_t *io);

/* io_hub.c: an extra fd (the io's xfd) polled under the io's token */
void cq_io_hub_add_fd(coquic_x_io_t *io, int fd);
/* io.c: the peer of an address, or NULL (never creates one) */
cq_peer *cq_io_peer_by_address(coquic_x_io_t *io, const struct sockaddr_storage *ss);

/* io_err.c */
void cq_io_err_enable(coquic_x_io_t *io); /* IP_RECVERR / IPV6_RECVERR at bind */
void cq_io_err_drain(coquic_x_io_t *io);  /* error queue -> unreachable routes */

/* io_tx.c */
void cq_io_tx_collect(coquic_x_io_t *io, coquic_result_t *r); /* SEND_DATAGRAM effects -> queue */
void cq_io_tx_flush(coquic_x_io_t *io);                        /* sendmmsg until empty or EAGAIN */
void cq_io_tx_detach(coquic_x_io_t *io);                       /* copy queued arena bytes out */
void cq_io_tx_free(coquic_x_io_t *io);

/* io_wait.c */
int cq_io_wait_init(coquic_x_io_t *io);
void cq_io_wait_stop(coquic_x_io_t *io); /* close: wake every wait, join the thread */

#endif
