/*
 * TLS session tickets (RFC 8446 §4.6.1) for QUIC resumption (RFC 9001 §4.5).
 *
 * Server: one ticket key per endpoint (tickets die with it); early data, when allowed, goes
 * through GnuTLS's anti-replay check backed by a small "seen" set kept here.
 *
 * Client: each NewSessionTicket becomes a resumption blob (the ABI's format):
 *   0x01, u32 BE QUIC version, then four u32-BE-length-prefixed fields:
 *   TLS session bytes, ALPN, the server's 0-RTT transport parameters, 0-RTT application context.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "internal.h"

#define CQ_BLOB_FORMAT 0x01
#define CQ_REPLAY_MAX 65536 /* seen ClientHellos kept; beyond it expired ones are pruned first */

typedef struct cq_ticketing {
    gnutls_datum_t key;
    gnutls_anti_replay_t anti_replay; /* NULL unless 0-RTT is allowed */
    cq_map seen;                       /* 20-byte digest of GnuTLS's replay key -> expiry (time_t) */
} cq_ticketing;

/* ---- server: keys and anti-replay ------------------------------------------------------------ */

/* Drops expired entries by rebuilding the set (only when it is full). Out of memory, the old
 * set stays whole: the caller then refuses early data rather than forget a ClientHello. */
static void prune_seen(cq_ticketing *t, time_t now) {
    cq_map fresh = {0};
    for (size_t i = 0; i < t->seen.capacity; i++) {
        cq_map_slot *slot = &t->seen.slots[i];
        if (slot->used && (time_t)(intptr_t)slot->value > now &&
            cq_map_put(&fresh, slot->key, slot->keylen, slot->value) != 0) {
            cq_map_free(&fresh);
            return;
        }
    }
    cq_map_free(&t->seen);
    t->seen = fresh;
}

/* GnuTLS asks to remember a ClientHello that carried early data; a repeat is a replay. */
static int replay_add(void *ptr, time_t exp_time, const gnutls_datum_t *key, const gnutls_datum_t *data) {
    cq_ticketing *t = ptr;
    uint8_t digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, digest) < 0) return GNUTLS_E_DB_ERROR;
    if (cq_map_get(&t->seen, digest, CQ_MAP_KEY_MAX)) return GNUTLS_E_DB_ENTRY_EXISTS;
    if (t->seen.count >= CQ_REPLAY_MAX) prune_seen(t, time(NULL));
    if (t->seen.count >= CQ_REPLAY_MAX) return GNUTLS_E_DB_ERROR; /* full: refuse early data, never accept blindly */
    if (cq_map_put(&t->seen, digest, CQ_MAP_KEY_MAX, (void *)(intptr_t)exp_time) != 0) return GNUTLS_E_DB_ERROR;
    return 0;
}

coquic_status_t cq_ticketing_init(coquic_endpoint_t *ep) {
    if (ep->config.role != COQUIC_ROLE_SERVER) return COQUIC_STATUS_OK;
    cq_ticketing *t = calloc(1, sizeof *t);
    if (!t) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "session ticket state");
    if (gnutls_session_ticket_key_generate(&t->key) < 0) {
        free(t);
        return cq_fail(COQUIC_STATUS_INTERNAL_ERROR, "generating the session ticket key");
    }
    if (ep->config.zero_rtt_allow) {
        if (gnutls_anti_replay_init(&t->anti_replay) < 0) {
            gnutls_free(t->key.data);
            free(t);
            return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "0-RTT anti-replay state");
        }
        gnutls_anti_replay_set_add_function(t->anti_replay, replay_add);
        gnutls_anti_replay_set_ptr(t->anti_replay, t);
    }
    ep->ticketing = t;
    return COQUIC_STATUS_OK;
}

void cq_ticketing_free(coquic_endpoint_t *ep) {
    cq_ticketing *t = ep->ticketing;
    if (!t) return;
    if (t->anti_replay) gnutls_anti_replay_deinit(t->anti_replay);
    gnutls_memset(t->key.data, 0, t->key.size);
    gnutls_free(t->key.data);
    cq_map_free(&t->seen);
    free(t);
    ep->ticketing = NULL;
}

unsigned int cq_resumption_tls_flags(const cq_conn *c) {
    if (c->is_server) /* the ticket goes out once the handshake completes, not inside it */
        return GNUTLS_NO_AUTO_SEND_TICKET | (c->endpoint->config.zero_rtt_allow ? GNUTLS_ENABLE_EARLY_DATA : 0);
    return c->early_attempted ? GNUTLS_ENABLE_EARLY_DATA : 0;
}

/* ---- client: blobs ------------------------------------------------------------------------------ */

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
    return p + 4;
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint8_t *put_field(uint8_t *p, const uint8_t *data, size_t len) {
    p = put_u32(p, (uint32_t)len);
    if (len) memcpy(p, data, len);
    return p + len;
}

