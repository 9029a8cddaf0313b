/*
 * coquic-ts engine extensions beyond the CoQUIC ABI v12.
 *
 * Everything here is exported under the single prefix `coquic_x_`. Bindings detect
 * these symbols at load time and must work (with less information) when a library
 * lacks them, e.g. an upstream libcoquic build.
 */
#ifndef COQUIC_FFI_EXT_H
#define COQUIC_FFI_EXT_H

#include "coquic/ffi/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COQUIC_X_VERSION 2u

/* Version of this extension set (bumped when a coquic_x_ function or struct changes). */
COQUIC_FFI_API uint32_t coquic_x_version(void);

/* Name of the engine, e.g. "ngtcp2/1.11.0 gnutls/3.7.9" (static storage, NUL-terminated). */
COQUIC_FFI_API const char *coquic_x_engine_name(void);

/*
 * Human-readable reason for the most recent non-OK status returned on the calling
 * thread (e.g. "identity: private key PEM could not be parsed"). Copies at most
 * capacity-1 bytes plus a NUL into buffer and returns the full message length
 * (0 when no message is recorded). buffer may be NULL with capacity 0.
 */
COQUIC_FFI_API size_t coquic_x_last_error_message(char *buffer, size_t capacity);

/*
 * Batch effect access: the result's effects as one contiguous array of
 * coquic_effect_t (valid until coquic_result_destroy). *out_count receives the count.
 * Saves one FFI call per effect.
 */
COQUIC_FFI_API const coquic_effect_t *coquic_x_result_effects(const coquic_result_t *result,
                                                              size_t *out_count);

/* next_wakeup through an out-pointer, for FFIs that cannot return structs by value.
 * Returns has_value; writes the time to *out_time when present. */
COQUIC_FFI_API uint8_t coquic_x_endpoint_next_wakeup(const coquic_endpoint_t *endpoint,
                                                     coquic_time_us_t *out_time);
COQUIC_FFI_API uint8_t coquic_x_result_next_wakeup(const coquic_result_t *result,
                                                   coquic_time_us_t *out_time);

/* Why a connection failed. One record per FAILED state effect in a result. */
typedef uint8_t coquic_x_close_source_t;
#define COQUIC_X_CLOSE_SOURCE_LOCAL 0u           /* we called coquic_connection_close */
#define COQUIC_X_CLOSE_SOURCE_PEER 1u            /* peer sent CONNECTION_CLOSE */
#define COQUIC_X_CLOSE_SOURCE_IDLE_TIMEOUT 2u    /* idle timeout expired */
#define COQUIC_X_CLOSE_SOURCE_STATELESS_RESET 3u /* peer sent a stateless reset */
#define COQUIC_X_CLOSE_SOURCE_PROTOCOL_ERROR 4u  /* we detected an error (incl. TLS) */
#define COQUIC_X_CLOSE_SOURCE_HANDSHAKE_TIMEOUT 5u

typedef struct coquic_x_close_info {
    coquic_connection_handle_t connection;
    coquic_x_close_source_t source;
    uint8_t is_application_error; /* 1: application error code; 0: transport error code */
    uint64_t error_code;
    coquic_bytes_view_t reason; /* borrowed from the result */
} coquic_x_close_info_t;          /* 40 bytes: 0 connection, 8 source, 9 is_app, 16 code, 24 reason */

COQUIC_FFI_API const coquic_x_close_info_t *coquic_x_result_close_infos(const coquic_result_t *result,
                                                                        size_t *out_count);

/* Transport statistics of one connection. Times in microseconds, sizes in bytes. */
typedef struct coquic_x_connection_stats {
    size_t size; /* set to sizeof(coquic_x_connection_stats_t) */
    uint64_t smoothed_rtt_us;
    uint64_t min_rtt_us;
    uint64_t latest_rtt_us;
    uint64_t rtt_variance_us;
    uint64_t congestion_window;
    uint64_t bytes_in_flight;
    uint64_t udp_bytes_sent;
    uint64_t udp_bytes_received;
    uint64_t packets_sent;
    uint64_t packets_received;
    uint64_t packets_lost; /* UINT64_MAX unless loss accounting is on (see below) */
    uint64_t stream_bytes_sent;     /* application bytes handed to QUIC packets (incl. retransmits) */
    uint64_t stream_bytes_received; /* application bytes delivered */
    uint64_t streams_opened_local;
    uint64_t streams_opened_remote;
    uint64_t streams_active;
    uint64_t datagrams_sent;
    uint64_t datagrams_received;
    uint8_t handshake_completed;
    uint8_t closing; /* closing or draining */
    /* in what was padding (engines before them leave 0): the TLS session was resumed from a
     * ticket; the server took 0-RTT data on this connection (either side reports it) */
    uint8_t resumed;
    uint8_t early_data_accepted;
} coquic_x_connection_stats_t; /* 160 bytes */

