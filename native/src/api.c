/* The exported ABI entry points: argument checks, size gating, result lifecycle. */
#include <stddef.h>
#include <string.h>

#include "internal.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

static bool bytes_ok(coquic_bytes_t b) { return b.length == 0 || b.data != NULL; }

/* Every result-returning call: clear outputs, validate, run, then seal the result. */
coquic_status_t cq_call_begin(coquic_endpoint_t *ep, coquic_time_us_t now, coquic_result_t **out) {
    if (out) *out = NULL;
    cq_clear_error();
    if (!ep || !out) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "NULL endpoint or out_result");
    if (ep->result) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "endpoint re-entered during a call");
    ep->result = cq_result_new();
    if (!ep->result) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "allocating a result");
    if (now > ep->now) ep->now = now; /* the clock never runs backwards for ngtcp2 */
    ep->call_seq++;
    return COQUIC_STATUS_OK;
}

coquic_status_t cq_call_finish(coquic_endpoint_t *ep, coquic_status_t st, coquic_result_t **out) {
    coquic_result_t *r = ep->result;
    if (ep->io) cq_io_after_call(ep->io, r); /* a native socket sends the datagrams itself */
    cq_endpoint_settle(ep);
    bool continuation;
    uint64_t expiry = cq_endpoint_expiry_ns(ep, &continuation);
    if (expiry != UINT64_MAX) {
        r->has_next_wakeup = 1;
        r->next_wakeup = cq_ns_to_us_ceil(expiry);
    }
    /* A native socket that is full resumes on writability (its wait polls for it), not now. */
    if (continuation && !(ep->io && cq_io_blocked(ep->io))) {
        r->send_continuation_pending = 1;
        r->has_next_wakeup = 1;
        if (r->next_wakeup > ep->now) r->next_wakeup = ep->now;
    }
    ep->result = NULL;
    if (st == COQUIC_STATUS_OK && r->out_of_memory) st = cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "out of memory");
    if (st != COQUIC_STATUS_OK) {
        cq_result_free(r);
        return st;
    }
    *out = r;
    return COQUIC_STATUS_OK;
}

static cq_conn *conn_or_local_error(coquic_endpoint_t *ep, coquic_connection_handle_t handle) {
    cq_conn *c = cq_endpoint_find_conn(ep, handle);
    if (c && c->state != CQ_CONN_DEAD) {
        cq_endpoint_touch(ep, c);
        return c;
    }
    cq_result_set_local_error(ep->result, COQUIC_LOCAL_ERROR_UNSUPPORTED_OPERATION, true, handle, false, 0);
    return NULL;
}

static coquic_status_t size_check(size_t size, size_t min, const char *what) {
    if (size >= min) return COQUIC_STATUS_OK;
    return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "%s: size %zu is below the minimum %zu (set size = sizeof)",
                   what, size, min);
}

/* ---- lifetime ------------------------------------------------------------------------------------- */

COQUIC_FFI_API coquic_status_t coquic_endpoint_create(const coquic_endpoint_config_t *config,
                                                      coquic_endpoint_t **out_endpoint) {
    cq_clear_error();
    if (out_endpoint) *out_endpoint = NULL;
    if (!config || !out_endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "NULL config or out_endpoint");
    return cq_endpoint_create(config, out_endpoint);
}

COQUIC_FFI_API void coquic_endpoint_destroy(coquic_endpoint_t *endpoint) { cq_endpoint_destroy(endpoint); }

/* ---- endpoint inputs -------------------------------------------------------------------------------- */

static coquic_status_t do_open(coquic_endpoint_t *ep, const coquic_open_connection_t *in, coquic_time_us_t now,
                               coquic_connection_handle_t *out_connection, coquic_result_t **out) {
    if (out_connection) *out_connection = 0;
    coquic_status_t st = cq_call_begin(ep, now, out);
    if (st != COQUIC_STATUS_OK) return st;
    if (!in) st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "open_connection input is NULL");
    else if ((st = size_check(in->size, sizeof *in, "open_connection")) == COQUIC_STATUS_OK &&
             (st = size_check(in->connection.size, sizeof in->connection, "client_connection_config")) ==
                 COQUIC_STATUS_OK) {
        const coquic_client_connection_config_t *cc = &in->connection;
        if (!bytes_ok(cc->source_connection_id) || !bytes_ok(cc->initial_destination_connection_id) ||
            !bytes_ok(cc->retry_token) || !bytes_ok(in->address_validation_identity))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "open_connection: NULL data with a non-zero length");
        else if (in->initial_route_handle & CQ_ROUTE_NONE)
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "route handles must be below 2^63 in this engine");
        else
            st = cq_endpoint_open(ep, in, out_connection);
    }
    return cq_call_finish(ep, st, out);
}

