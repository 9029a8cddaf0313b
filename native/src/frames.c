/*
 * A minimal QUIC frame walker over decrypted packet payloads. ngtcp2 1.11 has no
 * callback for a peer's STOP_SENDING frame (it resets the stream by itself), so the
 * engine finds those frames here to report PEER_STOP_SENDING. Malformed input simply
 * ends the walk; ngtcp2 rejects such packets itself.
 */
#include "internal.h"

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

void cq_scan_stop_sending(const uint8_t *payload, size_t len, cq_stop_sending_fn fn, void *ctx) {
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
            if (!r.bad) fn(ctx, id, code);
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
        default: return; /* unknown frame: stop (ngtcp2 will reject the packet) */
        }
    }
}
