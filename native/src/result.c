/* Result objects: an ordered effect list plus an arena that owns every viewed byte. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CQ_CHUNK_MIN (64u * 1024u)

struct cq_chunk {
    cq_chunk *next;
    size_t used, capacity;
    uint8_t data[];
};


/*
 * Results are created and destroyed once per call, many thousands of times a second on a
 * busy endpoint: a small per-thread cache keeps a few of them, each with its effect array
 * and one arena chunk, so the data path does not go back to malloc for every datagram.
 */
#define CQ_RESULT_CACHE 4
static _Thread_local coquic_result_t *result_cache[CQ_RESULT_CACHE];
static _Thread_local size_t result_cache_count;

coquic_result_t *cq_result_new(void) {
    if (result_cache_count > 0) return result_cache[--result_cache_count];
    return calloc(1, sizeof(coquic_result_t));
}

static void free_chunks(cq_chunk *c) {
    for (cq_chunk *n; c; c = n) {
        n = c->next;
        free(c);
    }
}

void cq_result_free(coquic_result_t *r) {
    if (!r) return;
    if (result_cache_count >= CQ_RESULT_CACHE || r->out_of_memory) {
        free_chunks(r->chunks);
        free(r->effects);
        free(r->closes);
        free(r);
        return;
    }
    /* Chunks are listed newest first: keep the oldest one unless it is oversized. */
    cq_chunk *oldest = r->chunks;
    while (oldest && oldest->next) oldest = oldest->next;
    for (cq_chunk *c = r->chunks, *n; c != oldest; c = n) {
        n = c->next;
        free(c);
    }
    if (oldest && oldest->capacity > 4 * CQ_CHUNK_MIN) {
        free(oldest);
        oldest = NULL;
    }
    if (oldest) oldest->used = 0;
    coquic_effect_t *effects = r->effects;
    size_t effect_capacity = r->effect_capacity;
    coquic_x_close_info_t *closes = r->closes;
    size_t close_capacity = r->close_capacity;
    memset(r, 0, sizeof *r);
    r->chunks = oldest;
    r->effects = effects;
    r->effect_capacity = effect_capacity;
    r->closes = closes;
    r->close_capacity = close_capacity;
    result_cache[result_cache_count++] = r;
}

uint8_t *cq_result_reserve(coquic_result_t *r, size_t len) {
    cq_chunk *c = r->chunks;
    if (!c || c->capacity - c->used < len) {
        size_t cap = len > CQ_CHUNK_MIN ? len : CQ_CHUNK_MIN;
        cq_chunk *n = malloc(sizeof *n + cap);
        if (!n) {
            r->out_of_memory = 1;
            return NULL;
        }
        n->used = 0;
        n->capacity = cap;
        n->next = c; /* newest first: only the head ever grows */
        r->chunks = c = n;
    }
    uint8_t *p = c->data + c->used;
    c->used += len;
    return p;
}

void cq_result_shrink_last(coquic_result_t *r, uint8_t *ptr, size_t reserved, size_t used) {
    cq_chunk *c = r->chunks;
    if (c && used <= reserved && ptr + reserved == c->data + c->used) c->used -= reserved - used;
}

bool cq_result_extend(coquic_result_t *r, const uint8_t *prev, size_t prev_len, const uint8_t *data, size_t len) {
    cq_chunk *c = r->chunks;
    if (!c || !prev || prev + prev_len != c->data + c->used || c->capacity - c->used < len) return false;
    memcpy(c->data + c->used, data, len);
    c->used += len;
    return true;
}

uint8_t *cq_result_copy(coquic_result_t *r, const uint8_t *data, size_t len) {
    if (len == 0) return NULL;
    uint8_t *p = cq_result_reserve(r, len);
    if (p) memcpy(p, data, len);
    return p;
}

static bool grow_array(void **array, size_t *capacity, size_t need, size_t elem) {
    if (need <= *capacity) return true;
    size_t cap = *capacity ? *capacity * 2 : 16;
    while (cap < need) cap *= 2;
    void *n = realloc(*array, cap * elem);
    if (!n) return false;
    *array = n;
    *capacity = cap;
    return true;
}