/*
 * Counts lost packets for connections created from now on (packets_lost in the stats).
 * ngtcp2 1.11 keeps no such counter; the engine reads its qlog "packet_lost" events,
 * which costs about 20% CPU on bulk transfers, so it is off by default.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_loss_accounting(coquic_endpoint_t *endpoint, uint8_t enabled);

/*
 * Writes a qlog (JSON-SEQ, ngtcp2's writer) for each connection created from now on into
 * `dir` (`dir_length` bytes, no NUL needed), as `<server|client>-<hex source CID>.sqlog`.
 * The directory is made if missing; INVALID_ARGUMENT when it cannot be made or written.
 * Length 0 turns qlog off. Endpoints start with the QLOGDIR environment variable's directory.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_qlog_dir(coquic_endpoint_t *endpoint, const char *dir,
                                                              size_t dir_length);

/* Returns INVALID_ARGUMENT for an unknown connection or a too-small size. */
COQUIC_FFI_API coquic_status_t coquic_x_connection_stats(const coquic_endpoint_t *endpoint,
                                                         coquic_connection_handle_t connection,
                                                         coquic_x_connection_stats_t *out_stats);

/*
 * Adds PEM CA certificates that a client endpoint trusts when verify_peer is set, on top
 * of the system store (and SSL_CERT_FILE). Applies to connections opened afterwards.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_add_trusted_ca(coquic_endpoint_t *endpoint, const char *pem,
                                                                size_t pem_length);

/*
 * The DER of the peer's leaf certificate as its TLS handshake sent it, verified or not (a
 * client without verify_peer checks it itself, e.g. by hash). *out_length receives its
 * length, 0 when the peer sent none (a server's client, or before the handshake got that
 * far); the bytes are copied into buffer only when capacity >= that length (call again with
 * a larger buffer otherwise). INVALID_ARGUMENT for a NULL endpoint or out_length, or an
 * unknown connection.
 */
COQUIC_FFI_API coquic_status_t coquic_x_connection_peer_certificate(const coquic_endpoint_t *endpoint,
                                                                    coquic_connection_handle_t connection,
                                                                    uint8_t *buffer, size_t capacity,
                                                                    size_t *out_length);

/*
 * Receive flow control driven by the application (real backpressure).
 * By default (as in ABI v12) flow-control credit is returned as soon as stream data is
 * delivered in a RECEIVE_STREAM_DATA effect, so a peer can send as fast as the endpoint
 * is fed. With manual credit enabled, credit comes back only when the application calls
 * coquic_x_connection_consume for bytes it has actually read; an application that stops
 * reading stops the peer once the windows from the transport config are used up.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_manual_credit(coquic_endpoint_t *endpoint, uint8_t enabled);

/* Returns credit for `bytes` consumed from a stream (and the connection) and sends the
 * resulting MAX_DATA / MAX_STREAM_DATA. Unknown connections give a local error, as usual. */
COQUIC_FFI_API coquic_status_t coquic_x_connection_consume(coquic_endpoint_t *endpoint,
                                                           coquic_connection_handle_t connection,
                                                           coquic_stream_id_t stream_id, uint64_t bytes,
                                                           coquic_time_us_t now, coquic_result_t **out_result);

/*
 * Bytes handed to a stream's send side that the peer has not acknowledged yet (queued,
 * in flight or awaiting retransmission): what a writer applies backpressure on.
 * 0 for unknown or finished streams and unknown connections.
 */
