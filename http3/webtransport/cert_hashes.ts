/**
 * `serverCertificateHashes` (W3C WebTransport): a server is trusted by the SHA-256 of its
 * leaf certificate instead of a CA, if that certificate meets the "custom certificate
 * requirements": X.509 v3, valid now, a validity period of at most 14 days, and an allowed
 * key (ECDSA or EdDSA; never RSA). The connection skips CA verification and this check runs
 * on the certificate the handshake delivered before any HTTP/3 byte is sent.
 *
 * @module
 */
import type { QuicConnection } from "../../quic/mod.ts";
import { QuicError } from "../../quic/mod.ts";

/** A pinned certificate hash, as in the W3C `WebTransportHash`. */
export interface WebTransportHash {
  /** "sha-256" (compared ASCII case-insensitively; hashes of other algorithms are ignored). */
  algorithm: string;
  /** The SHA-256 of the DER certificate. */
  value?: BufferSource;
}

/** The longest validity period a pinned certificate may have (W3C: two weeks). */
export const MAX_PINNED_VALIDITY_MS = 14 * 86400_000;

/** Key algorithms a pinned certificate may use: id-ecPublicKey, Ed25519, Ed448. */
const ALLOWED_KEYS = new Map([["1.2.840.10045.2.1", "ECDSA"], ["1.3.101.112", "Ed25519"], ["1.3.101.113", "Ed448"]]);
const RSA_KEYS = new Set(["1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10"]); // rsaEncryption, RSASSA-PSS

/** What the requirements read from a certificate. */
export interface CertificateFacts {
  /** X.509 version (3 for v3). */
  version: number;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** The subject public key's algorithm OID, dotted. */
  keyAlgorithm: string;
}

/** One DER element: its tag and the bounds of its content. */
interface Element {
  tag: number;
  start: number;
  end: number;
}

function malformed(what: string): never {
  throw new QuicError("handshake_failed", `the server's certificate is not valid DER (${what})`);
}

/** Reads the element at `at`, which must end by `limit`. */
function element(der: Uint8Array, at: number, limit: number): Element {
  if (at + 2 > limit) malformed("truncated");
  const tag = der[at];
  if ((tag & 0x1f) === 0x1f) malformed("multi-byte tag");
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) malformed("length form");
    if (start + n > limit) malformed("truncated length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  const end = start + length;
  if (end > limit) malformed("element past its parent");
  return { tag, start, end };
}

/** The children of a constructed element, in order. */
function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const e = element(der, at, parent.end);
    out.push(e);
    at = e.end;
  }
  return out;
}

function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) malformed(`${what} missing`);
  return e;
}

function oidText(der: Uint8Array, e: Element): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = e.start; i < e.end; i++) {
    v = v * 128 + (der[i] & 0x7f);
    if (!(der[i] & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  if (arcs.length === 0) malformed("empty OID");
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join(".");
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 has them. */
function timeOf(der: Uint8Array, e: Element): Date {
  const text = new TextDecoder().decode(der.subarray(e.start, e.end));
  const m = e.tag === 0x17
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : e.tag === 0x18
    ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : null;
  if (!m) malformed("validity time");
  let year = Number(m[1]);
  if (e.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, s] = m.slice(2).map(Number);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    malformed("validity time");
  }
  return date;
}

/**
 * Reads the version, validity and key algorithm of a DER X.509 certificate (nothing else is
 * parsed); a QuicError `handshake_failed` when it is malformed.
 *
 * @example
 * ```ts
 * import { generateDevCertificate } from "../../mod.ts";
 * const { certPem } = await generateDevCertificate({ days: 7 });
 * const der = Uint8Array.from(atob(certPem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
 * console.log(certificateFacts(der).keyAlgorithm); // "1.2.840.10045.2.1" (ECDSA)
 * ```
 */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const cert = expect(element(der, 0, der.length), 0x30, "certificate");
  if (cert.end !== der.length) malformed("bytes after the certificate");
  const tbs = children(der, expect(children(der, cert)[0], 0x30, "tbsCertificate"));
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    const v = expect(children(der, tbs[0])[0], 0x02, "version");
    if (v.end - v.start !== 1) malformed("version");
    version = der[v.start] + 1;
    i = 1;
  }
  expect(tbs[i], 0x02, "serialNumber");
  expect(tbs[i + 1], 0x30, "signature");
  expect(tbs[i + 2], 0x30, "issuer");
  const validity = children(der, expect(tbs[i + 3], 0x30, "validity"));
  if (validity.length !== 2) malformed("validity");
  expect(tbs[i + 4], 0x30, "subject");
  const spki = children(der, expect(tbs[i + 5], 0x30, "subjectPublicKeyInfo"));
  const algorithm = children(der, expect(spki[0], 0x30, "key algorithm"));
  return {
    version,
    notBefore: timeOf(der, validity[0]),
    notAfter: timeOf(der, validity[1]),
    keyAlgorithm: oidText(der, expect(algorithm[0], 0x06, "key algorithm OID")),
  };
}

