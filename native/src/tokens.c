/*
 * NEW_TOKEN (RFC 9000 §8.1.3): the server gives each client a token bound to its address
 * (ngtcp2's regular tokens bind the IP address, not the port) and accepts it in a later
 * Initial as proof of address, so a Retry-enabled server skips the Retry round trip for a
 * returning client. The client keeps the last token per server (its address-validation
 * identity) and uses it once: a token seen twice would link two connections.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CQ_NEW_TOKEN_LIFETIME (24 * 3600 * NGTCP2_SECONDS)

typedef struct cq_token {
    size_t length;
    uint8_t data[];
} cq_token;

bool cq_tokens_validate(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, const struct sockaddr_storage *addr,
                        socklen_t addrlen) {
    if (hd->tokenlen == 0 || hd->token[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_REGULAR) return false;
    return ngtcp2_crypto_verify_regular_token(hd->token, hd->tokenlen, ep->static_secret, sizeof ep->static_secret,
                                              (const ngtcp2_sockaddr *)addr, (ngtcp2_socklen)addrlen,
                                              CQ_NEW_TOKEN_LIFETIME, cq_us_to_ns(ep->now)) == 0;
}

void cq_tokens_issue(cq_conn *c) {
    coquic_endpoint_t *ep = c->endpoint;
    struct sockaddr_storage addr;
    socklen_t addrlen = cq_token_address(&addr, c->peer_identity, c->peer_identity_len, c->current_route);
    uint8_t token[NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN];
    ngtcp2_ssize n = ngtcp2_crypto_generate_regular_token(token, ep->static_secret, sizeof ep->static_secret,
                                                          (const ngtcp2_sockaddr *)&addr, (ngtcp2_socklen)addrlen,
                                                          cq_us_to_ns(ep->now));
    if (n > 0) (void)ngtcp2_conn_submit_new_token(c->conn, token, (size_t)n); /* best effort */
}

const uint8_t *cq_tokens_lookup(coquic_endpoint_t *ep, const uint8_t *identity, size_t len, size_t *out_len) {
    if (len == 0 || len > CQ_MAP_KEY_MAX) return NULL;
    cq_token *t = cq_map_get(&ep->tokens, identity, len);
    if (!t) return NULL;
    *out_len = t->length;
    return t->data;
}

/* The token was used by a connection (ngtcp2 keeps its own copy): never offer it again. */
void cq_tokens_forget(coquic_endpoint_t *ep, const uint8_t *identity, size_t len) {
    if (len == 0 || len > CQ_MAP_KEY_MAX) return;
    cq_token *t = cq_map_get(&ep->tokens, identity, len);
    if (!t) return;
    cq_map_remove(&ep->tokens, identity, len);
    free(t);
}

int cq_tokens_recv_cb(ngtcp2_conn *conn, const uint8_t *token, size_t tokenlen, void *user_data) {
    cq_conn *c = user_data;
    coquic_endpoint_t *ep = c->endpoint;
    coquic_effect_t *e = cq_result_push(ep->result, COQUIC_EFFECT_NEW_TOKEN_AVAILABLE, c->handle);
    if (e) {
        uint8_t *copy = cq_result_copy(ep->result, token, tokenlen);
        e->as.new_token_available.token = (coquic_bytes_view_t){copy, copy ? tokenlen : 0};
    }
    if (c->peer_identity_len == 0 || tokenlen == 0) return 0; /* no server to file it under */
    cq_token *t = malloc(sizeof *t + tokenlen);
    if (!t) return 0; /* not kept: the next connection may take a Retry */
    t->length = tokenlen;
    memcpy(t->data, token, tokenlen);
    cq_tokens_forget(ep, c->peer_identity, c->peer_identity_len);
    if (cq_map_put(&ep->tokens, c->peer_identity, c->peer_identity_len, t) != 0) free(t);
    return 0;
}

void cq_tokens_free(coquic_endpoint_t *ep) {
    for (size_t i = 0; i < ep->tokens.capacity; i++)
        if (ep->tokens.slots[i].used) free(ep->tokens.slots[i].value);
    cq_map_free(&ep->tokens);
}
