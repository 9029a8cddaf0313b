/**
 * Test certificates: a self-signed ECDSA P-256 certificate for localhost (and 127.0.0.1,
 * ::1), made once per process with WebCrypto by `quic/devcert.ts`.
 *
 * @module
 */
import { generateDevCertificate } from "../quic/devcert.ts";

/** A PEM certificate and key. */
export interface TestCert {
  certPem: string;
  keyPem: string;
}

let cached: Promise<TestCert> | undefined;

/**
 * The shared test certificate.
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = await testCert();
 * ```
 */
export function testCert(): Promise<TestCert> {
  return cached ??= generateDevCertificate({ days: 2 }).then(({ certPem, keyPem }) => ({ certPem, keyPem }));
}
