/*
 * Shared by the files that make up one connection (conn.c, conn_callbacks.c, conn_streams.c,
 * conn_datagrams.c, conn_send.c, ngtcp2_compat.c) and by nothing else: the rest of the engine
 * uses the cq_conn_* calls in internal.h.
 */
#ifndef COQUIC_CONN_PRIVATE_H
#define COQUIC_CONN_PRIVATE_H

#include "internal.h"

static inline uint64_t now_ns(const cq_conn *c) { return cq_us_to_ns(c->endpoint->now); }
static inline coquic_result_t *res(const cq_conn *c) { return c->endpoint->result; }
static inline bool stream_is_local(const cq_conn *c, int64_t id) { return ((id & 1) != 0) == c->is_server; }
static inline bool stream_is_uni(int64_t id) { return (id & 2) != 0; }

/* conn.c: lifecycle */
void cq_conn_push_state(cq_conn *c, coquic_state_change_t change);
void cq_conn_on_error(cq_conn *c, int rv); /* an ngtcp2 error from read/write/expiry ends the connection */
bool cq_conn_usable(cq_conn *c);           /* false, with a local error, unless the connection is active */
void cq_conn_schedule_original_dcid_release(cq_conn *c);
void cq_conn_release_original_dcid_if_due(cq_conn *c);

/* conn_callbacks.c */
void cq_conn_fill_callbacks(ngtcp2_callbacks *cb, bool server);

/* conn_streams.c */
coquic_x_stream_effect_t *cq_conn_push_stream_effect(cq_conn *c, coquic_effect_kind_t kind, int64_t stream_id,
                                                     uint64_t value);
void cq_conn_report_acked(cq_conn *c, cq_stream *s);
void cq_conn_emit_peer_stop(cq_conn *c, cq_stream *s, uint64_t code);
void cq_conn_open_pending_streams(cq_conn *c, bool uni);

/* conn_datagrams.c */
bool cq_conn_datagram_fits(cq_conn *c, size_t len);
void cq_conn_pop_datagram(cq_conn *c);

/* ngtcp2_compat.c: what ngtcp2 1.11 lacks (each function says which release makes it unnecessary) */
void cq_compat_read_begin(cq_conn *c);
void cq_compat_read_end(cq_conn *c);
void cq_compat_stop_sending_before_close(cq_conn *c, cq_stream *s);
int cq_compat_decrypt_cb(uint8_t *dest, const ngtcp2_crypto_aead *aead, const ngtcp2_crypto_aead_ctx *aead_ctx,
                         const uint8_t *ciphertext, size_t ciphertextlen, const uint8_t *nonce, size_t noncelen,
                         const uint8_t *aad, size_t aadlen);
void cq_compat_count_lost(cq_conn *c, const void *qlog_text, size_t len);
void cq_compat_free(cq_conn *c);

#endif