COQUIC_FFI_API coquic_status_t coquic_endpoint_open_connection(coquic_endpoint_t *endpoint,
                                                               const coquic_open_connection_t *input,
                                                               coquic_time_us_t now, coquic_result_t **out_result) {
    return do_open(endpoint, input, now, NULL, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_endpoint_input_datagram(coquic_endpoint_t *endpoint,
                                                              const coquic_inbound_datagram_t *input,
                                                              coquic_time_us_t now, coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    if (!input) st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "inbound datagram is NULL");
    else if ((st = size_check(input->size, END_OF(coquic_inbound_datagram_t, ecn), "inbound_datagram")) ==
             COQUIC_STATUS_OK) {
        if (!bytes_ok(input->bytes) || !bytes_ok(input->address_validation_identity))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "inbound datagram: NULL data with a non-zero length");
        else if (input->route_handle.has_value && (input->route_handle.value & CQ_ROUTE_NONE))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "route handles must be below 2^63 in this engine");
        else
            cq_endpoint_input(endpoint, input->bytes.data, input->bytes.length,
                              input->route_handle.has_value ? input->route_handle.value : CQ_ROUTE_NONE,
                              input->ecn, input->address_validation_identity.data,
                              input->address_validation_identity.length);
    }
    return cq_call_finish(endpoint, st, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_endpoint_update_path_mtu(coquic_endpoint_t *endpoint,
                                                               const coquic_path_mtu_update_t *input,
                                                               coquic_time_us_t now, coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    if (!input) st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "path MTU update is NULL");
    else if ((st = size_check(input->size, END_OF(coquic_path_mtu_update_t, max_udp_payload_size),
                              "path_mtu_update")) == COQUIC_STATUS_OK)
        cq_pmtu_update(endpoint, input); /* pmtu.c: what ngtcp2 can and cannot take */
    return cq_call_finish(endpoint, st, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_endpoint_timer_expired(coquic_endpoint_t *endpoint, coquic_time_us_t now,
                                                             coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    cq_endpoint_on_timer(endpoint);
    return cq_call_finish(endpoint, st, out_result);
}

/* ---- connection commands ------------------------------------------------------------------------------ */

static coquic_status_t check_input(const coquic_connection_input_t *in) {
    switch (in->kind) {
    case COQUIC_CONNECTION_INPUT_SEND_STREAM: {
        const coquic_send_stream_data_t *d = &in->as.send_stream;
        coquic_status_t st = size_check(d->size, END_OF(coquic_send_stream_data_t, fin), "send_stream_data");
        if (st == COQUIC_STATUS_OK && !bytes_ok(d->bytes))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "send_stream_data: NULL bytes with a non-zero length");
        return st;
    }
    case COQUIC_CONNECTION_INPUT_SEND_DATAGRAM: {
        const coquic_send_datagram_data_t *d = &in->as.send_datagram;
        coquic_status_t st = size_check(d->size, END_OF(coquic_send_datagram_data_t, bytes), "send_datagram_data");
        if (st == COQUIC_STATUS_OK && !bytes_ok(d->bytes))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "send_datagram_data: NULL bytes with a non-zero length");
        return st;
    }
    case COQUIC_CONNECTION_INPUT_RESET_STREAM:
        return size_check(in->as.reset_stream.size, sizeof(coquic_reset_stream_t), "reset_stream");
    case COQUIC_CONNECTION_INPUT_STOP_SENDING:
        return size_check(in->as.stop_sending.size, sizeof(coquic_stop_sending_t), "stop_sending");
    case COQUIC_CONNECTION_INPUT_CLOSE: {
        const coquic_close_connection_t *d = &in->as.close;
        coquic_status_t st = size_check(d->size, sizeof *d, "close_connection");
        if (st == COQUIC_STATUS_OK && d->reason_phrase_length > 0 && !d->reason_phrase)
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "close_connection: NULL reason with a non-zero length");
        return st;
    }
    case COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE:
        return COQUIC_STATUS_OK;
    case COQUIC_CONNECTION_INPUT_REQUEST_MIGRATION: {
        const coquic_request_connection_migration_t *d = &in->as.request_migration;
        coquic_status_t st = size_check(d->size, sizeof *d, "request_connection_migration");
        if (st == COQUIC_STATUS_OK && !bytes_ok(d->address_validation_identity))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "request_migration: NULL identity with a non-zero length");
        if (st == COQUIC_STATUS_OK && (d->route_handle & CQ_ROUTE_NONE))
            st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "route handles must be below 2^63 in this engine");
        return st;
    }
    default:
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "connection input kind %u is unknown", in->kind);
    }
}

