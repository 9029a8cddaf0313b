/*
 * Loopback UDP ceiling for 1200-byte datagrams with sendmmsg/recvmmsg: a sender thread and
 * a receiver thread for a fixed time. Prints one JSON line with received datagrams/s.
 * The reference point for what any QUIC stack on runtime sockets could reach here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 1200
#define BATCH 64

static atomic_int running = 1;
static atomic_ullong received;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *receiver(void *arg) {
    int fd = *(int *)arg;
    static char bufs[BATCH][SIZE + 100];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (atomic_load(&running)) {
        memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
        if (n > 0) atomic_fetch_add(&received, (unsigned long long)n);
    }
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(rx, (struct sockaddr *)&addr, sizeof addr) || getsockname(rx, (struct sockaddr *)&addr, &len)) return 1;
    if (connect(tx, (struct sockaddr *)&addr, sizeof addr)) return 1;
    pthread_t t;
    pthread_create(&t, NULL, receiver, &rx);
    static char payload[SIZE];
    memset(payload, 0x5a, sizeof payload);
    struct mmsghdr msgs[BATCH];
    struct iovec iov = {payload, SIZE};
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    double start = now_s(), end = start + seconds;
    unsigned long long sent = 0;
    while (now_s() < end) {
        int n = sendmmsg(tx, msgs, BATCH, 0);
        if (n > 0) sent += (unsigned long long)n;
    }
    double elapsed = now_s() - start;
    usleep(200000);
    atomic_store(&running, 0);
    pthread_join(t, NULL);
    double dps = (double)atomic_load(&received) / elapsed;
    printf("{\"runtime\":\"c\",\"datagramsPerSecond\":%.0f,\"gbitPerSecond\":%.3f,\"sentPerSecond\":%.0f}\n", dps,
           dps * SIZE * 8 / 1e9, (double)sent / elapsed);
    return 0;
}
