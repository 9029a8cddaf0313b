/* Internal declarations of the ngtcp2-based engine. Nothing here is ABI. */
#ifndef COQUIC_INTERNAL_H
#define COQUIC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "coquic/ffi/core.h"
#include "coquic/ffi/ext.h"

#define CQ_MAX_DATAGRAMS_PER_DRAIN 256 /* send-continuation cap per connection drain */
#define CQ_SERVER_CID_LEN 16
#define CQ_MAX_UDP_PAYLOAD 1500 /* largest datagram we ask ngtcp2 to build */
#define CQ_MAX_QUEUED_DATAGRAMS 128              /* DATAGRAM frames waiting to be sent, per connection */
#define CQ_MAX_QUEUED_DATAGRAM_BYTES (256 * 1024) /* and their bytes */

/* ---- errors (util.c) -------------------------------------------------------- */

/* Records a message for coquic_x_last_error_message and returns status. */
coquic_status_t cq_fail(coquic_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cq_clear_error(void);
void cq_random(uint8_t *dest, size_t len);

static inline uint64_t cq_us_to_ns(coquic_time_us_t us) {
    return us > UINT64_MAX / 1000u ? UINT64_MAX - 1 : us * 1000u;
}
static inline coquic_time_us_t cq_ns_to_us_ceil(uint64_t ns) { return ns / 1000u + (ns % 1000u != 0); }

/* ---- byte-keyed hash map (map.c) -------------------------------------------------- */

#define CQ_MAP_KEY_MAX 20
typedef struct cq_map_slot {
    uint8_t used; /* 0 empty, 1 used */
    uint8_t keylen;
    uint8_t key[CQ_MAP_KEY_MAX];
    void *value;
} cq_map_slot;

typedef struct cq_map {
    cq_map_slot *slots;
    size_t capacity; /* power of two */
    size_t count;
} cq_map;

void cq_map_free(cq_map *map);
void *cq_map_get(const cq_map *map, const uint8_t *key, size_t keylen);
int cq_map_put(cq_map *map, const uint8_t *key, size_t keylen, void *value); /* 0 ok, -1 oom */
void cq_map_remove(cq_map *map, const uint8_t *key, size_t keylen);
/* u64-keyed convenience wrappers */
void *cq_map_get_u64(const cq_map *map, uint64_t key);
int cq_map_put_u64(cq_map *map, uint64_t key, void *value);
void cq_map_remove_u64(cq_map *map, uint64_t key);

/* ---- expiry heap (timer_heap.c) ---------------------------------------------------------- */

#define CQ_TIMER_NONE SIZE_MAX
typedef struct cq_timer {
    uint64_t expiry; /* ns; UINT64_MAX: none */
    size_t index;    /* slot in the heap, CQ_TIMER_NONE when out of it */
} cq_timer;

typedef struct cq_timer_heap {
    cq_timer **items;
    size_t count, capacity;
} cq_timer_heap;

int cq_timer_heap_insert(cq_timer_heap *h, cq_timer *t); /* 0 ok, -1 oom */
void cq_timer_heap_remove(cq_timer_heap *h, cq_timer *t);
void cq_timer_heap_update(cq_timer_heap *h, cq_timer *t, uint64_t expiry);
cq_timer *cq_timer_heap_min(const cq_timer_heap *h);
void cq_timer_heap_free(cq_timer_heap *h);

/* ---- results (result.c) ------------------------------------------------------------ */

typedef struct cq_chunk cq_chunk;

struct coquic_result {
    coquic_effect_t *effects;
    size_t effect_count, effect_capacity;
    coquic_x_close_info_t *closes;
    size_t close_count, close_capacity;
    cq_chunk *chunks; /* arena owning every byte a view points to */
    uint8_t has_next_wakeup;
    coquic_time_us_t next_wakeup;
    uint8_t has_local_error;
    coquic_local_error_t local_error;
    uint8_t send_continuation_pending;
    uint8_t out_of_memory; /* an append failed: the call reports OUT_OF_MEMORY */
};

coquic_result_t *cq_result_new(void);
void cq_result_free(coquic_result_t *result);
/* Reserves len bytes in the arena (stable address); NULL on OOM (flag set). */
uint8_t *cq_result_reserve(coquic_result_t *result, size_t len);
/* Gives back the unused tail of a reservation if it is still the latest one. */
void cq_result_shrink_last(coquic_result_t *result, uint8_t *ptr, size_t reserved, size_t used);
/* Appends len bytes right after prev (prev_len bytes at the arena head), or returns false. */
bool cq_result_extend(coquic_result_t *result, const uint8_t *prev, size_t prev_len, const uint8_t *data,
                      size_t len);
uint8_t *cq_result_copy(coquic_result_t *result, const uint8_t *data, size_t len);
coquic_effect_t *cq_result_push(coquic_result_t *result, coquic_effect_kind_t kind,
                                coquic_connection_handle_t connection);
void cq_result_set_local_error(coquic_result_t *result, coquic_local_error_code_t code,
                               bool has_connection, coquic_connection_handle_t connection,
                               bool has_stream, uint64_t stream_id);
void cq_result_push_close(coquic_result_t *result, coquic_connection_handle_t connection,
                          coquic_x_close_source_t source, bool is_app, uint64_t code,
                          const uint8_t *reason, size_t reason_len);

/* ---- configuration (config.c) -------------------------------------------------------- */

typedef struct cq_config {
    coquic_role_t role;
    uint8_t verify_peer;
    uint8_t retry_enabled;
    uint8_t allow_peer_address_change;
    uint8_t zero_rtt_attempt;
    uint8_t zero_rtt_allow;       /* server: accept 0-RTT (anti-replay on) */
    uint8_t *zero_rtt_context;    /* endpoint's 0-RTT application context (owned copy) */
    size_t zero_rtt_context_len;
    char alpn[256];
    size_t alpn_len;
    uint32_t versions[16];
    size_t version_count;
    coquic_transport_config_t transport;
    size_t max_outbound_datagram_size;
    size_t max_server_connections;
    ngtcp2_cc_algo cc_algo;
} cq_config;

/* Validates a caller config (size gating, supported features) and copies it. */
coquic_status_t cq_config_import(const coquic_endpoint_config_t *in, cq_config *out);

/* ---- TLS (tls.c) --------------------------------------------------------------------- */

typedef struct cq_tls_context {
    gnutls_certificate_credentials_t credentials;
    bool has_identity;
    /* Verifying clients: CAs added with coquic_x_endpoint_add_trusted_ca (NULL until one is);
     * the system store is one process-wide list shared by all endpoints. */
    gnutls_x509_trust_list_t extra_cas;
    /* SSL_CERT_FILE as it was when the endpoint was created: parsed once per file version
     * and shared (it is often the whole system bundle, ~11 ms to parse) */
    struct cq_file_trust *cert_file;
} cq_tls_context;

coquic_status_t cq_tls_context_init(cq_tls_context *tls, const cq_config *config,
                                    const coquic_tls_identity_t *identity);
void cq_tls_context_free(cq_tls_context *tls);
coquic_status_t cq_tls_add_trusted_ca(cq_tls_context *tls, const char *pem, size_t len);
/* Creates a configured session for one connection; conn_ref is stored as the session pointer.
 * server_name must be NUL-terminated and outlive the session (GnuTLS keeps the pointer). */
int cq_tls_session_new(gnutls_session_t *out, const cq_tls_context *tls, const cq_config *config,
                       ngtcp2_crypto_conn_ref *conn_ref, const char *server_name,
                       size_t server_name_len);
/* Appends a description of a failed certificate verification to buf (may be empty). */
void cq_tls_describe_failure(gnutls_session_t session, char *buf, size_t cap);

/* ---- streams (stream.c) -------------------------------------------------------------- */

typedef struct cq_send_chunk {
    struct cq_send_chunk *next;
    uint64_t offset; /* stream offset of data[0] */
    size_t length;
    uint8_t data[];
} cq_send_chunk;

typedef struct cq_stream {
    int64_t id;
    struct cq_conn *conn;
    bool open_in_ngtcp2;  /* locally initiated streams wait for stream credit */
    bool fin_requested;   /* the application finished its send side */
    bool fin_sent;        /* the FIN went out in a packet */
    bool write_shut;      /* reset by us or stop-sending by peer */
    bool peer_stop_seen;  /* PEER_STOP_SENDING already emitted */
    bool read_shut;       /* we sent STOP_SENDING or the read side completed */
    bool in_pending_list;
    bool blocked;         /* flow-control blocked during the current drain */
    uint64_t reset_code;  /* our RESET_STREAM code, applied once the stream opens */
    int32_t priority;     /* larger is sent first; equal priorities share round-robin */
    cq_send_chunk *head, *tail; /* unacknowledged data, in offset order */
    cq_send_chunk *send_from;   /* NULL or a chunk of the list before which all is sent (stream.c) */
    uint64_t write_offset;      /* total bytes the application handed us */
    uint64_t sent_offset;       /* bytes handed to ngtcp2 */
    uint64_t acked_offset;      /* contiguous prefix acknowledged */
    struct cq_stream *pending_next; /* round-robin list of streams with unsent data */
    uint64_t acked_call;  /* endpoint call whose result holds this stream's STREAM_ACKED effect */
    size_t acked_effect;  /* its index there */
} cq_stream;

/* ---- connections (conn.c) ------------------------------------------------------------- */

typedef enum cq_conn_state {
    CQ_CONN_ACTIVE = 0,
    CQ_CONN_CLOSING,  /* we sent CONNECTION_CLOSE; retransmit it on input */
    CQ_CONN_DRAINING, /* peer closed; stay silent */
    CQ_CONN_DEAD      /* waiting for removal (CLOSED emitted) */
} cq_conn_state;

/* A peer's STOP_SENDING frame, found in a packet before ngtcp2 has processed it. */
typedef struct cq_stop_record {
    uint64_t stream_id, code;
} cq_stop_record;

typedef struct cq_pending_datagram {
    struct cq_pending_datagram *next;
    size_t length;
    uint8_t data[];
} cq_pending_datagram;

/*
 * The connection IDs one connection has registered in its endpoint's routing map: the IDs
 * ngtcp2 asked us to issue (get_new_connection_id) until it removes them
 * (remove_connection_id), plus, on a server, the client's original DCID. It grows on demand,
 * sized from the peer's active_connection_id_limit, so only a failed allocation can refuse an ID.
 */
typedef struct cq_cid_table {
    ngtcp2_cid *ids;
    size_t count, capacity;
} cq_cid_table;

typedef struct cq_conn {
    struct coquic_endpoint *endpoint;
    coquic_connection_handle_t handle;
    ngtcp2_conn *conn;
    gnutls_session_t tls;
    ngtcp2_crypto_conn_ref conn_ref;
    cq_conn_state state;
    bool is_server;
    bool ready_emitted, confirmed_emitted, failed_emitted;
    bool continuation; /* the last drain stopped at the datagram cap */
    bool stateless_reset_received;
    bool loss_accounting; /* count lost packets (qlog "recovery:packet_lost" events) */
    FILE *qlog_file;      /* this connection's qlog, when the endpoint has a qlog directory */
    bool drain_deferred;  /* read during a batch: drained by the next call or timer */
    uint64_t close_deadline_ns;
    uint8_t *close_packet; /* our CONNECTION_CLOSE, re-sent while closing */
    size_t close_packet_len;
    uint64_t current_route; /* route handle of the active path (bit 63 set = none) */
    cq_map streams;         /* stream id -> cq_stream */
    cq_stop_record *stop_records; /* peer STOP_SENDING frames of the packet being read (ngtcp2_compat.c) */
    size_t stop_record_count, stop_record_cap;
    cq_stream *pending_head, *pending_tail;
    int64_t next_local_bidi, next_local_uni;       /* next id to open in ngtcp2 */
    int64_t highest_local_bidi, highest_local_uni; /* highest id the app used, -1 none */
    int64_t max_remote_bidi_seen, max_remote_uni_seen;
    uint64_t freed_remote_bidi, freed_remote_uni; /* closed peer streams not yet credited back */
    cq_pending_datagram *dgram_head, *dgram_tail;
    size_t dgram_queued, dgram_queued_bytes; /* capped: see CQ_MAX_QUEUED_DATAGRAMS */
    cq_cid_table cids;  /* CIDs registered in the endpoint map for this connection */
    ngtcp2_cid original_dcid; /* server: the client's first DCID, registered until released */
    bool original_dcid_registered;
    uint64_t original_dcid_release_ns; /* UINT64_MAX until the handshake is confirmed */
    unsigned int verify_status; /* client: GnuTLS verification status of the peer's chain */
    char server_name[256];    /* client: SNI / verification name (GnuTLS keeps a pointer) */
    ngtcp2_cid client_scid;   /* client: our source CID, kept across a Version Negotiation restart */
    uint32_t vn_chosen_version; /* client: the version a received VN packet lets us restart in */
    bool vn_restarted;        /* client: the one restart after Version Negotiation happened */
    bool unvalidated;         /* server: counted in unvalidated_count (handshake open, address not validated) */
    bool half_open;           /* server: in the endpoint's half-open list (handshake not completed; half_open.c) */
    struct cq_conn *half_open_prev, *half_open_next;
    coquic_time_us_t half_open_since; /* when it joined the half-open list */
    bool half_open_passed;              /* a handshake that began after it has completed ... */
    coquic_time_us_t half_open_passed_at; /* ... at this time (half_open.c victim()) */
    /* the peer's address-validation identity (server: the client's; client: the server's) */
    uint8_t peer_identity[19];
    size_t peer_identity_len;
    /* resumption and 0-RTT (resumption.c, early_data.c) */
    uint8_t *resume_session;      /* client: TLS session bytes to resume, until the TLS session takes them */
    size_t resume_session_len;
    uint8_t *app_context;         /* client: 0-RTT application context stored with new tickets */
    size_t app_context_len;
    bool early_wanted;            /* client: the application asked for 0-RTT */
    bool early_attempted;         /* client: 0-RTT transport parameters set, early data offered */
    bool early_status_emitted;    /* the ACCEPTED/REJECTED outcome went out */
    bool early_offered;           /* server: the ClientHello carried early_data (0-RTT was sent) */
    struct cq_conn *next, *prev;
    cq_timer timer;        /* in the endpoint's expiry heap while the connection exists */
    size_t touched_index;  /* slot in the endpoint's touched list, CQ_TIMER_NONE when not in it */
    bool counted_wants_now; /* counted in the endpoint's wants_now_count */
    bool counted_pending;   /* counted in the endpoint's pending_send_count */
    coquic_x_connection_stats_t stats;
} cq_conn;

/* ---- endpoint (endpoint.c) ------------------------------------------------------------- */

struct coquic_endpoint {
    cq_config config;
    cq_tls_context tls;
    cq_map connections_by_handle; /* handle -> cq_conn */
    cq_map connections_by_cid;    /* cid bytes -> cq_conn */
    cq_conn *conn_head;
    size_t conn_count;
    uint32_t cid_lengths;          /* bit n set: some local CID has length n */
    coquic_connection_handle_t next_handle;
    uint8_t static_secret[32];     /* stateless reset tokens */
    coquic_result_t *result;       /* result being built by the current call */
    bool manual_credit;            /* coquic_x_endpoint_set_manual_credit */
    bool loss_accounting;          /* coquic_x_endpoint_set_loss_accounting */
    char *qlog_dir;                /* coquic_x_endpoint_set_qlog_dir, or QLOGDIR; NULL: no qlog */
    bool batching;                 /* inside coquic_x_endpoint_input_datagrams: drains wait */
    struct cq_ticketing *ticketing; /* server: session ticket key and anti-replay (resumption.c) */
    cq_map tokens;                 /* client: server identity -> last NEW_TOKEN (tokens.c) */
    struct coquic_x_io *io;        /* native socket (io.c): calls send their datagrams themselves */
    uint32_t stream_effects;       /* coquic_x_endpoint_set_stream_effects flags */
    bool path_effects;             /* coquic_x_endpoint_set_path_effects */
    uint64_t call_seq;             /* counts result-building calls */
    coquic_time_us_t now;
    /* Kept up to date so that no call walks every connection: */
    size_t live_count;             /* connections not DEAD (coquic_endpoint_connection_count) */
    size_t active_count;           /* connections ACTIVE (max_server_connections) */
    size_t unvalidated_count;      /* server: handshakes open from addresses not validated (auto Retry) */
    cq_conn *half_open_head, *half_open_tail; /* server: handshakes not completed, oldest first (half_open.c) */
    size_t half_open_count;
    size_t half_open_limit;        /* bytes; 0: the default (coquic_x_endpoint_set_half_open_limit) */
    uint64_t half_open_dropped;    /* handshakes dropped for room: an old one pushed out, or a new one turned away */
    size_t half_open_expired;      /* half-open handshakes that ended unfinished since the last heap trim */
    size_t wants_now_count;        /* ACTIVE connections that want a call now (continuation) */
    size_t pending_send_count;     /* ACTIVE connections with stream data or DATAGRAMs queued */
    cq_timer_heap timers;          /* every connection, keyed by its expiry as of its last settle */
    cq_conn **touched;             /* connections the current call acted on: re-keyed, or swept if DEAD */
    size_t touched_count, touched_capacity;
    bool touch_overflow;           /* a touch could not be recorded: settle walks every connection */
    cq_conn **due;                 /* scratch for timer_expired */
    size_t due_capacity;
};

/* half_open.c: the server's half-open handshakes, bounded in bytes. */
/* Room for one more within the budget, made by dropping an old one if needed; false: drop the Initial. */
bool cq_half_open_make_room(coquic_endpoint_t *ep);
void cq_half_open_added(coquic_endpoint_t *ep, cq_conn *c);
void cq_half_open_ended(cq_conn *c, bool completed); /* handshake completed, or the connection is freed */
size_t cq_established_count(const coquic_endpoint_t *ep); /* ACTIVE connections past their handshake */
/* conn.c: drops a half-open connection at once (FAILED as a handshake timeout, then CLOSED). */
void cq_conn_evict(cq_conn *c);

/* config.c: is version one of the endpoint's supported versions? */
bool cq_config_has_version(const cq_config *cfg, uint32_t version);

/* api.c: the frame of every result-returning call (io.c runs its own calls in it). */
coquic_status_t cq_call_begin(coquic_endpoint_t *ep, coquic_time_us_t now, coquic_result_t **out);
coquic_status_t cq_call_finish(coquic_endpoint_t *ep, coquic_status_t st, coquic_result_t **out);

/* io.c: sends the SEND_DATAGRAM effects of the result being built and removes them from it. */
void cq_io_after_call(struct coquic_x_io *io, coquic_result_t *result);
/* io.c: the socket would block: queued datagrams wait for writability. */
bool cq_io_blocked(struct coquic_x_io *io);
/* io.c: the endpoint is being destroyed. */
void cq_io_endpoint_gone(struct coquic_x_io *io);

/* conn.c */
cq_conn *cq_conn_new_client(coquic_endpoint_t *ep, const coquic_open_connection_t *open,
                            coquic_status_t *status);
/* retry_odcid: the original DCID recovered from a validated Retry token, or NULL. */
cq_conn *cq_conn_new_server(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, const ngtcp2_cid *retry_odcid,
                            uint64_t route, coquic_status_t *status);
void cq_conn_free(cq_conn *c);
void cq_conn_read(cq_conn *c, const uint8_t *data, size_t len, uint64_t route, uint8_t ecn);
void cq_conn_drain(cq_conn *c);
void cq_conn_on_timer(cq_conn *c);
uint64_t cq_conn_expiry_ns(cq_conn *c); /* UINT64_MAX when none */
void cq_conn_close(cq_conn *c, uint64_t app_code, const uint8_t *reason, size_t reason_len);
void cq_conn_send_stream(cq_conn *c, const coquic_send_stream_data_t *in);
void cq_conn_send_datagram(cq_conn *c, const coquic_send_datagram_data_t *in);
size_t cq_conn_max_datagram_payload(cq_conn *c); /* the largest DATAGRAM payload it takes now (0: none) */
void cq_conn_reset_stream(cq_conn *c, uint64_t stream_id, uint64_t code);
void cq_conn_stop_sending(cq_conn *c, uint64_t stream_id, uint64_t code);
void cq_conn_key_update(cq_conn *c);
void cq_conn_consume(cq_conn *c, uint64_t stream_id, uint64_t bytes);
void cq_conn_migrate(cq_conn *c, const coquic_request_connection_migration_t *in);
bool cq_conn_has_pending_send(const cq_conn *c);
/* Datagrams are waiting for a call now: the last drain hit the cap, or a drain was deferred. */
static inline bool cq_conn_wants_call_now(const cq_conn *c) { return c->continuation || c->drain_deferred; }
void cq_conn_fill_stats(cq_conn *c, coquic_x_connection_stats_t *out);

/* path.c: synthetic socket addresses standing for route handles */
#define CQ_ROUTE_NONE (UINT64_C(1) << 63)
void cq_path_for_route(ngtcp2_path_storage *ps, uint64_t route, bool client);
uint64_t cq_route_of_path(const ngtcp2_path *path, bool client);
void cq_emit_datagram(coquic_endpoint_t *ep, coquic_connection_handle_t handle, uint64_t route,
                      uint8_t *bytes, size_t len, uint8_t ngtcp2_ecn);

/* endpoint.c */
coquic_status_t cq_endpoint_create(const coquic_endpoint_config_t *config, coquic_endpoint_t **out);
void cq_endpoint_destroy(coquic_endpoint_t *ep);
coquic_status_t cq_endpoint_open(coquic_endpoint_t *ep, const coquic_open_connection_t *open,
                                 coquic_connection_handle_t *out_handle);
void cq_endpoint_input(coquic_endpoint_t *ep, const uint8_t *data, size_t len, uint64_t route, uint8_t ecn,
                       const uint8_t *identity, size_t identity_len);
void cq_endpoint_on_timer(coquic_endpoint_t *ep);
uint64_t cq_endpoint_expiry_ns(const coquic_endpoint_t *ep, bool *continuation); /* O(1) */
/* Marks c as acted on by the current call (its expiry and state are looked at again when it ends). */
void cq_endpoint_touch(coquic_endpoint_t *ep, cq_conn *c);
/* End of a call: re-keys the touched connections, removes the DEAD ones. */
void cq_endpoint_settle(coquic_endpoint_t *ep);
/* Keeps the endpoint's counters in step with a connection's state change. */
void cq_endpoint_state_changed(coquic_endpoint_t *ep, cq_conn_state from, cq_conn_state to);
/* Feeds a batch of datagrams; each connection that read one is drained once, later (its next
 * call or timer), so its ACKs and replies cover the whole batch and can ride on the
 * application's answer, and its received bytes stay contiguous. identities /
 * identity_lengths: each datagram's address-validation identity, back to back (NULL
 * together, or a length of 0: unknown, its Retry token then bound to the route). */
void cq_endpoint_input_batch(coquic_endpoint_t *ep, const uint8_t *data, const uint32_t *lengths,
                             const uint64_t *routes, const uint8_t *identities, const uint8_t *identity_lengths,
                             size_t count);

/* endpoint.c: the socket address tokens are bound to (identity, else the route's) */
socklen_t cq_token_address(struct sockaddr_storage *ss, const uint8_t *id, size_t id_len, uint64_t route);

/* resumption.c: session tickets (server issues, client turns them into resumption blobs) */
coquic_status_t cq_ticketing_init(coquic_endpoint_t *ep);
void cq_ticketing_free(coquic_endpoint_t *ep);
/* gnutls_init flags this connection's TLS session needs for tickets and early data. */
unsigned int cq_resumption_tls_flags(const cq_conn *c);
/* Configures a new TLS session: ticket key and anti-replay (server), ticket hook and the
 * session to resume (client). 0 or a GnuTLS error. */
int cq_resumption_configure_session(gnutls_session_t s, cq_conn *c);
/* Client open: parses the resumption blob and applies it (session, 0-RTT transport
 * parameters); sets c->early_attempted when 0-RTT will be tried. */
coquic_status_t cq_resumption_apply(cq_conn *c, const coquic_client_connection_config_t *cc, uint32_t version);

/* early_data.c: the 0-RTT outcome, and rejected early data sent again in 1-RTT */
/* Client open: ATTEMPTED, or NOT_ATTEMPTED when 0-RTT was asked for but cannot be tried. */
void cq_early_data_open_status(cq_conn *c);
/* From handshake_completed: the server's ticket, the 0-RTT outcome; 0 or an ngtcp2 error. */
int cq_early_data_on_handshake_completed(cq_conn *c);
void cq_early_data_configure_server(gnutls_session_t s); /* ClientHello hook: early_offered */

/* path_events.c: ngtcp2's path_validation callback (PATH_VALIDATION effects) */
int cq_path_validation_cb(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path, const ngtcp2_path *old_path,
                          ngtcp2_path_validation_result res, void *user_data);

/* pmtu.c: DPLPMTUD probes marked on the SEND_DATAGRAM just emitted; update_path_mtu */
void cq_pmtu_mark_probe(cq_conn *c, size_t len);
void cq_pmtu_update(coquic_endpoint_t *ep, const coquic_path_mtu_update_t *update);
void cq_early_data_fill_stats(cq_conn *c, coquic_x_connection_stats_t *out);
int cq_early_data_rejected_cb(ngtcp2_conn *conn, void *user_data);
int cq_early_data_rx_key_cb(ngtcp2_conn *conn, ngtcp2_encryption_level level, void *user_data);

/* tokens.c: NEW_TOKEN address-validation tokens */
/* Server: validates a NEW_TOKEN token in an Initial; true when it proves the address. */
bool cq_tokens_validate(coquic_endpoint_t *ep, const ngtcp2_pkt_hd *hd, const struct sockaddr_storage *addr,
                        socklen_t addrlen);
/* Server, after the handshake: issues a token for the client's address. */
void cq_tokens_issue(cq_conn *c);
/* Client: the stored token for the connection's server, or NULL. */
const uint8_t *cq_tokens_lookup(coquic_endpoint_t *ep, const uint8_t *identity, size_t len, size_t *out_len);
void cq_tokens_forget(coquic_endpoint_t *ep, const uint8_t *identity, size_t len);
int cq_tokens_recv_cb(ngtcp2_conn *conn, const uint8_t *token, size_t tokenlen, void *user_data);
void cq_tokens_free(coquic_endpoint_t *ep);

/* cids.c: a connection's CIDs and the endpoint's routing map, kept in step */
/* Registers cid for c (table and map); 0, or -1 when out of memory. */
int cq_endpoint_register_cid(coquic_endpoint_t *ep, cq_conn *c, const ngtcp2_cid *cid);
/* Forgets cid for c (table and map); a no-op for an ID c does not hold. */
void cq_endpoint_unregister_cid(coquic_endpoint_t *ep, cq_conn *c, const ngtcp2_cid *cid);
/* Forgets every CID of c and frees its table. */
void cq_endpoint_unregister_all_cids(coquic_endpoint_t *ep, cq_conn *c);
/* Is some connection of the endpoint routed by cid? */
bool cq_endpoint_cid_in_use(const coquic_endpoint_t *ep, const ngtcp2_cid *cid);
void cq_endpoint_remove_conn(coquic_endpoint_t *ep, cq_conn *c);
cq_conn *cq_endpoint_find_conn(const coquic_endpoint_t *ep, coquic_connection_handle_t handle);

/* qlog.c */
coquic_status_t cq_qlog_set_dir(coquic_endpoint_t *ep, const char *dir, size_t len);
void cq_qlog_from_environment(coquic_endpoint_t *ep);
bool cq_qlog_wanted(const coquic_endpoint_t *ep);
void cq_qlog_open(cq_conn *c, const ngtcp2_cid *scid);
void cq_qlog_close(cq_conn *c);
void cq_qlog_write(void *user_data, uint32_t flags, const void *data, size_t len);

/* stream.c */
cq_stream *cq_stream_get(cq_conn *c, int64_t id);
cq_stream *cq_stream_create(cq_conn *c, int64_t id);
void cq_stream_destroy(cq_conn *c, cq_stream *s);
int cq_stream_append(cq_stream *s, const uint8_t *data, size_t len);
void cq_stream_on_acked(cq_stream *s, uint64_t offset, uint64_t len);
size_t cq_stream_unsent_vec(cq_stream *s, ngtcp2_vec *vec, size_t max_vec);
void cq_stream_mark_pending(cq_conn *c, cq_stream *s);
void cq_stream_unlink_pending(cq_conn *c, cq_stream *s);
bool cq_stream_has_unsent(const cq_stream *s);

#endif
