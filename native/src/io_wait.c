/*
 * Native I/O, waiting for readiness off the JavaScript thread.
 *
 * The engine is single-threaded and stays on the JavaScript thread. Only the wait runs
 * elsewhere: on a runtime worker thread (coquic_x_io_wait, e.g. a Deno `nonblocking` FFI
 * call) or on the io's own waiter thread, which calls a thread-safe callback when ready
 * (coquic_x_io_waiter_start/arm, e.g. a Bun `threadsafe` JSCallback).
 *
 * Why no engine state is touched off the JavaScript thread: a wait reads exactly four
 * fields of the io — the socket fd and the eventfd (set at bind, closed only by
 * coquic_x_io_destroy, which must not run while a wait does: the binding awaits the wait, and
 * close joins the waiter thread first), and the atomics `want_write` and `closed` — and
 * does one thing with them: ppoll. It never reads the socket (the pump does, on the
 * JavaScript thread), never looks at the endpoint, its connections or results, and
 * allocates nothing. The only state it changes is the eventfd's counter (reading an
 * interrupt). The waiter thread's own handshake with the JavaScript thread (armed, stop,
 * timeout) is guarded by a mutex.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

int cq_io_wait_init(coquic_x_io_t *io) {
    if (pthread_mutex_init(&io->mu, NULL) != 0) return -1;
    if (pthread_cond_init(&io->cv, NULL) != 0) {
        pthread_mutex_destroy(&io->mu);
        return -1;
    }
    return 0;
}

/* One wait: ppoll on the socket (and POLLOUT while datagrams are queued), the eventfd and,
 * once a client bound more sockets for migration, their epoll set (io_paths.c: made once,
 * kept until the io is freed, announced by an interrupt so a wait in progress starts over). */
static int32_t wait_once(coquic_x_io_t *io, int64_t timeout_us) {
    if (atomic_load(&io->closed)) return COQUIC_X_IO_WAIT_CLOSED;
    int xfd = atomic_load(&io->xfd);
    struct pollfd fds[3] = {
        {io->fd, (short)(POLLIN | (atomic_load(&io->want_write) ? POLLOUT : 0)), 0},
        {io->efd, POLLIN, 0},
        {xfd, POLLIN, 0},
    };
    struct timespec ts, *tp = NULL;
    if (timeout_us >= 0) {
        ts.tv_sec = (time_t)(timeout_us / 1000000);
        ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
        tp = &ts;
    }
    int n = ppoll(fds, xfd >= 0 ? 3 : 2, tp, NULL);
    if (atomic_load(&io->closed)) return COQUIC_X_IO_WAIT_CLOSED; /* the eventfd stays set for later waits */
    if (n < 0) return COQUIC_X_IO_WAIT_INTERRUPTED; /* EINTR: let the caller look again */
    if (fds[1].revents & POLLIN) {
        uint64_t count;
        ssize_t rc = read(io->efd, &count, sizeof count);
        (void)rc;
        return COQUIC_X_IO_WAIT_INTERRUPTED;
    }
    return n == 0 ? COQUIC_X_IO_WAIT_TIMEOUT : COQUIC_X_IO_WAIT_READY;
}

COQUIC_FFI_API int32_t coquic_x_io_wait(coquic_x_io_t *io, int64_t timeout_us) {
    if (!io) return COQUIC_X_IO_WAIT_CLOSED;
    return wait_once(io, timeout_us);
}

COQUIC_FFI_API void coquic_x_io_interrupt(coquic_x_io_t *io) {
    if (!io) return;
    uint64_t one = 1;
    ssize_t rc = write(io->efd, &one, sizeof one);
    (void)rc; /* only fails when the counter is saturated: a wake is pending anyway */
}

static void *waiter_main(void *arg) {
    coquic_x_io_t *io = arg;
    for (;;) {
        pthread_mutex_lock(&io->mu);
        while (!io->armed && !io->stop) pthread_cond_wait(&io->cv, &io->mu);
        bool stop = io->stop;
        int64_t timeout = io->armed_timeout_us;
        io->armed = false;
        pthread_mutex_unlock(&io->mu);
        if (stop) break;
        int32_t r = wait_once(io, timeout);
        if (r == COQUIC_X_IO_WAIT_CLOSED) break; /* no callback once closing */
        io->ready_fn(io->ready_token, r);
    }
    return NULL;
}

COQUIC_FFI_API coquic_status_t coquic_x_io_waiter_start(coquic_x_io_t *io, coquic_x_io_ready_fn fn, uint32_t token) {
    cq_clear_error();
    if (!io || !fn) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_waiter_start: NULL io or callback");
    if (io->thread_started) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_waiter_start: already started");
    if (atomic_load(&io->closed)) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "io_waiter_start: io is closed");
    io->ready_fn = fn;
    io->ready_token = token;
    /* The thread takes no signals: the runtime's handlers stay on the runtime's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rv = pthread_create(&io->thread, NULL, waiter_main, io);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != 0) return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "io_waiter_start: pthread_create: %s", strerror(rv));
    io->thread_started = true;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API void coquic_x_io_waiter_arm(coquic_x_io_t *io, int64_t timeout_us) {
    if (!io || !io->thread_started) return;
    pthread_mutex_lock(&io->mu);
    io->armed = true;
    io->armed_timeout_us = timeout_us;
    pthread_cond_signal(&io->cv);
    pthread_mutex_unlock(&io->mu);
}

void cq_io_wait_stop(coquic_x_io_t *io) {
    atomic_store(&io->closed, true);
    coquic_x_io_interrupt(io); /* a ppoll in progress returns at once */
    if (!io->thread_started) return;
    pthread_mutex_lock(&io->mu);
    io->stop = true;
    pthread_cond_signal(&io->cv);
    pthread_mutex_unlock(&io->mu);
    pthread_join(io->thread, NULL);
    io->thread_started = false;
}