coquic_effect_t *cq_result_push(coquic_result_t *r, coquic_effect_kind_t kind,
                                coquic_connection_handle_t connection) {
    if (!grow_array((void **)&r->effects, &r->effect_capacity, r->effect_count + 1,
                    sizeof *r->effects)) {
        r->out_of_memory = 1;
        return NULL;
    }
    coquic_effect_t *e = &r->effects[r->effect_count++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->as.send_datagram.connection = connection; /* every member starts with the handle */
    return e;
}

void cq_result_set_local_error(coquic_result_t *r, coquic_local_error_code_t code, bool has_connection,
                               coquic_connection_handle_t connection, bool has_stream, uint64_t stream_id) {
    if (r->has_local_error) return; /* the first error of a call is the one reported */
    r->has_local_error = 1;
    memset(&r->local_error, 0, sizeof r->local_error);
    r->local_error.code = code;
    r->local_error.connection.has_value = has_connection;
    r->local_error.connection.value = has_connection ? connection : 0;
    r->local_error.stream_id.has_value = has_stream;
    r->local_error.stream_id.value = has_stream ? stream_id : 0;
}

void cq_result_push_close(coquic_result_t *r, coquic_connection_handle_t connection,
                          coquic_x_close_source_t source, bool is_app, uint64_t code,
                          const uint8_t *reason, size_t reason_len) {
    if (!grow_array((void **)&r->closes, &r->close_capacity, r->close_count + 1, sizeof *r->closes)) {
        r->out_of_memory = 1;
        return;
    }
    coquic_x_close_info_t *ci = &r->closes[r->close_count++];
    memset(ci, 0, sizeof *ci);
    ci->connection = connection;
    ci->source = source;
    ci->is_application_error = is_app;
    ci->error_code = code;
    ci->reason.data = cq_result_copy(r, reason, reason_len);
    ci->reason.length = ci->reason.data ? reason_len : 0;
}

/* ---- ABI accessors ---------------------------------------------------------------------- */

COQUIC_FFI_API void coquic_result_destroy(coquic_result_t *result) { cq_result_free(result); }

COQUIC_FFI_API size_t coquic_result_effect_count(const coquic_result_t *result) {
    return result ? result->effect_count : 0;
}

COQUIC_FFI_API coquic_status_t coquic_result_effect_at(const coquic_result_t *result, size_t index,
                                                       coquic_effect_t *out_effect) {
    if (!result || !out_effect)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "effect_at: NULL result or output");
    if (index >= result->effect_count)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "effect_at: index %zu out of range (count %zu)",
                       index, result->effect_count);
    *out_effect = result->effects[index];
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API coquic_optional_time_us_t coquic_result_next_wakeup(const coquic_result_t *result) {
    coquic_optional_time_us_t t = {0, 0};
    if (result && result->has_next_wakeup) {
        t.has_value = 1;
        t.value = result->next_wakeup;
    }
    return t;
}

COQUIC_FFI_API uint8_t coquic_result_has_local_error(const coquic_result_t *result) {
    return result ? result->has_local_error : 0;
}

COQUIC_FFI_API coquic_status_t coquic_result_local_error(const coquic_result_t *result,
                                                         coquic_local_error_t *out_error) {
    if (!result || !out_error || !result->has_local_error)
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "local_error: no local error in this result");
    *out_error = result->local_error;
    return COQUIC_STATUS_OK;
}

COQUIC_FFI_API uint8_t coquic_result_send_continuation_pending(const coquic_result_t *result) {
    return result ? result->send_continuation_pending : 0;
}

COQUIC_FFI_API const coquic_effect_t *coquic_x_result_effects(const coquic_result_t *result,
                                                              size_t *out_count) {
    if (out_count) *out_count = result ? result->effect_count : 0;
    return result ? result->effects : NULL;
}

COQUIC_FFI_API uint8_t coquic_x_result_next_wakeup(const coquic_result_t *result,
                                                   coquic_time_us_t *out_time) {
    if (!result || !result->has_next_wakeup) return 0;
    if (out_time) *out_time = result->next_wakeup;
    return 1;
}

COQUIC_FFI_API const coquic_x_close_info_t *coquic_x_result_close_infos(const coquic_result_t *result,
                                                                        size_t *out_count) {
    if (out_count) *out_count = result ? result->close_count : 0;
    return result ? result->closes : NULL;
}

COQUIC_FFI_API void coquic_x_result_summary(const coquic_result_t *result, coquic_x_result_summary_t *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!result) return;
    out->effect_count = result->effect_count;
    for (size_t i = 0; i < result->effect_count; i++) {
        if (result->effects[i].kind != COQUIC_EFFECT_SEND_DATAGRAM) continue;
        out->datagram_count++;
        out->datagram_bytes += result->effects[i].as.send_datagram.bytes.length;
    }
    out->other_effect_count = out->effect_count - out->datagram_count;
    out->has_next_wakeup = result->has_next_wakeup;
    out->next_wakeup = result->next_wakeup;
    out->send_continuation_pending = result->send_continuation_pending;
    out->has_local_error = result->has_local_error;
    out->close_info_count = result->close_count > 255 ? 255 : (uint8_t)result->close_count;
}

COQUIC_FFI_API size_t coquic_x_result_copy_datagrams(const coquic_result_t *result, size_t first, uint8_t *buffer,
                                                     size_t capacity, uint32_t *lengths, uint64_t *routes,
                                                     uint64_t *connections, uint8_t *ecns, size_t max_datagrams) {
    if (!result || !buffer || !lengths) return 0;
    size_t seen = 0, copied = 0, used = 0;
    for (size_t i = 0; i < result->effect_count && copied < max_datagrams; i++) {
        const coquic_effect_t *e = &result->effects[i];
        if (e->kind != COQUIC_EFFECT_SEND_DATAGRAM) continue;
        if (seen++ < first) continue;
        const coquic_send_datagram_effect_t *d = &e->as.send_datagram;
        if (d->bytes.length > capacity - used) break;
        memcpy(buffer + used, d->bytes.data, d->bytes.length);
        used += d->bytes.length;
        lengths[copied] = (uint32_t)d->bytes.length;
        if (routes) routes[copied] = d->route_handle.has_value ? d->route_handle.value : COQUIC_X_NO_ROUTE;
        if (connections) connections[copied] = d->connection;
        if (ecns) ecns[copied] = d->ecn;
        copied++;
    }
    return copied;
}