COQUIC_FFI_API uint64_t coquic_x_stream_send_buffered(const coquic_endpoint_t *endpoint,
                                                      coquic_connection_handle_t connection,
                                                      coquic_stream_id_t stream_id);

/*
 * The first locally initiated stream id (bidirectional, or unidirectional when
 * `unidirectional` is nonzero) beyond the peer's stream limit: a stream with a smaller id
 * opens at once, a larger one waits for MAX_STREAMS. Rises as the peer grants credit. 0 for
 * unknown or closed connections.
 */
COQUIC_FFI_API uint64_t coquic_x_connection_stream_id_limit(const coquic_endpoint_t *endpoint,
                                                             coquic_connection_handle_t connection,
                                                             uint8_t unidirectional);

/*
 * The largest DATAGRAM payload connection `connection` can send now (the peer's
 * max_datagram_frame_size transport parameter and the path's UDP payload size, less frame
 * and packet overhead); before the peer's transport parameters arrive, the path's limit.
 * 0 when the peer takes no DATAGRAMs, and for unknown or closed connections.
 */
COQUIC_FFI_API uint64_t coquic_x_connection_max_datagram_size(const coquic_endpoint_t *endpoint,
                                                              coquic_connection_handle_t connection);

/*
 * Half-open handshakes (server): connections whose handshake has not completed, bounded in
 * bytes at an estimated 96 KiB each (an upper bound of their cost: ~64 KiB measured). Beyond
 * the budget one older than a second (those that sent only their first datagram first) is
 * dropped (FAILED as a handshake timeout, then CLOSED) to make room for the newest; while all
 * are younger, the new Initial is dropped and its client retransmits. They do not count
 * against max_server_connections. 0 restores the default, 24 MiB (256 handshakes).
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_half_open_limit(coquic_endpoint_t *endpoint, uint64_t bytes);
/* Into out[0..2]: the half-open handshakes now, their counted bytes, how many were dropped so far. */
COQUIC_FFI_API void coquic_x_endpoint_half_open(const coquic_endpoint_t *endpoint, uint64_t *out);

/* ---- stream effects -----------------------------------------------------------------------
 * Effect kinds outside the core coquic_effect_kind_t range, emitted only once switched on
 * (a binding that did not ask never sees them). Their payload, at the union's offset, is
 * coquic_x_stream_effect_t (the layout of coquic_peer_stop_sending_effect_t). */

/* ngtcp2 closed the stream (both directions done, or reset): its engine state is freed and no
 * further effect names it. value: the application error code (0 when none). */
#define COQUIC_X_EFFECT_STREAM_CLOSED 0x80u
/* The peer acknowledged stream data (at most one per stream per result). value: the bytes of
 * the stream's send side still unacknowledged (as coquic_x_stream_send_buffered). */
#define COQUIC_X_EFFECT_STREAM_ACKED 0x81u

typedef struct coquic_x_stream_effect {
    coquic_connection_handle_t connection;
    coquic_stream_id_t stream_id;
    uint64_t value;
} coquic_x_stream_effect_t; /* 24 bytes: 0 connection, 8 stream_id, 16 value */

#define COQUIC_X_STREAM_EFFECT_CLOSED 1u /* flag: emit COQUIC_X_EFFECT_STREAM_CLOSED */
#define COQUIC_X_STREAM_EFFECT_ACKED 2u  /* flag: emit COQUIC_X_EFFECT_STREAM_ACKED */

/* Chooses which stream effects the endpoint emits (flags above; 0, the default, none). */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_stream_effects(coquic_endpoint_t *endpoint, uint32_t flags);

/* ---- path effects ---------------------------------------------------------------------------
 * COQUIC_X_EFFECT_PATH_VALIDATION: ngtcp2 finished validating a path of the connection (RFC
 * 9000 §8.2): a client's migration to the route it asked for, or (servers) a peer's new
 * address. Emitted only once switched on. Payload at the union's offset:
 * coquic_x_path_effect_t. On failure a migrating connection is back on its previous path. */
#define COQUIC_X_EFFECT_PATH_VALIDATION 0x82u