/* A NewSessionTicket arrived: hand the application a blob that can resume this session. */
static int ticket_hook(gnutls_session_t session, unsigned int htype, unsigned when, unsigned int incoming,
                       const gnutls_datum_t *msg) {
    if (htype != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET || !incoming) return 0;
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    cq_conn *c = ref ? ref->user_data : NULL;
    if (!c || !c->conn) return 0;
    gnutls_datum_t data = {NULL, 0};
    if (gnutls_session_get_data2(session, &data) < 0) return 0; /* no blob this time; the connection goes on */
    uint8_t tp[512];
    ngtcp2_ssize tplen = ngtcp2_conn_encode_0rtt_transport_params(c->conn, tp, sizeof tp);
    if (tplen < 0) tplen = 0;
    const cq_config *cfg = &c->endpoint->config;
    size_t total = 1 + 4 + 4 * 4 + data.size + cfg->alpn_len + (size_t)tplen + c->app_context_len;
    coquic_result_t *r = c->endpoint->result;
    uint8_t *blob = r ? cq_result_reserve(r, total) : NULL;
    if (blob) {
        uint8_t *p = blob;
        *p++ = CQ_BLOB_FORMAT;
        p = put_u32(p, ngtcp2_conn_get_negotiated_version(c->conn));
        p = put_field(p, data.data, data.size);
        p = put_field(p, (const uint8_t *)cfg->alpn, cfg->alpn_len);
        p = put_field(p, tp, (size_t)tplen);
        put_field(p, c->app_context, c->app_context_len);
        coquic_effect_t *e = cq_result_push(r, COQUIC_EFFECT_RESUMPTION_STATE_AVAILABLE, c->handle);
        if (e) e->as.resumption_state_available.serialized = (coquic_bytes_view_t){blob, total};
    }
    gnutls_free(data.data);
    return 0;
}

int cq_resumption_configure_session(gnutls_session_t s, cq_conn *c) {
    cq_ticketing *t = c->endpoint->ticketing;
    if (c->is_server) {
        cq_early_data_configure_server(s); /* reports refused 0-RTT as REJECTED */
        if (!t) return 0;
        int rv = gnutls_session_ticket_enable_server(s, &t->key);
        if (rv == 0 && t->anti_replay) {
            gnutls_anti_replay_enable(s, t->anti_replay);
            rv = gnutls_record_set_max_early_data_size(s, 0xffffffffu);
        }
        return rv;
    }
    gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, GNUTLS_HOOK_POST, ticket_hook);
    if (!c->resume_session) return 0;
    /* a session GnuTLS cannot take means a full handshake, not a failed connection */
    (void)gnutls_session_set_data(s, c->resume_session, c->resume_session_len);
    free(c->resume_session);
    c->resume_session = NULL;
    return 0;
}

typedef struct blob_fields {
    uint32_t version;
    const uint8_t *field[4];
    size_t len[4];
} blob_fields;

static bool parse_blob(const uint8_t *b, size_t n, blob_fields *out) {
    if (n < 5 || b[0] != CQ_BLOB_FORMAT) return false;
    out->version = get_u32(b + 1);
    size_t at = 5;
    for (int i = 0; i < 4; i++) {
        if (n - at < 4) return false;
        uint32_t len = get_u32(b + at);
        at += 4;
        if (len > n - at) return false;
        out->field[i] = b + at;
        out->len[i] = len;
        at += len;
    }
    return at == n;
}

coquic_status_t cq_resumption_apply(cq_conn *c, const coquic_client_connection_config_t *cc, uint32_t version) {
    const cq_config *cfg = &c->endpoint->config;
    const coquic_zero_rtt_config_t *z = &cc->zero_rtt;
    /* the context new tickets are stored with: the connection's, else the endpoint's */
    const uint8_t *ctx = z->application_context.length ? z->application_context.data : cfg->zero_rtt_context;
    size_t ctx_len = z->application_context.length ? z->application_context.length : cfg->zero_rtt_context_len;
    if (ctx_len) {
        if (!(c->app_context = malloc(ctx_len))) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "0-RTT context");
        memcpy(c->app_context, ctx, ctx_len);
        c->app_context_len = ctx_len;
    }
    bool wants_early = cfg->zero_rtt_attempt || z->attempt;
    const coquic_resumption_state_t *rs = cc->resumption_state;
    if (!rs || rs->serialized.length == 0) {
        c->early_wanted = wants_early;
        return COQUIC_STATUS_OK;
    }
    if (!rs->serialized.data) return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "resumption_state: NULL data with a length");
    blob_fields f;
    if (!parse_blob(rs->serialized.data, rs->serialized.length, &f))
        return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "resumption_state: not a resumption blob from this engine");
    /* a ticket for another protocol resumes nothing here: full handshake */
    bool same_alpn = f.len[1] == cfg->alpn_len && memcmp(f.field[1], cfg->alpn, cfg->alpn_len) == 0;
    if (!same_alpn || f.len[0] == 0) {
        c->early_wanted = wants_early;
        return COQUIC_STATUS_OK;
    }
    if (!(c->resume_session = malloc(f.len[0]))) return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "resumption state");
    memcpy(c->resume_session, f.field[0], f.len[0]);
    c->resume_session_len = f.len[0];
    /* 0-RTT needs the same version, the server's remembered limits, and the same application
     * context (the application's early bytes mean what they meant then) */
    bool same_ctx = f.len[3] == c->app_context_len && (f.len[3] == 0 || memcmp(f.field[3], c->app_context, f.len[3]) == 0);
    if (wants_early && same_ctx && f.version == version && f.len[2] > 0 &&
        ngtcp2_conn_decode_and_set_0rtt_transport_params(c->conn, f.field[2], f.len[2]) == 0)
        c->early_attempted = true;
    c->early_wanted = wants_early;
    return COQUIC_STATUS_OK;
}
