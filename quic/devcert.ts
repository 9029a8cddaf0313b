/**
 * Self-signed development certificates made in TypeScript with WebCrypto (ECDSA P-256,
 * or RSA for tests; SHA-256): no openssl, no shelling out. For `listen()` without a certificate.
 *
 * @module
 */
import { parseIpv4, parseIpv6 } from "../runtimes/address.ts";
import { QuicError } from "./quic_error.ts";
import { bits, bool, explicit, octets, oid, pem, seq, set, time, tlv, uint, utf8 } from "./der.ts";

/**
 * A generated certificate.
 *
 * @example
 * ```ts
 * const { certPem, keyPem }: DevCertificate = await generateDevCertificate();
 * ```
 */
export interface DevCertificate {
  /** PEM certificate. */
  certPem: string;
  /** PEM PKCS#8 private key ("PRIVATE KEY"). */
  keyPem: string;
  /** SHA-256 of the DER certificate, as colon-separated upper-case hex. */
  fingerprintSha256: string;
  /** End of validity. */
  notAfter: Date;
}

/**
 * Options for {@link generateDevCertificate}.
 *
 * @example
 * ```ts
 * const opts: DevCertificateOptions = { days: 7 };
 * ```
 */
export interface DevCertificateOptions {
  /** Subject common name (default "localhost"). */
  commonName?: string;
  /** DNS names and IP addresses for subjectAltName (default localhost, 127.0.0.1, ::1). */
  subjectAltNames?: string[];
  /** Validity in days, from `notBefore` when given, else from now (default 14). */
  days?: number;
  /** Start of validity (default an hour ago, for clocks slightly behind). */
  notBefore?: Date;
  /**
   * Key type (default "ECDSA", P-256). "RSA" (2048 bits, PKCS#1 v1.5 signature) is for tests
   * of peers that refuse RSA, e.g. WebTransport's `serverCertificateHashes`.
   */
  keyType?: "ECDSA" | "RSA";
}

/** Converts WebCrypto's raw r||s ECDSA signature to DER. */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return seq(uint(raw.subarray(0, half)), uint(raw.subarray(half)));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/**
 * Generates a self-signed certificate and key.
 *
 * @example
 * ```ts
 * const cert = await generateDevCertificate({ subjectAltNames: ["localhost", "127.0.0.1"] });
 * console.log(cert.fingerprintSha256);
 * ```
 */
export async function generateDevCertificate(options: DevCertificateOptions = {}): Promise<DevCertificate> {
  const cn = options.commonName ?? "localhost";
  const names = options.subjectAltNames ?? ["localhost", "127.0.0.1", "::1"];
  const rsa = options.keyType === "RSA";
  if (options.keyType !== undefined && options.keyType !== "ECDSA" && !rsa) {
    throw new QuicError("invalid_argument", `keyType must be "ECDSA" or "RSA", got ${options.keyType}`);
  }
  const days = options.days ?? 14;
  if (typeof days !== "number" || !Number.isFinite(days) || days <= 0) {
    throw new QuicError("invalid_argument", `days must be a positive number, got ${days}`);
  }
  if (options.notBefore !== undefined && !(options.notBefore instanceof Date && Number.isFinite(+options.notBefore))) {
    throw new QuicError("invalid_argument", "notBefore must be a valid Date");
  }
  const algorithm = rsa
    ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
    : { name: "ECDSA", namedCurve: "P-256" };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  serial[0] |= 0x01; // positive and never zero
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 3600_000);
  const notAfter = new Date((options.notBefore ? +options.notBefore : now) + days * 86400_000);
  // ecdsa-with-SHA256, or sha256WithRSAEncryption (whose parameters are an explicit NULL)
  const signatureAlgorithm = rsa
    ? seq(oid("1.2.840.113549.1.1.11"), tlv(0x05, new Uint8Array(0)))
    : seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), utf8(cn))));
  const altNames = names.map((n) => {
    const ip = parseIpv4(n) ?? (n.includes(":") ? parseIpv6(n) : undefined);
    return ip ? tlv(0x87, ip) : tlv(0x82, new TextEncoder().encode(n));
  });
  const extension = (id: string, critical: boolean, value: Uint8Array) =>
    critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
  const extensions = seq(
    extension("2.5.29.17", false, seq(...altNames)), // subjectAltName
    // basicConstraints CA:FALSE, critical: an end-entity certificate. GnuTLS (the engine's TLS)
    // and OpenSSL both accept it when the certificate itself is the trusted anchor (GnuTLS
    // trusts a certificate found in its trust list as is); tests/devcert.test.ts checks both.
    extension("2.5.29.19", true, seq()),
    extension("2.5.29.15", true, tlv(0x03, new Uint8Array([7, 0x80]))), // keyUsage: digitalSignature
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
  );
  const tbs = seq(
    explicit(0, uint(new Uint8Array([2]))), // v3
    uint(serial),
    signatureAlgorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      rsa ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      tbs as Uint8Array<ArrayBuffer>,
    ),
  );
  const der = seq(tbs, signatureAlgorithm, bits(rsa ? signature : ecdsaDer(signature)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>));
  return {
    certPem: pem("CERTIFICATE", der),
    keyPem: pem("PRIVATE KEY", pkcs8),
    fingerprintSha256: hex(digest),
    notAfter,
  };
}