static void apply_input(cq_conn *c, const coquic_connection_input_t *in) {
    switch (in->kind) {
    case COQUIC_CONNECTION_INPUT_SEND_STREAM: cq_conn_send_stream(c, &in->as.send_stream); break;
    case COQUIC_CONNECTION_INPUT_SEND_DATAGRAM: cq_conn_send_datagram(c, &in->as.send_datagram); break;
    case COQUIC_CONNECTION_INPUT_RESET_STREAM:
        cq_conn_reset_stream(c, in->as.reset_stream.stream_id, in->as.reset_stream.application_error_code);
        break;
    case COQUIC_CONNECTION_INPUT_STOP_SENDING:
        cq_conn_stop_sending(c, in->as.stop_sending.stream_id, in->as.stop_sending.application_error_code);
        break;
    case COQUIC_CONNECTION_INPUT_CLOSE:
        cq_conn_close(c, in->as.close.application_error_code, (const uint8_t *)in->as.close.reason_phrase,
                      in->as.close.reason_phrase_length);
        break;
    case COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE: cq_conn_key_update(c); break;
    case COQUIC_CONNECTION_INPUT_REQUEST_MIGRATION: cq_conn_migrate(c, &in->as.request_migration); break;
    default: break;
    }
}

COQUIC_FFI_API coquic_status_t coquic_connection_advance(coquic_endpoint_t *endpoint,
                                                         coquic_connection_handle_t connection,
                                                         const coquic_connection_input_t *input,
                                                         coquic_time_us_t now, coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    if (!input) st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "connection input is NULL");
    else if ((st = check_input(input)) == COQUIC_STATUS_OK) {
        cq_conn *c = conn_or_local_error(endpoint, connection);
        if (c) apply_input(c, input);
    }
    return cq_call_finish(endpoint, st, out_result);
}

/* Typed commands wrap their input in a tagged input; a NULL input stays a NULL input. */
#define TYPED_COMMAND(fn, type, kind_value, member)                                                        \
    COQUIC_FFI_API coquic_status_t fn(coquic_endpoint_t *endpoint, coquic_connection_handle_t connection,  \
                                      const type *input, coquic_time_us_t now,                             \
                                      coquic_result_t **out_result) {                                      \
        if (!input) {                                                                                      \
            if (out_result) *out_result = NULL;                                                            \
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, #fn ": input is NULL");                         \
        }                                                                                                  \
        coquic_connection_input_t tagged;                                                                  \
        memset(&tagged, 0, sizeof tagged);                                                                 \
        tagged.kind = kind_value;                                                                          \
        size_t n = input->size < sizeof(type) ? input->size : sizeof(type);                                \
        memcpy(&tagged.as.member, input, n);                                                               \
        return coquic_connection_advance(endpoint, connection, &tagged, now, out_result);                  \
    }

TYPED_COMMAND(coquic_connection_send_stream, coquic_send_stream_data_t, COQUIC_CONNECTION_INPUT_SEND_STREAM,
              send_stream)
TYPED_COMMAND(coquic_connection_send_datagram, coquic_send_datagram_data_t, COQUIC_CONNECTION_INPUT_SEND_DATAGRAM,
              send_datagram)
TYPED_COMMAND(coquic_connection_reset_stream, coquic_reset_stream_t, COQUIC_CONNECTION_INPUT_RESET_STREAM,
              reset_stream)
TYPED_COMMAND(coquic_connection_stop_sending, coquic_stop_sending_t, COQUIC_CONNECTION_INPUT_STOP_SENDING,
              stop_sending)
TYPED_COMMAND(coquic_connection_close, coquic_close_connection_t, COQUIC_CONNECTION_INPUT_CLOSE, close)
TYPED_COMMAND(coquic_connection_request_migration, coquic_request_connection_migration_t,
              COQUIC_CONNECTION_INPUT_REQUEST_MIGRATION, request_migration)

COQUIC_FFI_API coquic_status_t coquic_connection_request_key_update(coquic_endpoint_t *endpoint,
                                                                    coquic_connection_handle_t connection,
                                                                    coquic_time_us_t now,
                                                                    coquic_result_t **out_result) {
    coquic_connection_input_t tagged;
    memset(&tagged, 0, sizeof tagged);
    tagged.kind = COQUIC_CONNECTION_INPUT_REQUEST_KEY_UPDATE;
    return coquic_connection_advance(endpoint, connection, &tagged, now, out_result);
}

