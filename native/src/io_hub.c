/*
 * Native I/O, one wait for many ios: an epoll set of their sockets plus an eventfd. A wait
 * (coquic_x_io_hub_wait on a runtime worker thread, or the hub's own thread) touches only
 * the epoll fd, the eventfd and the hub's ready array, which the JavaScript thread reads
 * only after the wait returned (the runtime's promise or callback orders the two). Epoll
 * entries carry tokens, never io pointers, so removing and destroying an io while a wait
 * runs is safe: epoll_ctl is thread-safe and a token of a removed io is ignored by the
 * binding. Adding, removing and the POLLOUT interest are changed on the JavaScript thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io.h"

#define CQ_HUB_EVENTS 1024
#define CQ_HUB_WAKE_TOKEN UINT64_MAX

struct coquic_x_io_hub {
    int epfd, efd;
    struct epoll_event events[CQ_HUB_EVENTS];
    uint32_t ready[CQ_HUB_EVENTS];
    size_t ready_count;
    pthread_t thread;
    bool thread_started;
    bool retiring;       /* coquic_x_io_hub_retire: the thread ends without another call */
    atomic_bool exited;  /* the thread has returned (it is joined at the next start) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool armed, stop;
    int64_t armed_timeout_us;
    coquic_x_io_ready_fn fn;
    uint32_t token;
};

COQUIC_FFI_API coquic_status_t coquic_x_io_hub_create(coquic_x_io_hub_t **out_hub) {
    cq_clear_error();
    if (!out_hub) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_create: NULL output");
    *out_hub = NULL;
    coquic_x_io_hub_t *h = calloc(1, sizeof *h);
    if (!h) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "io_hub: allocating");
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = CQ_HUB_WAKE_TOKEN};
    if (h->epfd < 0 || h->efd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->efd, &ev) != 0 ||
        pthread_mutex_init(&h->mu, NULL) != 0) {
        int e = errno;
        if (h->epfd >= 0) close(h->epfd);
        if (h->efd >= 0) close(h->efd);
        free(h);
        return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "io_hub: %s", strerror(e));
    }
    pthread_cond_init(&h->cv, NULL);
    *out_hub = h;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API coquic_status_t coquic_x_io_hub_add(coquic_x_io_hub_t *hub, coquic_x_io_t *io, uint32_t token) {
    cq_clear_error();
    if (!hub || !io) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_add: NULL hub or io");
    if (io->hub) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_add: the io is in a hub already");
    io->hub_out = atomic_load(&io->want_write);
    struct epoll_event ev = {.events = EPOLLIN | (io->hub_out ? EPOLLOUT : 0), .data.u64 = token};
    if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, io->fd, &ev) != 0)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_add: %s", strerror(errno));
    io->hub = hub;
    io->hub_token = token;
    int xfd = atomic_load(&io->xfd);
    if (xfd >= 0) cq_io_hub_add_fd(io, xfd); /* a migrating client's other sockets */
    return COQUIC_STATUS_OK;
}

void cq_io_hub_add_fd(coquic_x_io_t *io, int fd) {
    if (!io->hub) return;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = io->hub_token};
    epoll_ctl(io->hub->epfd, EPOLL_CTL_ADD, fd, &ev);
}

COQUIC_FFI_API void coquic_x_io_hub_remove(coquic_x_io_hub_t *hub, coquic_x_io_t *io) {
    if (!hub || !io || io->hub != hub) return;
    epoll_ctl(hub->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    int xfd = atomic_load(&io->xfd);
    if (xfd >= 0) epoll_ctl(hub->epfd, EPOLL_CTL_DEL, xfd, NULL);
    io->hub = NULL;
}

void cq_io_hub_sync(coquic_x_io_t *io) {
    bool out = atomic_load(&io->want_write);
    if (!io->hub || out == io->hub_out) return;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = io->hub_token};
    if (epoll_ctl(io->hub->epfd, EPOLL_CTL_MOD, io->fd, &ev) == 0) io->hub_out = out;
}

static int32_t hub_wait(coquic_x_io_hub_t *h, int64_t timeout_us) {
    /* epoll_wait counts milliseconds: round up, so a deadline is never reported early */
    int ms = timeout_us < 0 ? -1 : timeout_us > INT32_MAX / 2 ? INT32_MAX / 2 : (int)((timeout_us + 999) / 1000);
    int n = epoll_wait(h->epfd, h->events, CQ_HUB_EVENTS, ms);
    h->ready_count = 0;
    if (n < 0) return -1; /* EINTR: look again */
    bool woken = false;
    for (int i = 0; i < n; i++) {
        if (h->events[i].data.u64 == CQ_HUB_WAKE_TOKEN) {
            uint64_t count;
            ssize_t rc = read(h->efd, &count, sizeof count);
            (void)rc;
            woken = true;
            continue;
        }
        h->ready[h->ready_count++] = (uint32_t)h->events[i].data.u64;
    }
    return woken && h->ready_count == 0 ? -1 : (int32_t)h->ready_count;
}

