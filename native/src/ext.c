/* coquic_x_: what this engine offers beyond ABI v12 (see include/coquic/ffi/ext.h). */
#include <stdio.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/version.h>

#include "internal.h"

COQUIC_FFI_API uint32_t coquic_x_version(void) { return COQUIC_X_VERSION; }

COQUIC_FFI_API const char *coquic_x_engine_name(void) {
    static char name[96];
    if (!name[0]) {
        const ngtcp2_info *info = ngtcp2_version(0);
        snprintf(name, sizeof name, "ngtcp2/%s gnutls/%s", info ? info->version_str : NGTCP2_VERSION,
                 gnutls_check_version(NULL));
    }
    return name;
}

COQUIC_FFI_API coquic_status_t coquic_x_connection_stats(const coquic_endpoint_t *endpoint,
                                                         coquic_connection_handle_t connection,
                                                         coquic_x_connection_stats_t *out_stats) {
    cq_clear_error();
    if (!endpoint || !out_stats) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "stats: NULL endpoint or output");
    if (out_stats->size < sizeof *out_stats)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "stats: size %zu below %zu", out_stats->size,
                       sizeof *out_stats);
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state == CQ_CONN_DEAD)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "stats: unknown connection %llu",
                       (unsigned long long)connection);
    cq_conn_fill_stats(c, out_stats);
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_add_trusted_ca(coquic_endpoint_t *endpoint, const char *pem,
                                                                size_t pem_length) {
    cq_clear_error();
    if (!endpoint || !pem || pem_length == 0)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "add_trusted_ca: NULL endpoint or empty PEM");
    if (endpoint->config.role != COQUIC_ROLE_CLIENT)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "add_trusted_ca: only client endpoints verify peers");
    return cq_tls_add_trusted_ca(&endpoint->tls, pem, pem_length);
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_manual_credit(coquic_endpoint_t *endpoint, uint8_t enabled) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_manual_credit: NULL endpoint");
    endpoint->manual_credit = enabled != 0;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API uint64_t coquic_x_stream_send_buffered(const coquic_endpoint_t *endpoint,
                                                      coquic_connection_handle_t connection,
                                                      coquic_stream_id_t stream_id) {
    if (!endpoint || stream_id >= (UINT64_C(1) << 62)) return 0;
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state != CQ_CONN_ACTIVE) return 0;
    cq_stream *s = cq_stream_get(c, (int64_t)stream_id);
    if (!s || s->write_shut) return 0;
    return s->write_offset - s->acked_offset;
}

COQUIC_FFI_API uint64_t coquic_x_connection_stream_id_limit(const coquic_endpoint_t *endpoint,
                                                             coquic_connection_handle_t connection,
                                                             uint8_t unidirectional) {
    if (!endpoint) return 0;
    cq_conn *c = cq_endpoint_find_conn(endpoint, connection);
    if (!c || c->state != CQ_CONN_ACTIVE || !c->conn) return 0;
    bool uni = unidirectional != 0;
    uint64_t left = uni ? ngtcp2_conn_get_streams_uni_left(c->conn) : ngtcp2_conn_get_streams_bidi_left(c->conn);
    int64_t next = uni ? c->next_local_uni : c->next_local_bidi;
    return (uint64_t)next + 4 * left;
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_qlog_dir(coquic_endpoint_t *endpoint, const char *dir,
                                                              size_t dir_length) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_qlog_dir: NULL endpoint");
    if (!dir && dir_length) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_qlog_dir: NULL directory");
    return cq_qlog_set_dir(endpoint, dir, dir_length);
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_loss_accounting(coquic_endpoint_t *endpoint, uint8_t enabled) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_loss_accounting: NULL endpoint");
    endpoint->loss_accounting = enabled != 0;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_stream_effects(coquic_endpoint_t *endpoint, uint32_t flags) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_stream_effects: NULL endpoint");
    if (flags & ~(uint32_t)(COQUIC_X_STREAM_EFFECT_CLOSED | COQUIC_X_STREAM_EFFECT_ACKED))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_stream_effects: unknown flags 0x%x", flags);
    endpoint->stream_effects = flags;
    return COQUIC_STATUS_OK;
}