typedef struct coquic_x_path_effect {
    coquic_connection_handle_t connection;
    uint64_t route_handle; /* the validated path's route, or COQUIC_X_NO_ROUTE */
    uint64_t succeeded;    /* 1: validated; 0: failed (no PATH_RESPONSE in time) */
} coquic_x_path_effect_t;  /* 24 bytes: 0 connection, 8 route_handle, 16 succeeded */

/* Emits COQUIC_X_EFFECT_PATH_VALIDATION effects (default off). */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_set_path_effects(coquic_endpoint_t *endpoint, uint8_t enabled);

/* ---- batched data path ------------------------------------------------------------------
 * A runtime that reads many datagrams per wakeup can feed them in one call and get one
 * result; outbound datagrams can be copied out in one call into a caller buffer. */

/* Route value meaning "no route handle" in the batch arrays below. */
#define COQUIC_X_NO_ROUTE (UINT64_C(1) << 63)

/*
 * Feeds `count` inbound datagrams stored back to back in `data` (lengths[i] bytes each,
 * route handle routes[i], or COQUIC_X_NO_ROUTE) as if coquic_endpoint_input_datagram had
 * been called for each, and returns one result with all their effects in order. Retry
 * tokens of datagrams fed this way are bound to their route (there is no identity), so a
 * server with Retry must not mix it with identified input: use the function below.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_input_datagrams(coquic_endpoint_t *endpoint, const uint8_t *data,
                                                                 const uint32_t *lengths, const uint64_t *routes,
                                                                 size_t count, coquic_time_us_t now,
                                                                 coquic_result_t **out_result);

/*
 * coquic_x_endpoint_input_datagrams with each datagram's address-validation identity (the
 * bytes coquic_inbound_datagram_t carries: 0x04 a b c d port, or 0x06 addr16 port):
 * identities holds them back to back, identity_lengths[i] bytes for datagram i (0 =
 * unknown). Retry tokens are then bound to the peer's address exactly as on the
 * per-datagram path, so the two paths can be mixed. identities and identity_lengths may be
 * NULL together (all unknown, as coquic_x_endpoint_input_datagrams); identities may be NULL
 * when every length is 0.
 */
COQUIC_FFI_API coquic_status_t coquic_x_endpoint_input_datagrams_identified(
    coquic_endpoint_t *endpoint, const uint8_t *data, const uint32_t *lengths, const uint64_t *routes,
    const uint8_t *identities, const uint8_t *identity_lengths, size_t count, coquic_time_us_t now,
    coquic_result_t **out_result);

/* One-call overview of a result, for runtimes that only need to act on a few fields. */
typedef struct coquic_x_result_summary {
    uint64_t effect_count;
    uint64_t datagram_count;     /* SEND_DATAGRAM effects */
    uint64_t datagram_bytes;     /* their total payload size */
    uint64_t other_effect_count; /* everything that is not SEND_DATAGRAM */
    uint64_t next_wakeup;        /* valid when has_next_wakeup */
    uint8_t has_next_wakeup;
    uint8_t send_continuation_pending;
    uint8_t has_local_error;
    uint8_t close_info_count;    /* saturates at 255 */
} coquic_x_result_summary_t;     /* 48 bytes */

COQUIC_FFI_API void coquic_x_result_summary(const coquic_result_t *result, coquic_x_result_summary_t *out);

/*
 * Copies the payloads of SEND_DATAGRAM effects number first..first+n-1 (counting only
 * SEND_DATAGRAM effects, in order) back to back into buffer, their lengths into lengths[],
 * their routes (or COQUIC_X_NO_ROUTE) into routes[], their connection handles into
 * connections[] and their ECN codepoints into ecns[] (routes, connections and ecns may
 * be NULL). Stops at max_datagrams or when the
 * next payload does not fit in capacity. Returns the number copied.
 */
COQUIC_FFI_API size_t coquic_x_result_copy_datagrams(const coquic_result_t *result, size_t first, uint8_t *buffer,
                                                     size_t capacity, uint32_t *lengths, uint64_t *routes,
                                                     uint64_t *connections, uint8_t *ecns, size_t max_datagrams);


