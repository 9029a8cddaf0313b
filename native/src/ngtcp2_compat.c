/*
 * What ngtcp2 1.11 (the version Debian bookworm-backports ships) lacks and the engine makes up
 * for. Each part names the ngtcp2 release that makes it unnecessary; with that release as the
 * minimum, the part goes and the callback or field named takes its place.
 *
 * 1. A peer's STOP_SENDING frame: ngtcp2 1.11 answers it with RESET_STREAM by itself and tells
 *    the application nothing, so the engine finds the frames in each decrypted packet (the AEAD
 *    decrypt callback sees the plaintext) and reports PEER_STOP_SENDING once ngtcp2 has accepted
 *    the packet. Unnecessary from ngtcp2 1.24.0 (ngtcp2_callbacks.recv_stop_sending, called once
 *    per stream).
 * 2. Lost packets: ngtcp2 1.11 counts none, but its qlog writer names each one
 *    ("recovery:packet_lost"), so loss accounting reads the qlog text. Unnecessary from ngtcp2
 *    1.16.0 (ngtcp2_conn_info.pkt_lost and bytes_lost).
 */
#include <stdlib.h>
#include <string.h>

#include "conn_private.h"

/* ---- 1. STOP_SENDING --------------------------------------------------------------------- */

/* The connection whose packet is being decrypted (ngtcp2's decrypt callback has no user data). */
static _Thread_local cq_conn *reading_conn;

/*
 * A minimal QUIC frame walker over decrypted packet payloads: it only has to find STOP_SENDING
 * frames. Malformed input simply ends the walk; ngtcp2 rejects such packets itself.
 */
typedef struct reader {
    const uint8_t *p, *end;
    bool bad;
} reader;

static uint64_t varint(reader *r) {
    if (r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    size_t n = (size_t)1 << (*r->p >> 6);
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        return 0;
    }
    uint64_t v = *r->p++ & 0x3f;
    for (size_t i = 1; i < n; i++) v = (v << 8) | *r->p++;
    return v;
}

static void skip(reader *r, uint64_t n) {
    if (r->bad || (uint64_t)(r->end - r->p) < n) {
        r->bad = true;
        return;
    }
    r->p += n;
}

/* Keeps one STOP_SENDING of the packet being read; the table grows with the packet (a full
 * packet can carry hundreds). False when memory runs out: the packet is then dropped as
 * undecryptable, and the peer sends its frames again. */
static bool record_stop(cq_conn *c, uint64_t stream_id, uint64_t code) {
    if (c->stop_record_count == c->stop_record_cap) {
        size_t cap = c->stop_record_cap ? 2 * c->stop_record_cap : 16;
        cq_stop_record *grown = realloc(c->stop_records, cap * sizeof *grown);
        if (!grown) return false;
        c->stop_records = grown;
        c->stop_record_cap = cap;
    }
    c->stop_records[c->stop_record_count++] = (cq_stop_record){stream_id, code};
    return true;
}

