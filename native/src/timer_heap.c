/* A binary min-heap of timers keyed by expiry: the endpoint's next wakeup and the connections
 * that are due, without looking at the others. Each timer knows its slot, so re-keying one is
 * O(log n). */
#include <stdlib.h>

#include "internal.h"

static void place(cq_timer_heap *h, size_t i, cq_timer *t) {
    h->items[i] = t;
    t->index = i;
}

static void sift_up(cq_timer_heap *h, size_t i) {
    cq_timer *t = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->expiry <= t->expiry) break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(cq_timer_heap *h, size_t i) {
    cq_timer *t = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->count) break;
        if (child + 1 < h->count && h->items[child + 1]->expiry < h->items[child]->expiry) child++;
        if (h->items[child]->expiry >= t->expiry) break;
        place(h, i, h->items[child]);
        i = child;
    }
    place(h, i, t);
}

int cq_timer_heap_insert(cq_timer_heap *h, cq_timer *t) {
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? h->capacity * 2 : 16;
        cq_timer **items = realloc(h->items, cap * sizeof *items);
        if (!items) return -1;
        h->items = items;
        h->capacity = cap;
    }
    place(h, h->count++, t);
    sift_up(h, t->index);
    return 0;
}

void cq_timer_heap_remove(cq_timer_heap *h, cq_timer *t) {
    size_t i = t->index;
    if (i >= h->count || h->items[i] != t) return; /* not in the heap */
    t->index = CQ_TIMER_NONE;
    cq_timer *last = h->items[--h->count];
    if (i == h->count) return;
    place(h, i, last);
    sift_up(h, i);
    sift_down(h, last->index);
}

void cq_timer_heap_update(cq_timer_heap *h, cq_timer *t, uint64_t expiry) {
    uint64_t old = t->expiry;
    t->expiry = expiry;
    if (t->index >= h->count || h->items[t->index] != t) return;
    if (expiry < old) sift_up(h, t->index);
    else if (expiry > old) sift_down(h, t->index);
}

cq_timer *cq_timer_heap_min(const cq_timer_heap *h) { return h->count ? h->items[0] : NULL; }

void cq_timer_heap_free(cq_timer_heap *h) {
    free(h->items);
    h->items = NULL;
    h->count = h->capacity = 0;
}