/* ---- native I/O: the engine owns a UDP socket -------------------------------------------
 * An io object binds one UDP socket for one endpoint. From then on every call on that
 * endpoint (pump, open, stream send, close, timer, ...) transmits its datagrams itself
 * (sendmmsg, same-destination same-size runs coalesced into UDP_SEGMENT/GSO sends, ECN
 * written from each packet's codepoint) and the results it returns hold no SEND_DATAGRAM
 * effects: only application effects, close infos and the next wakeup. Routes name peer
 * addresses, kept in the io (coquic_x_io_route / coquic_x_io_route_address).
 *
 * Threads: everything runs on the caller's (JavaScript) thread except waiting:
 * coquic_x_io_wait and the waiter thread only poll the socket and an eventfd; they never
 * read the socket and never touch the endpoint (see native/src/io_wait.c). */

typedef struct coquic_x_io coquic_x_io_t;

/* coquic_x_io_bind flags: turn an offload off (for measurements and tests). */
#define COQUIC_X_IO_NO_GSO 1u
#define COQUIC_X_IO_NO_GRO 2u
#define COQUIC_X_IO_NO_ECN 4u

/* Counters of one io (monotonic). Segments per syscall = datagrams / syscalls. */
typedef struct coquic_x_io_stats {
    size_t size;                /* set to sizeof(coquic_x_io_stats_t) */
    uint64_t recv_syscalls;     /* recvmmsg calls that returned datagrams */
    uint64_t recv_messages;     /* messages received (one GRO message holds several datagrams) */
    uint64_t recv_datagrams;    /* datagrams after splitting GRO messages */
    uint64_t recv_bytes;
    uint64_t send_syscalls;     /* sendmmsg calls that sent something */
    uint64_t send_messages;     /* messages sent (one GSO message holds several datagrams) */
    uint64_t send_datagrams;
    uint64_t send_bytes;
    uint64_t send_would_block;  /* EAGAIN: datagrams kept queued until writable */
    uint64_t send_errors;       /* datagrams dropped on other send errors */
    uint64_t recv_ecn_ect0;     /* datagrams received with each ECN mark */
    uint64_t recv_ecn_ect1;
    uint64_t recv_ecn_ce;
    uint64_t send_ecn_marked;   /* datagrams sent with ECT(0), ECT(1) or CE */
    uint64_t dropped_no_route;  /* outbound datagrams whose route names no peer */
    uint64_t queued;            /* datagrams waiting for the socket to become writable */
    uint64_t peers;             /* peer addresses known (idle ones are pruned as the table grows) */
    uint8_t gso;                /* offloads in use */
    uint8_t gro;
    uint8_t ecn;
} coquic_x_io_stats_t;          /* 152 bytes */

/*
 * Binds a UDP socket on `address` (4 or 16 bytes, network order; 0.0.0.0 / :: for any)
 * and `port` (0: any) for `endpoint`, with large buffers, UDP_GRO, GSO and ECN where the
 * platform has them (minus `flags`). One io per endpoint. Failures (address in use, ...)
 * return INVALID_ARGUMENT with the reason in coquic_x_last_error_message.
 */
COQUIC_FFI_API coquic_status_t coquic_x_io_bind(coquic_endpoint_t *endpoint, const uint8_t *address,
                                                size_t address_length, uint16_t port, uint32_t flags,
                                                coquic_x_io_t **out_io);

/* The bound address: returns 4 or 6 and writes 4 or 16 address bytes and the port. */
COQUIC_FFI_API uint8_t coquic_x_io_local_address(const coquic_x_io_t *io, uint8_t *out_address,
                                                 uint16_t *out_port);

/* The route handle of a peer address (created on first use, and never pruned: the caller
 * may keep it), or COQUIC_X_NO_ROUTE. Routes the io made itself for peers it met are pruned
 * once the table has grown well past the live connections and no connection uses them. */
COQUIC_FFI_API uint64_t coquic_x_io_route(coquic_x_io_t *io, const uint8_t *address, size_t address_length,
                                          uint16_t port);

/* The peer address of a route: returns 4 or 6 (0 for an unknown route). */
COQUIC_FFI_API uint8_t coquic_x_io_route_address(const coquic_x_io_t *io, uint64_t route, uint8_t *out_address,
                                                 uint16_t *out_port);

/* The route a connection currently uses, or COQUIC_X_NO_ROUTE. */
COQUIC_FFI_API uint64_t coquic_x_io_connection_route(const coquic_x_io_t *io,
                                                     coquic_connection_handle_t connection);