/* False when a STOP_SENDING could not be kept. */
static bool scan_stop_sending(cq_conn *c, const uint8_t *payload, size_t len) {
    reader r = {payload, payload + len, false};
    while (!r.bad && r.p < r.end) {
        uint64_t type = varint(&r);
        if (type >= 0x08 && type <= 0x0f) { /* STREAM: flags in the low bits */
            varint(&r);
            if (type & 0x04) varint(&r);
            if (type & 0x02) skip(&r, varint(&r));
            else r.p = r.end;
            continue;
        }
        switch (type) {
        case 0x00: case 0x01: case 0x1e: break; /* PADDING, PING, HANDSHAKE_DONE */
        case 0x02: case 0x03: { /* ACK */
            varint(&r); varint(&r);
            uint64_t ranges = varint(&r);
            varint(&r);
            for (uint64_t i = 0; i < ranges && !r.bad; i++) { varint(&r); varint(&r); }
            if (type == 0x03) { varint(&r); varint(&r); varint(&r); }
            break;
        }
        case 0x04: varint(&r); varint(&r); varint(&r); break; /* RESET_STREAM */
        case 0x05: {                                           /* STOP_SENDING */
            uint64_t id = varint(&r), code = varint(&r);
            if (!r.bad && !record_stop(c, id, code)) return false;
            break;
        }
        case 0x06: varint(&r); skip(&r, varint(&r)); break; /* CRYPTO */
        case 0x07: skip(&r, varint(&r)); break;            /* NEW_TOKEN */
        case 0x10: case 0x12: case 0x13: case 0x14: case 0x16: case 0x17: case 0x19:
            varint(&r); break; /* MAX_DATA, MAX_STREAMS, DATA_BLOCKED, STREAMS_BLOCKED, RETIRE_CID */
        case 0x11: case 0x15: varint(&r); varint(&r); break; /* MAX_STREAM_DATA, STREAM_DATA_BLOCKED */
        case 0x18: { /* NEW_CONNECTION_ID */
            varint(&r); varint(&r);
            if (r.p >= r.end) { r.bad = true; break; }
            uint8_t cidlen = *r.p++;
            skip(&r, (uint64_t)cidlen + 16);
            break;
        }
        case 0x1a: case 0x1b: skip(&r, 8); break; /* PATH_CHALLENGE / PATH_RESPONSE */
        case 0x1c: varint(&r); varint(&r); skip(&r, varint(&r)); break; /* CONNECTION_CLOSE */
        case 0x1d: varint(&r); skip(&r, varint(&r)); break;
        case 0x30: r.p = r.end; break;          /* DATAGRAM without length: rest of packet */
        case 0x31: skip(&r, varint(&r)); break; /* DATAGRAM with length */
        default: return true; /* unknown frame: stop (ngtcp2 will reject the packet) */
        }
    }    return true;
}

int cq_compat_decrypt_cb(uint8_t *dest, const ngtcp2_crypto_aead *aead, const ngtcp2_crypto_aead_ctx *aead_ctx,
                         const uint8_t *ciphertext, size_t ciphertextlen, const uint8_t *nonce, size_t noncelen,
                         const uint8_t *aad, size_t aadlen) {
    int rv = ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx, ciphertext, ciphertextlen, nonce, noncelen, aad,
                                      aadlen);
    if (rv == 0 && reading_conn && ciphertextlen >= aead->max_overhead &&
        !scan_stop_sending(reading_conn, dest, ciphertextlen - aead->max_overhead))
        return NGTCP2_ERR_DECRYPT;
    return rv;
}

void cq_compat_read_begin(cq_conn *c) {
    reading_conn = c;
    c->stop_record_count = 0;
}

/* Reports the packet's STOP_SENDING frames for the streams that still exist and have a send side. */
void cq_compat_read_end(cq_conn *c) {
    reading_conn = NULL;
    for (size_t i = 0; i < c->stop_record_count; i++) {
        cq_stream *s = cq_stream_get(c, (int64_t)c->stop_records[i].stream_id);
        if (s && (!stream_is_uni(s->id) || stream_is_local(c, s->id)))
            cq_conn_emit_peer_stop(c, s, c->stop_records[i].code);
    }
    c->stop_record_count = 0;
}

/* ngtcp2 closes a stream while reading the packet whose STOP_SENDING finished it: report the frame
 * before the stream goes. */
void cq_compat_stop_sending_before_close(cq_conn *c, cq_stream *s) {
    for (size_t i = 0; i < c->stop_record_count; i++)
        if ((int64_t)c->stop_records[i].stream_id == s->id) cq_conn_emit_peer_stop(c, s, c->stop_records[i].code);
}

/* ---- 2. lost packets ------------------------------------------------------------------------ */

/* Called with each piece of ngtcp2's qlog text while loss accounting is on. */
void cq_compat_count_lost(cq_conn *c, const void *qlog_text, size_t len) {
    static const char lost[] = "recovery:packet_lost";
    if (len < sizeof lost || len > 256) return; /* packet_lost events are short */
    size_t scan = len < 80 ? len : 80;         /* the name follows the time */
    if (memmem(qlog_text, scan, lost, sizeof lost - 1)) c->stats.packets_lost++;
}

void cq_compat_free(cq_conn *c) {
    free(c->stop_records);
    c->stop_records = NULL;
    c->stop_record_count = c->stop_record_cap = 0;
}
