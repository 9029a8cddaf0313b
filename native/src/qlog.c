/*
 * qlog: ngtcp2's qlog writer (JSON-SEQ, the "draft-02" schema qvis reads) into one file per
 * connection, in a directory set by coquic_x_endpoint_set_qlog_dir or, by default, by the
 * QLOGDIR environment variable (the convention of ngtcp2's tools and quiche).
 *
 * The same ngtcp2 callback also feeds loss accounting (ngtcp2 1.11 counts no lost packets;
 * its qlog names each one: see ngtcp2_compat.c), so the callback is installed when either is wanted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn_private.h"

coquic_status_t cq_qlog_set_dir(coquic_endpoint_t *ep, const char *dir, size_t len) {
    free(ep->qlog_dir);
    ep->qlog_dir = NULL;
    if (!dir || len == 0) return COQUIC_STATUS_OK; /* off */
    if (memchr(dir, '\0', len)) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "qlog directory: contains NUL");
    char *copy = malloc(len + 1);
    if (!copy) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "qlog directory");
    memcpy(copy, dir, len);
    copy[len] = '\0';
    /* Made if missing (one level, as mkdir would); it must be a writable directory. */
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
        coquic_status_t st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "qlog directory %s: %s", copy, strerror(errno));
        free(copy);
        return st;
    }
    struct stat sb;
    if (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(copy, W_OK | X_OK) != 0) {
        coquic_status_t st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "qlog directory %s: not a writable directory", copy);
        free(copy);
        return st;
    }
    ep->qlog_dir = copy;
    return COQUIC_STATUS_OK;
}

void cq_qlog_from_environment(coquic_endpoint_t *ep) {
    const char *dir = getenv("QLOGDIR");
    /* An unusable QLOGDIR leaves qlog off; an explicit call reports the reason instead. */
    if (dir && *dir && cq_qlog_set_dir(ep, dir, strlen(dir)) != COQUIC_STATUS_OK) cq_clear_error();
}

bool cq_qlog_wanted(const coquic_endpoint_t *ep) { return ep->loss_accounting || ep->qlog_dir != NULL; }

void cq_qlog_open(cq_conn *c, const ngtcp2_cid *scid) {
    const char *dir = c->endpoint->qlog_dir;
    if (!dir) return;
    char hex[2 * NGTCP2_MAX_CIDLEN + 1];
    for (size_t i = 0; i < scid->datalen; i++) snprintf(hex + 2 * i, 3, "%02x", scid->data[i]);
    hex[2 * scid->datalen] = '\0';
    size_t need = strlen(dir) + sizeof "/server-.sqlog" + sizeof hex;
    char *path = malloc(need);
    if (!path) return;
    snprintf(path, need, "%s/%s-%s.sqlog", dir, c->is_server ? "server" : "client", hex);
    c->qlog_file = fopen(path, "w"); /* a file that cannot be made leaves this connection unlogged */
    free(path);
}

void cq_qlog_close(cq_conn *c) {
    if (c->qlog_file) fclose(c->qlog_file);
    c->qlog_file = NULL;
}

void cq_qlog_write(void *user_data, uint32_t flags, const void *data, size_t len) {
    cq_conn *c = user_data;
    if (c->qlog_file) {
        fwrite(data, 1, len, c->qlog_file);
        if (flags & NGTCP2_QLOG_WRITE_FLAG_FIN) cq_qlog_close(c);
    }
    if (c->loss_accounting) cq_compat_count_lost(c, data, len);
}