/*
 * Receives everything waiting (recvmmsg, GRO messages split, bounded per call), feeds it
 * to the endpoint as one batch (peer address = route and address-validation identity,
 * ECN marks from control messages), runs due timers, drains the connections and sends
 * every datagram. Datagrams the socket cannot take now stay queued (the next wait also
 * waits for writability). The result holds only application effects.
 */
COQUIC_FFI_API coquic_status_t coquic_x_io_pump(coquic_x_io_t *io, coquic_time_us_t now,
                                                coquic_result_t **out_result);

/*
 * Servers: with the gate on, datagrams from a peer address never seen are held (32 per
 * peer, 1024 peers) until coquic_x_io_admit feeds them or coquic_x_io_ignore drops them.
 * coquic_x_io_take_new_peers returns the routes of peers first seen since the last call.
 */
COQUIC_FFI_API void coquic_x_io_set_gate(coquic_x_io_t *io, uint8_t enabled);
COQUIC_FFI_API size_t coquic_x_io_take_new_peers(coquic_x_io_t *io, uint64_t *out_routes, size_t capacity);
COQUIC_FFI_API coquic_status_t coquic_x_io_admit(coquic_x_io_t *io, uint64_t route, coquic_time_us_t now,
                                                 coquic_result_t **out_result);
COQUIC_FFI_API void coquic_x_io_ignore(coquic_x_io_t *io, uint64_t route);

/*
 * ICMP unreachables (the socket has IP_RECVERR / IPV6_RECVERR): routes whose address answered
 * one of our datagrams with port, host or network unreachable since the last call, with the
 * errno (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN); one entry per route, 64 kept at
 * most. Read by the pump. What a report ends is the caller's choice (a handshake in flight).
 */
COQUIC_FFI_API size_t coquic_x_io_take_unreachable(coquic_x_io_t *io, uint64_t *out_routes, int32_t *out_errnos,
                                                   size_t capacity);

COQUIC_FFI_API coquic_status_t coquic_x_io_stats(const coquic_x_io_t *io, coquic_x_io_stats_t *out_stats);

/*
 * Client migration on the native path: binds another UDP socket for the io (the same family,
 * on `address` of 4 or 16 bytes, all zero for any, and `port`, 0 for any, with the first
 * socket's options) and writes to *out_route a route from it to the peer address of `route`.
 * A REQUEST_MIGRATION with that route moves a connection to the new socket. The io receives on
 * all its sockets; besides the first, at most 4 are open: each bind first closes those no
 * connection's current path uses (their routes go with them). Failures return
 * INVALID_ARGUMENT with the reason in coquic_x_last_error_message.
 */
COQUIC_FFI_API coquic_status_t coquic_x_io_bind_path(coquic_x_io_t *io, const uint8_t *address, size_t address_length,
                                                     uint16_t port, uint64_t route, uint64_t *out_route);

/* The local address a route sends from: returns 4 or 6 and writes the address bytes and port
 * (0 for an unknown route). */
COQUIC_FFI_API uint8_t coquic_x_io_route_local_address(const coquic_x_io_t *io, uint64_t route, uint8_t *out_address,
                                                       uint16_t *out_port);

/* Wait results. */
#define COQUIC_X_IO_WAIT_TIMEOUT 0
#define COQUIC_X_IO_WAIT_READY 1       /* readable, or writable while datagrams are queued */
#define COQUIC_X_IO_WAIT_INTERRUPTED 2 /* coquic_x_io_interrupt */
#define COQUIC_X_IO_WAIT_CLOSED 3      /* coquic_x_io_close: every wait returns this at once */

/*
 * Blocks until the socket is ready, the timeout passes (microseconds, < 0: none), or the io
 * is interrupted or closed. Meant for a worker thread (Deno's nonblocking FFI); it only
 * polls file descriptors. At most one wait at a time; coquic_x_io_destroy only after it
 * returned.
 */
COQUIC_FFI_API int32_t coquic_x_io_wait(coquic_x_io_t *io, int64_t timeout_us);

