/**
 * Test certificates: a self-signed ECDSA P-256 certificate for a name, made once per
 * process with the openssl CLI (Debian's openssl, installed by scripts/setup).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A PEM certificate and key. */
export interface TestCert {
  certPem: string;
  keyPem: string;
}

const cache = new Map<string, TestCert>();

/**
 * A self-signed certificate for `name` (DNS name, plus 127.0.0.1 and ::1).
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = testCert();
 * ```
 */
export function testCert(name = "localhost"): TestCert {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), "coquic-cert-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name},IP:127.0.0.1,IP:::1`,
      "-days", "2", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    const cert = { certPem: readFileSync(join(dir, "cert.pem"), "utf8"), keyPem: readFileSync(join(dir, "key.pem"), "utf8") };
    cache.set(name, cert);
    return cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