function bytesOf(value: BufferSource): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function isBufferSource(v: unknown): v is BufferSource {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

/**
 * The `serverCertificateHashes` option checked as WebIDL would (a TypeError for a value that
 * is not a list of `{ algorithm, value? }`); an empty list means none.
 */
export function checkHashList(hashes: unknown): WebTransportHash[] | undefined {
  if (hashes === undefined) return undefined;
  if (!Array.isArray(hashes)) throw new TypeError("serverCertificateHashes must be an array of { algorithm, value }");
  for (const h of hashes) {
    if (typeof h !== "object" || h === null || typeof h.algorithm !== "string") {
      throw new TypeError("each serverCertificateHashes entry needs an algorithm string");
    }
    if (h.value !== undefined && !isBufferSource(h.value)) {
      throw new TypeError("serverCertificateHashes values must be an ArrayBuffer or a view of one");
    }
  }
  return hashes.length > 0 ? hashes : undefined;
}

/**
 * The W3C check of a server certificate `der` against `hashes` at `now`: its SHA-256 equals
 * one of the "sha-256" hashes, and it meets the custom certificate requirements. Throws a
 * QuicError `handshake_failed` saying which rule failed.
 *
 * @example
 * ```ts
 * import { generateDevCertificate } from "../../mod.ts";
 * const { certPem } = await generateDevCertificate({ days: 7 });
 * const der = Uint8Array.from(atob(certPem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
 * const value = await crypto.subtle.digest("SHA-256", der);
 * await verifyCertificateHashes(der, [{ algorithm: "sha-256", value }]); // passes
 * ```
 */
export async function verifyCertificateHashes(
  der: Uint8Array,
  hashes: readonly WebTransportHash[],
  now: number = Date.now(),
): Promise<void> {
  const reference = new Uint8Array(await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>));
  const matches = hashes.some((h) => {
    if (h.value === undefined || h.algorithm.toLowerCase() !== "sha-256") return false;
    const v = bytesOf(h.value);
    return v.length === reference.length && v.every((b, i) => b === reference[i]);
  });
  const refuse = (why: string): never => {
    throw new QuicError("handshake_failed", `serverCertificateHashes: ${why}`);
  };
  if (!matches) refuse("the server's certificate matches none of the given sha-256 hashes");
  const facts = certificateFacts(der);
  if (facts.version !== 3) refuse(`the certificate is X.509 v${facts.version}, not v3`);
  const period = facts.notAfter.getTime() - facts.notBefore.getTime();
  if (period > MAX_PINNED_VALIDITY_MS) {
    refuse(`the certificate is valid ${(period / 86400_000).toFixed(1)} days; at most 14 are allowed`);
  }
  if (now < facts.notBefore.getTime()) refuse(`the certificate is not valid before ${facts.notBefore.toISOString()}`);
  if (now > facts.notAfter.getTime()) refuse(`the certificate expired at ${facts.notAfter.toISOString()}`);
  if (!ALLOWED_KEYS.has(facts.keyAlgorithm)) {
    refuse(
      RSA_KEYS.has(facts.keyAlgorithm)
        ? "the certificate has an RSA key; only ECDSA and EdDSA keys are allowed"
        : `the certificate's key algorithm ${facts.keyAlgorithm} is not allowed (ECDSA or EdDSA only)`,
    );
  }
}

/**
 * Checks the certificate `quic`'s handshake delivered against `hashes` (see
 * {@link verifyCertificateHashes}). A QuicError `unsupported` when the libcoquic does not
 * expose the peer's certificate; `handshake_failed` when there is none or it is refused.
 */
export async function verifyPinnedConnection(quic: QuicConnection, hashes: readonly WebTransportHash[]): Promise<void> {
  const der = quic.peerCertificate(); // throws `unsupported` without the engine extension
  if (!der) throw new QuicError("handshake_failed", "serverCertificateHashes: the server sent no certificate");
  await verifyCertificateHashes(der, hashes);
}