/* Makes the current or next wait return INTERRUPTED (any thread). */
COQUIC_FFI_API void coquic_x_io_interrupt(coquic_x_io_t *io);

/*
 * A waiter thread owned by the io (for runtimes with thread-safe callbacks, e.g. Bun):
 * after each coquic_x_io_waiter_arm(io, timeout_us) it waits once as coquic_x_io_wait
 * would and calls fn(token, result) from that thread.
 */
typedef void (*coquic_x_io_ready_fn)(uint32_t token, int32_t result);
COQUIC_FFI_API coquic_status_t coquic_x_io_waiter_start(coquic_x_io_t *io, coquic_x_io_ready_fn fn, uint32_t token);
COQUIC_FFI_API void coquic_x_io_waiter_arm(coquic_x_io_t *io, int64_t timeout_us);

/*
 * Ends the io's service: every wait returns CLOSED promptly, the waiter thread is stopped
 * and joined (no callback after this returns), the endpoint is detached (its calls return
 * SEND_DATAGRAM effects again). The socket stays open until coquic_x_io_destroy.
 */
COQUIC_FFI_API void coquic_x_io_close(coquic_x_io_t *io);

/* Closes (if needed) and frees the io and its socket. Not while a coquic_x_io_wait runs. */
COQUIC_FFI_API void coquic_x_io_destroy(coquic_x_io_t *io);

/*
 * A hub waits for many ios at once (one epoll set), so a process with a thousand endpoints
 * needs one waiting thread, not a thousand. Add ios with a token; coquic_x_io_hub_wait (on a
 * worker thread) or the hub's own thread (coquic_x_io_hub_start/arm, calling fn(token,
 * count)) reports how many are ready, and coquic_x_io_hub_ready (on the caller's thread,
 * after the wait returned) lists their tokens. The hub never dereferences an io while
 * waiting: it polls file descriptors and returns tokens, so an io may be removed and
 * destroyed while a wait runs (remove first).
 */
typedef struct coquic_x_io_hub coquic_x_io_hub_t;
COQUIC_FFI_API coquic_status_t coquic_x_io_hub_create(coquic_x_io_hub_t **out_hub);
COQUIC_FFI_API coquic_status_t coquic_x_io_hub_add(coquic_x_io_hub_t *hub, coquic_x_io_t *io, uint32_t token);
COQUIC_FFI_API void coquic_x_io_hub_remove(coquic_x_io_hub_t *hub, coquic_x_io_t *io);
/* Returns the number of ready ios (0: timeout), or -1 when interrupted. */
COQUIC_FFI_API int32_t coquic_x_io_hub_wait(coquic_x_io_hub_t *hub, int64_t timeout_us);
COQUIC_FFI_API size_t coquic_x_io_hub_ready(coquic_x_io_hub_t *hub, uint32_t *out_tokens, size_t capacity);
COQUIC_FFI_API void coquic_x_io_hub_interrupt(coquic_x_io_hub_t *hub);
COQUIC_FFI_API coquic_status_t coquic_x_io_hub_start(coquic_x_io_hub_t *hub, coquic_x_io_ready_fn fn, uint32_t token);
COQUIC_FFI_API void coquic_x_io_hub_arm(coquic_x_io_hub_t *hub, int64_t timeout_us);
/* Stops and joins the hub's thread (promptly: the wait is interrupted). It may be started again. */
COQUIC_FFI_API void coquic_x_io_hub_stop(coquic_x_io_hub_t *hub);
/*
 * Ends the hub's thread without waiting for it, for runtimes whose thread-safe callbacks block
 * the calling thread until the JavaScript thread has run them (Deno): joining from that thread
 * could deadlock. A call in flight completes; no call starts after this returns, and the thread
 * ends within microseconds (an armed wait is interrupted). coquic_x_io_hub_start
 * refuses (INVALID_ARGUMENT) until it has ended, then joins it and starts a new one. A no-op
 * when no thread runs or it is retiring.
 */
COQUIC_FFI_API void coquic_x_io_hub_retire(coquic_x_io_hub_t *hub);
COQUIC_FFI_API void coquic_x_io_hub_destroy(coquic_x_io_hub_t *hub);

#ifdef __cplusplus
}
#endif

#endif /* COQUIC_FFI_EXT_H */
