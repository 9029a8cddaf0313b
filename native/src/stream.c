/* Per-stream send buffers: data is kept until ngtcp2 reports it acknowledged. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

cq_stream *cq_stream_get(cq_conn *c, int64_t id) { return cq_map_get_u64(&c->streams, (uint64_t)id); }

cq_stream *cq_stream_create(cq_conn *c, int64_t id) {
    cq_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->id = id;
    s->conn = c;
    if (cq_map_put_u64(&c->streams, (uint64_t)id, s) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void cq_stream_destroy(cq_conn *c, cq_stream *s) {
    cq_stream_unlink_pending(c, s);
    for (cq_send_chunk *k = s->head, *n; k; k = n) {
        n = k->next;
        free(k);
    }
    cq_map_remove_u64(&c->streams, (uint64_t)s->id);
    free(s);
}

int cq_stream_append(cq_stream *s, const uint8_t *data, size_t len) {
    if (len == 0) return 0;
    cq_send_chunk *k = malloc(sizeof *k + len);
    if (!k) return -1;
    k->next = NULL;
    k->offset = s->write_offset;
    k->length = len;
    memcpy(k->data, data, len);
    if (s->tail) s->tail->next = k;
    else s->head = k;
    s->tail = k;
    s->write_offset += len;
    return 0;
}

/*
 * ngtcp2 reports acknowledged ranges; they arrive in order for a stream's contiguous
 * prefix in practice, but ranges can also be acked out of order. We free only chunks
 * wholly below the contiguous acknowledged prefix, tracked conservatively.
 */
void cq_stream_on_acked(cq_stream *s, uint64_t offset, uint64_t len) {
    if (offset <= s->acked_offset && offset + len > s->acked_offset) s->acked_offset = offset + len;
    while (s->head && s->head->offset + s->head->length <= s->acked_offset &&
           s->head->offset + s->head->length <= s->sent_offset) {
        cq_send_chunk *k = s->head;
        s->head = k->next;
        if (!s->head) s->tail = NULL;
        if (s->send_from == k) s->send_from = NULL;
        free(k);
    }
}

bool cq_stream_has_unsent(const cq_stream *s) {
    return !s->write_shut && (s->sent_offset < s->write_offset || (s->fin_requested && !s->fin_sent));
}

/*
 * The unsent bytes as vectors. A window of sent but unacknowledged data can be thousands of
 * chunks; walking them from the head for every packet cost a few percent of a bulk sender,
 * so the walk starts at `send_from`, the first chunk that still had unsent bytes last time
 * (acknowledgements free only chunks wholly sent, and clear it when they free it; a rewind of
 * sent_offset, as on rejected 0-RTT, clears it too).
 */
size_t cq_stream_unsent_vec(cq_stream *s, ngtcp2_vec *vec, size_t max_vec) {
    size_t n = 0;
    cq_send_chunk *k = s->send_from ? s->send_from : s->head;
    for (; k && k->offset + k->length <= s->sent_offset; k = k->next) s->send_from = k;
    if (k) s->send_from = k;
    for (; k && n < max_vec; k = k->next) {
        uint64_t skip = s->sent_offset > k->offset ? s->sent_offset - k->offset : 0;
        vec[n].base = k->data + skip;
        vec[n].len = (size_t)(k->length - skip);
        n++;
    }
    return n;
}

void cq_stream_mark_pending(cq_conn *c, cq_stream *s) {
    if (s->in_pending_list) return;
    s->in_pending_list = true;
    s->pending_next = NULL;
    if (c->pending_tail) c->pending_tail->pending_next = s;
    else c->pending_head = s;
    c->pending_tail = s;
}

void cq_stream_unlink_pending(cq_conn *c, cq_stream *s) {
    if (!s->in_pending_list) return;
    cq_stream *prev = NULL;
    for (cq_stream *it = c->pending_head; it; prev = it, it = it->pending_next) {
        if (it != s) continue;
        if (prev) prev->pending_next = s->pending_next;
        else c->pending_head = s->pending_next;
        if (c->pending_tail == s) c->pending_tail = prev;
        break;
    }
    s->in_pending_list = false;
    s->pending_next = NULL;
}
