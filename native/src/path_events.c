/*
 * Path validation outcomes as COQUIC_X_EFFECT_PATH_VALIDATION effects (ext.h): what a client
 * waits for after asking to migrate. ngtcp2 calls back when a PATH_CHALLENGE it sent on a new
 * path was answered, or when it gave up (then a migrating client is back on its old path).
 */
#include "internal.h"

int cq_path_validation_cb(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path, const ngtcp2_path *old_path,
                          ngtcp2_path_validation_result res, void *user_data) {
    (void)flags, (void)old_path;
    cq_conn *c = user_data;
    /* the path the connection is on now: the validated one, or the one it fell back to */
    c->current_route = cq_route_of_path(ngtcp2_conn_get_path(conn), !c->is_server);
    if (!c->endpoint->path_effects) return 0;
    coquic_effect_t *e = cq_result_push(c->endpoint->result, (coquic_effect_kind_t)COQUIC_X_EFFECT_PATH_VALIDATION,
                                        c->handle);
    if (!e) return 0;
    coquic_x_path_effect_t *x = (coquic_x_path_effect_t *)(void *)&e->as;
    uint64_t route = cq_route_of_path(path, !c->is_server);
    x->route_handle = route & CQ_ROUTE_NONE ? COQUIC_X_NO_ROUTE : route;
    x->succeeded = res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS;
    return 0;
}

COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_path_effects(coquic_endpoint_t *endpoint, uint8_t enabled) {
    cq_clear_error();
    if (!endpoint) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "set_path_effects: NULL endpoint");
    endpoint->path_effects = enabled != 0;
    return COQUIC_STATUS_OK;
}
