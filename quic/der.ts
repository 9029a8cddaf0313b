/**
 * The few DER encodings a self-signed X.509 certificate needs.
 *
 * @module
 */

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A tag-length-value element. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return concat(new Uint8Array([tag, ...len]), content);
}

/** SEQUENCE. */
export const seq = (...items: Uint8Array[]) => tlv(0x30, concat(...items));
/** SET. */
export const set = (...items: Uint8Array[]) => tlv(0x31, concat(...items));
/** Context-specific constructed [n] (EXPLICIT). */
export const explicit = (n: number, content: Uint8Array) => tlv(0xa0 | n, content);
/** OCTET STRING. */
export const octets = (b: Uint8Array) => tlv(0x04, b);
/** BIT STRING with no unused bits. */
export const bits = (b: Uint8Array) => tlv(0x03, concat(new Uint8Array([0]), b));
/** BOOLEAN. */
export const bool = (v: boolean) => tlv(0x01, new Uint8Array([v ? 0xff : 0]));
/** UTF8String. */
export const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, sign-safe). */
export function uint(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0] & 0x80 ? concat(new Uint8Array([0]), b) : b);
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(text: string): Uint8Array {
  const arcs = text.split(".").map(Number);
  const out: number[] = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as X.509 requires. */
export function time(d: Date): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const y = d.getUTCFullYear();
  const hms = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${hms}Z`;
  const enc = new TextEncoder();
  return y >= 1950 && y < 2050
    ? tlv(0x17, enc.encode(`${p(y % 100)}${rest}`))
    : tlv(0x18, enc.encode(`${p(y, 4)}${rest}`));
}

/** PEM armour. */
export function pem(label: string, der: Uint8Array): string {
  let b64 = "";
  const chunk = 0x8000;
  let bin = "";
  for (let i = 0; i < der.length; i += chunk) bin += String.fromCharCode(...der.subarray(i, i + chunk));
  b64 = btoa(bin);
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}
