/**
 * Whether a datagram from an address never seen before can open a connection: a QUIC Initial
 * (long header, fixed bit, version 1 or 2 and that version's Initial type, connection IDs of at
 * most 20 bytes) in a datagram of at least 1,200 bytes (RFC 9000 §14.1). With manual admission,
 * only such peers are offered to `incoming()`: garbage from a new address is dropped with no
 * state kept (the engine would drop it too). The native socket applies the same rule in C.
 *
 * @module
 */

const QUIC_V1 = 0x0000_0001;
const QUIC_V2 = 0x6b33_43cf;

/**
 * Whether `d` parses as the first datagram of a new connection.
 *
 * @example
 * ```ts
 * opensConnection(new Uint8Array(1200)); // false: not a long header
 * ```
 */
export function opensConnection(d: Uint8Array): boolean {
  if (d.length < 1200 || (d[0] & 0xc0) !== 0xc0) return false;
  const version = ((d[1] << 24) | (d[2] << 16) | (d[3] << 8) | d[4]) >>> 0;
  const type = (d[0] & 0x30) >> 4; // Initial is 0 in v1 and 1 in v2 (RFC 9369 §3.2)
  if (!((version === QUIC_V1 && type === 0) || (version === QUIC_V2 && type === 1))) return false;
  const dcidLen = d[5];
  if (dcidLen > 20 || 6 + dcidLen >= d.length) return false;
  const scidLen = d[6 + dcidLen];
  return scidLen <= 20 && 7 + dcidLen + scidLen < d.length;
}