/* ---- the QUIC facade aliases --------------------------------------------------------------------------- */

COQUIC_FFI_API coquic_status_t coquic_quic_connect(coquic_endpoint_t *endpoint, const coquic_open_connection_t *input,
                                                   coquic_time_us_t now, coquic_connection_handle_t *out_connection,
                                                   coquic_result_t **out_result) {
    return do_open(endpoint, input, now, out_connection, out_result);
}

#define ALIAS_ENDPOINT_INPUT(alias, target, type)                                                            \
    COQUIC_FFI_API coquic_status_t alias(coquic_endpoint_t *endpoint, const type *input, coquic_time_us_t now, \
                                         coquic_result_t **out_result) {                                     \
        return target(endpoint, input, now, out_result);                                                     \
    }
ALIAS_ENDPOINT_INPUT(coquic_quic_receive_datagram, coquic_endpoint_input_datagram, coquic_inbound_datagram_t)
ALIAS_ENDPOINT_INPUT(coquic_quic_update_path_mtu, coquic_endpoint_update_path_mtu, coquic_path_mtu_update_t)

COQUIC_FFI_API coquic_status_t coquic_quic_timer_expired(coquic_endpoint_t *endpoint, coquic_time_us_t now,
                                                         coquic_result_t **out_result) {
    return coquic_endpoint_timer_expired(endpoint, now, out_result);
}

#define ALIAS_CONNECTION_INPUT(alias, target, type)                                                          \
    COQUIC_FFI_API coquic_status_t alias(coquic_endpoint_t *endpoint, coquic_connection_handle_t connection,  \
                                         const type *input, coquic_time_us_t now,                            \
                                         coquic_result_t **out_result) {                                     \
        return target(endpoint, connection, input, now, out_result);                                         \
    }
ALIAS_CONNECTION_INPUT(coquic_quic_connection_send_stream, coquic_connection_send_stream, coquic_send_stream_data_t)
ALIAS_CONNECTION_INPUT(coquic_quic_connection_send_datagram, coquic_connection_send_datagram,
                       coquic_send_datagram_data_t)
ALIAS_CONNECTION_INPUT(coquic_quic_connection_reset_stream, coquic_connection_reset_stream, coquic_reset_stream_t)
ALIAS_CONNECTION_INPUT(coquic_quic_connection_stop_sending, coquic_connection_stop_sending, coquic_stop_sending_t)
ALIAS_CONNECTION_INPUT(coquic_quic_connection_close, coquic_connection_close, coquic_close_connection_t)
ALIAS_CONNECTION_INPUT(coquic_quic_connection_advance, coquic_connection_advance, coquic_connection_input_t)

COQUIC_FFI_API coquic_status_t coquic_quic_connection_request_key_update(coquic_endpoint_t *endpoint,
                                                                         coquic_connection_handle_t connection,
                                                                         coquic_time_us_t now,
                                                                         coquic_result_t **out_result) {
    return coquic_connection_request_key_update(endpoint, connection, now, out_result);
}

/* ---- scalar stream helpers ---------------------------------------------------------------------------- */

static coquic_status_t stream_send(coquic_endpoint_t *ep, coquic_connection_handle_t conn, uint64_t id,
                                   coquic_bytes_t bytes, uint8_t fin, coquic_time_us_t now, coquic_result_t **out) {
    coquic_send_stream_data_t d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.stream_id = id;
    d.bytes = bytes;
    d.fin = fin != 0;
    return coquic_connection_send_stream(ep, conn, &d, now, out);
}