COQUIC_FFI_API int32_t coquic_x_io_hub_wait(coquic_x_io_hub_t *hub, int64_t timeout_us) {
    return hub ? hub_wait(hub, timeout_us) : -1;
}

COQUIC_FFI_API size_t coquic_x_io_hub_ready(coquic_x_io_hub_t *hub, uint32_t *out_tokens, size_t capacity) {
    if (!hub || !out_tokens) return 0;
    size_t n = hub->ready_count < capacity ? hub->ready_count : capacity;
    memcpy(out_tokens, hub->ready, n * sizeof *out_tokens);
    return n;
}

COQUIC_FFI_API void coquic_x_io_hub_interrupt(coquic_x_io_hub_t *hub) {
    if (!hub) return;
    uint64_t one = 1;
    ssize_t rc = write(hub->efd, &one, sizeof one);
    (void)rc;
}

static void *hub_main(void *arg) {
    coquic_x_io_hub_t *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (!h->armed && !h->stop) pthread_cond_wait(&h->cv, &h->mu);
        bool stop = h->stop;
        int64_t timeout = h->armed_timeout_us;
        h->armed = false;
        pthread_mutex_unlock(&h->mu);
        if (stop) break;
        int32_t n = hub_wait(h, timeout);
        pthread_mutex_lock(&h->mu);
        stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (stop) break; /* no callback once stopping */
        h->fn(h->token, n);
    }
    atomic_store(&h->exited, true);
    return NULL;
}

/* Joins a thread that ended after coquic_x_io_hub_retire (it has returned or is returning). */
static void join_retired(coquic_x_io_hub_t *hub) {
    if (!hub->thread_started || !hub->retiring) return;
    pthread_join(hub->thread, NULL);
    hub->thread_started = false;
    hub->retiring = false;
    uint64_t count; /* drain the wake so the next wait does not return at once */
    ssize_t rc = read(hub->efd, &count, sizeof count);
    (void)rc;
}

COQUIC_FFI_API coquic_status_t coquic_x_io_hub_start(coquic_x_io_hub_t *hub, coquic_x_io_ready_fn fn, uint32_t token) {
    cq_clear_error();
    if (!hub || !fn) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_start: NULL hub or callback");
    if (hub->thread_started && hub->retiring) {
        /* joined only once it has ended: it may still be in a call the caller's thread is to run */
        if (!atomic_load(&hub->exited)) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_hub_start: still retiring");
        join_retired(hub);
    }
    if (hub->thread_started) return COQUIC_STATUS_OK;
    atomic_store(&hub->exited, false);
    hub->fn = fn;
    hub->token = token;
    hub->stop = hub->armed = false;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no signals */
    int rv = pthread_create(&hub->thread, NULL, hub_main, hub);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != 0) return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "io_hub_start: pthread_create: %s", strerror(rv));
    hub->thread_started = true;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API void coquic_x_io_hub_arm(coquic_x_io_hub_t *hub, int64_t timeout_us) {
    if (!hub || !hub->thread_started) return;
    pthread_mutex_lock(&hub->mu);
    hub->armed = true;
    hub->armed_timeout_us = timeout_us;
    pthread_cond_signal(&hub->cv);
    pthread_mutex_unlock(&hub->mu);
}

COQUIC_FFI_API void coquic_x_io_hub_retire(coquic_x_io_hub_t *hub) {
    if (!hub || !hub->thread_started || hub->retiring) return;
    pthread_mutex_lock(&hub->mu);
    hub->stop = hub->retiring = true;
    pthread_cond_signal(&hub->cv);
    pthread_mutex_unlock(&hub->mu);
    coquic_x_io_hub_interrupt(hub); /* an epoll_wait in progress returns at once */
}

COQUIC_FFI_API void coquic_x_io_hub_stop(coquic_x_io_hub_t *hub) {
    if (!hub || !hub->thread_started) return;
    if (hub->retiring) {
        join_retired(hub); /* not from a thread a call of it waits for */
        return;
    }
    pthread_mutex_lock(&hub->mu);
    hub->stop = true;
    pthread_cond_signal(&hub->cv);
    pthread_mutex_unlock(&hub->mu);
    coquic_x_io_hub_interrupt(hub); /* an epoll_wait in progress returns at once */
    pthread_join(hub->thread, NULL);
    hub->thread_started = false;
    /* drain the wake so the next wait does not return at once */
    uint64_t count;
    ssize_t rc = read(hub->efd, &count, sizeof count);
    (void)rc;
}

COQUIC_FFI_API void coquic_x_io_hub_destroy(coquic_x_io_hub_t *hub) {
    if (!hub) return;
    coquic_x_io_hub_stop(hub);
    close(hub->epfd);
    close(hub->efd);
    pthread_cond_destroy(&hub->cv);
    pthread_mutex_destroy(&hub->mu);
    free(hub);
}
