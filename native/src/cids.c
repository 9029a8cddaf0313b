/*
 * A connection's connection IDs and the endpoint's routing map (CID -> connection), kept in
 * step: an ID routes to a connection exactly while that connection's table holds it.
 *
 * What a table must hold is set by ngtcp2: it asks for IDs until the peer holds its
 * active_connection_id_limit of them (ngtcp2 caps that pool at 8, counting IDs the peer
 * retired and ngtcp2 has not yet removed), and removes each a PTO after it is retired. A server
 * also routes the client's original DCID until it releases it. The table is sized from the
 * peer's limit and grows if ngtcp2 ever asks for more, so a correct peer can never make
 * registration fail; only a failed allocation can.
 */
#include <stdlib.h>

#include "internal.h"

/* Entries beyond ngtcp2's IDs: the server's entry for the client's original DCID. */
#define CQ_CID_EXTRA_ENTRIES 1
/* ngtcp2 1.11 never issues more than this many IDs at once (NGTCP2_MAX_SCID_POOL_SIZE); a
 * larger peer limit does not make the first allocation larger. */
#define CQ_CID_POOL_HINT 8

/* The capacity to reserve: the peer's active_connection_id_limit (default 2 until its
 * transport parameters are known), capped at ngtcp2's pool size, plus our extra entries. */
static size_t wanted_capacity(const cq_conn *c) {
    uint64_t limit = NGTCP2_DEFAULT_ACTIVE_CONNECTION_ID_LIMIT;
    const ngtcp2_transport_params *peer = c->conn ? ngtcp2_conn_get_remote_transport_params(c->conn) : NULL;
    if (peer && peer->active_connection_id_limit > limit) limit = peer->active_connection_id_limit;
    if (limit > CQ_CID_POOL_HINT) limit = CQ_CID_POOL_HINT;
    return (size_t)limit + CQ_CID_EXTRA_ENTRIES;
}

static int table_reserve(cq_cid_table *t, size_t capacity) {
    if (capacity <= t->capacity) return 0;
    ngtcp2_cid *ids = realloc(t->ids, capacity * sizeof *ids);
    if (!ids) return -1;
    t->ids = ids;
    t->capacity = capacity;
    return 0;
}

static ngtcp2_cid *table_find(const cq_cid_table *t, const ngtcp2_cid *cid) {
    for (size_t i = 0; i < t->count; i++)
        if (ngtcp2_cid_eq(&t->ids[i], cid)) return &t->ids[i];
    return NULL;
}

int cq_endpoint_register_cid(coquic_endpoint_t *ep, cq_conn *c, const ngtcp2_cid *cid) {
    cq_cid_table *t = &c->cids;
    if (table_find(t, cid)) return 0; /* already ours */
    if (t->count == t->capacity) {
        size_t want = wanted_capacity(c);
        if (want <= t->count) want = t->count * 2; /* ngtcp2 asked for more than its limit says */
        if (table_reserve(t, want) != 0) return -1;
    }
    if (cq_map_put(&ep->connections_by_cid, cid->data, cid->datalen, c) != 0) return -1;
    t->ids[t->count++] = *cid;
    ep->cid_lengths |= UINT32_C(1) << cid->datalen;
    return 0;
}

void cq_endpoint_unregister_cid(coquic_endpoint_t *ep, cq_conn *c, const ngtcp2_cid *cid) {
    cq_cid_table *t = &c->cids;
    ngtcp2_cid *slot = table_find(t, cid);
    if (!slot) return;
    if (cq_map_get(&ep->connections_by_cid, cid->data, cid->datalen) == c)
        cq_map_remove(&ep->connections_by_cid, cid->data, cid->datalen);
    *slot = t->ids[--t->count];
}

void cq_endpoint_unregister_all_cids(coquic_endpoint_t *ep, cq_conn *c) {
    cq_cid_table *t = &c->cids;
    while (t->count > 0) cq_endpoint_unregister_cid(ep, c, &t->ids[t->count - 1]);
    free(t->ids);
    t->ids = NULL;
    t->capacity = 0;
}

bool cq_endpoint_cid_in_use(const coquic_endpoint_t *ep, const ngtcp2_cid *cid) {
    return cq_map_get(&ep->connections_by_cid, cid->data, cid->datalen) != NULL;
}