COQUIC_FFI_API coquic_status_t coquic_quic_stream_send(coquic_endpoint_t *endpoint,
                                                       coquic_connection_handle_t connection,
                                                       coquic_stream_id_t stream_id, coquic_bytes_t bytes,
                                                       uint8_t fin, coquic_time_us_t now,
                                                       coquic_result_t **out_result) {
    return stream_send(endpoint, connection, stream_id, bytes, fin, now, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_quic_stream_finish(coquic_endpoint_t *endpoint,
                                                         coquic_connection_handle_t connection,
                                                         coquic_stream_id_t stream_id, coquic_time_us_t now,
                                                         coquic_result_t **out_result) {
    coquic_bytes_t empty = {NULL, 0};
    return stream_send(endpoint, connection, stream_id, empty, 1, now, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_quic_stream_reset(coquic_endpoint_t *endpoint,
                                                        coquic_connection_handle_t connection,
                                                        coquic_stream_id_t stream_id, uint64_t application_error_code,
                                                        coquic_time_us_t now, coquic_result_t **out_result) {
    coquic_reset_stream_t d = {sizeof d, stream_id, application_error_code};
    return coquic_connection_reset_stream(endpoint, connection, &d, now, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_quic_stream_stop_sending(coquic_endpoint_t *endpoint,
                                                               coquic_connection_handle_t connection,
                                                               coquic_stream_id_t stream_id,
                                                               uint64_t application_error_code, coquic_time_us_t now,
                                                               coquic_result_t **out_result) {
    coquic_stop_sending_t d = {sizeof d, stream_id, application_error_code};
    return coquic_connection_stop_sending(endpoint, connection, &d, now, out_result);
}

/* ---- queries ------------------------------------------------------------------------------------------- */

COQUIC_FFI_API size_t coquic_endpoint_connection_count(const coquic_endpoint_t *endpoint) {
    if (!endpoint) return 0;
    return endpoint->live_count;
}

COQUIC_FFI_API uint8_t coquic_endpoint_has_send_continuation_pending(const coquic_endpoint_t *endpoint) {
    if (!endpoint) return 0;
    bool continuation;
    cq_endpoint_expiry_ns(endpoint, &continuation);
    return continuation;
}

COQUIC_FFI_API uint8_t coquic_endpoint_has_pending_stream_send(const coquic_endpoint_t *endpoint) {
    return endpoint && endpoint->pending_send_count > 0;
}

COQUIC_FFI_API uint8_t coquic_x_endpoint_next_wakeup(const coquic_endpoint_t *endpoint, coquic_time_us_t *out_time) {
    if (!endpoint) return 0;
    bool continuation;
    uint64_t expiry = cq_endpoint_expiry_ns(endpoint, &continuation);
    if (expiry == UINT64_MAX && !continuation) return 0;
    coquic_time_us_t t = expiry == UINT64_MAX ? endpoint->now : cq_ns_to_us_ceil(expiry);
    if (continuation && t > endpoint->now) t = endpoint->now;
    if (out_time) *out_time = t;
    return 1;
}

COQUIC_FFI_API coquic_optional_time_us_t coquic_endpoint_next_wakeup(const coquic_endpoint_t *endpoint) {
    coquic_optional_time_us_t t = {0, 0};
    t.has_value = coquic_x_endpoint_next_wakeup(endpoint, &t.value);
    return t;
}

COQUIC_FFI_API coquic_status_t coquic_x_connection_consume(coquic_endpoint_t *endpoint,
                                                           coquic_connection_handle_t connection,
                                                           coquic_stream_id_t stream_id, uint64_t bytes,
                                                           coquic_time_us_t now, coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    cq_conn *c = conn_or_local_error(endpoint, connection);
    if (c) cq_conn_consume(c, stream_id, bytes);
    return cq_call_finish(endpoint, st, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_input_datagrams(coquic_endpoint_t *endpoint, const uint8_t *data,
                                                                 const uint32_t *lengths, const uint64_t *routes,
                                                                 size_t count, coquic_time_us_t now,
                                                                 coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    if (count > 0 && (!data || !lengths || !routes))
        st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "input_datagrams: NULL array with a non-zero count");
    else
        cq_endpoint_input_batch(endpoint, data, lengths, routes, NULL, NULL, count);
    return cq_call_finish(endpoint, st, out_result);
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_input_datagrams_identified(
    coquic_endpoint_t *endpoint, const uint8_t *data, const uint32_t *lengths, const uint64_t *routes,
    const uint8_t *identities, const uint8_t *identity_lengths, size_t count, coquic_time_us_t now,
    coquic_result_t **out_result) {
    coquic_status_t st = cq_call_begin(endpoint, now, out_result);
    if (st != COQUIC_STATUS_OK) return st;
    bool any_identity = false;
    for (size_t i = 0; identity_lengths && i < count; i++) any_identity |= identity_lengths[i] != 0;
    if (count > 0 && (!data || !lengths || !routes))
        st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "input_datagrams_identified: NULL array with a non-zero count");
    else if (any_identity && !identities)
        st = cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "input_datagrams_identified: identity lengths without identities");
    else
        cq_endpoint_input_batch(endpoint, data, lengths, routes, identities, identity_lengths, count);
    return cq_call_finish(endpoint, st, out_result);
}
