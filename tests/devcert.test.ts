/**
 * Development certificates: openssl parses and verifies them (self-signed, as their own trust
 * anchor, for a server with localhost / 127.0.0.1 / ::1), the key matches the certificate,
 * and GnuTLS (the native engine's TLS library) accepts the certificate as its own trust anchor.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDevCertificate } from "../quic/devcert.ts";
import { oid, time, tlv, uint } from "../quic/der.ts";
import { test } from "./_harness.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8", timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "coquic-devcert-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("der: lengths, integers, OIDs and times", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(3))), "0403000000");
  assert.equal(hex(tlv(0x04, new Uint8Array(200)).subarray(0, 3)), "0481c8");
  assert.equal(hex(tlv(0x04, new Uint8Array(300)).subarray(0, 4)), "0482012c");
  assert.equal(hex(uint(new Uint8Array([0, 0, 5]))), "020105");
  assert.equal(hex(uint(new Uint8Array([0x80]))), "02020080"); // sign byte added
  assert.equal(hex(uint(new Uint8Array([0]))), "020100");
  assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.equal(hex(oid("2.5.29.17")), "0603551d11");
  assert.equal(new TextDecoder().decode(time(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))).subarray(2)), "260102030405Z");
  assert.equal(time(new Date(Date.UTC(2050, 0, 1)))[0], 0x18); // GeneralizedTime from 2050 on
});

test("devcert: openssl parses it, verifies it against itself, key matches", async () => {
  const c = await generateDevCertificate();
  assert.match(c.certPem, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
  assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(c.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const days = (c.notAfter.getTime() - Date.now()) / 86400_000;
  assert.ok(days > 13.9 && days <= 14.01, `notAfter ${c.notAfter.toISOString()}`);
  withDir((dir) => {
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    writeFileSync(cert, c.certPem);
    writeFileSync(key, c.keyPem);
    const text = openssl(["x509", "-in", cert, "-noout", "-text"]);
    assert.ok(text.ok, text.out);
    assert.match(text.out, /Version: 3 \(0x2\)/);
    assert.match(text.out, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text.out, /Issuer: CN ?= ?localhost/);
    assert.match(text.out, /Subject: CN ?= ?localhost/);
    assert.match(text.out, /NIST CURVE: P-256/);
    assert.match(text.out, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text.out, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text.out, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text.out, /Extended Key Usage: \s+TLS Web Server Authentication/);
    const serial = /Serial Number:\s+([0-9a-f:]+)/.exec(text.out);
    assert.ok(serial && serial[1].split(":").length === 16, `16-byte serial: ${serial?.[1]}`);

    for (
      const extra of [["-check_ss_sig"], ["-purpose", "sslserver", "-verify_hostname", "localhost"], [
        "-verify_ip",
        "127.0.0.1",
      ], ["-verify_ip", "::1"]]
    ) {
      const v = openssl(["verify", "-CAfile", cert, ...extra, cert]);
      assert.ok(v.ok && /cert\.pem: OK/.test(v.out), `openssl verify ${extra.join(" ")}: ${v.out}`);
    }
    const wrong = openssl(["verify", "-CAfile", cert, "-verify_hostname", "example.com", cert]);
    assert.ok(!wrong.ok, "a name outside subjectAltName must fail");

    const fp = openssl(["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"]);
    assert.ok(fp.out.includes(c.fingerprintSha256), fp.out);
    const days = openssl(["x509", "-in", cert, "-noout", "-checkend", String(13 * 86400)]);
    assert.ok(days.ok, "still valid in 13 days");
    const notYet = openssl(["x509", "-in", cert, "-noout", "-checkend", String(15 * 86400)]);
    assert.ok(!notYet.ok, "expired in 15 days");

    assert.ok(openssl(["pkey", "-in", key, "-noout"]).ok, "openssl pkey parses the key");
    const pubFromKey = openssl(["pkey", "-in", key, "-pubout"]);
    const pubFromCert = openssl(["x509", "-in", cert, "-noout", "-pubkey"]);
    assert.ok(pubFromKey.ok && pubFromCert.ok);
    assert.equal(pubFromKey.out, pubFromCert.out, "the key's public half is the certificate's key");
  });
});

test("devcert: options (name, alternative names, days), fresh keys and serials", async () => {
  const a = await generateDevCertificate({
    commonName: "dev.test",
    subjectAltNames: ["dev.test", "10.1.2.3", "fe80::1"],
    days: 2,
  });
  const b = await generateDevCertificate();
  assert.notEqual(a.fingerprintSha256, b.fingerprintSha256);
  assert.notEqual(a.keyPem, b.keyPem);
  assert.ok(Math.abs(a.notAfter.getTime() - (Date.now() + 2 * 86400_000)) < 60_000);
  withDir((dir) => {
    const cert = join(dir, "cert.pem");
    writeFileSync(cert, a.certPem);
    const text = openssl(["x509", "-in", cert, "-noout", "-text"]);
    assert.ok(text.ok, text.out);
    assert.match(text.out, /Subject: CN ?= ?dev\.test/);
    assert.match(text.out, /DNS:dev\.test, IP Address:10\.1\.2\.3, IP Address:FE80:0:0:0:0:0:0:1/i);
    assert.ok(openssl(["verify", "-CAfile", cert, "-verify_hostname", "dev.test", cert]).ok);
    assert.ok(!openssl(["verify", "-CAfile", cert, "-verify_hostname", "localhost", cert]).ok);
  });
});

test("devcert: notBefore and keyType RSA (openssl verifies the RSA self-signature); bad options rejected", async () => {
  const start = new Date(Date.now() - 10 * 86400_000);
  const rsa = await generateDevCertificate({ notBefore: start, days: 20, keyType: "RSA" });
  assert.equal(rsa.notAfter.getTime(), start.getTime() + 20 * 86400_000); // days count from notBefore
  withDir((dir) => {
    const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
    writeFileSync(cert, rsa.certPem);
    writeFileSync(key, rsa.keyPem);
    const text = openssl(["x509", "-in", cert, "-noout", "-text"]);
    assert.ok(text.ok, text.out);
    assert.match(text.out, /Public Key Algorithm: rsaEncryption/);
    assert.match(text.out, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.ok(openssl(["verify", "-CAfile", cert, cert]).ok, "self-signature verifies");
    const mod = (args: string[]) => openssl(args).out.trim();
    assert.equal(mod(["x509", "-in", cert, "-noout", "-modulus"]), mod(["rsa", "-in", key, "-noout", "-modulus"]));
  });
  const { QuicError } = await import("../quic/quic_error.ts");
  const invalid = (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument";
  await assert.rejects(generateDevCertificate({ days: 0 }), invalid);
  await assert.rejects(generateDevCertificate({ days: Number.NaN }), invalid);
  await assert.rejects(generateDevCertificate({ notBefore: new Date(Number.NaN) }), invalid);
  await assert.rejects(generateDevCertificate({ keyType: "DSA" as "RSA" }), invalid);
});

// GnuTLS, as the native engine uses it: the certificate as the only trusted CA, verified for
// a TLS server with a host name (what gnutls_session_set_verify_cert checks), plus its IPs.
// GnuTLS trusts a certificate found in its trust list without checking its signature, so the
// self-signature (the DER-converted WebCrypto ECDSA signature) is checked separately.
const GNUTLS_CHECK = String.raw`
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
int main(int argc, char **argv) {
  gnutls_datum_t pem;
  if (argc < 3 || gnutls_load_file(argv[1], &pem) < 0) { puts("load failed"); return 2; }
  gnutls_x509_trust_list_t list; gnutls_x509_crt_t crt;
  gnutls_x509_trust_list_init(&list, 0); gnutls_x509_crt_init(&crt);
  if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0) { puts("import failed"); return 1; }
  if (gnutls_x509_trust_list_add_trust_mem(list, &pem, NULL, GNUTLS_X509_FMT_PEM, 0, 0) != 1) { puts("trust failed"); return 1; }
  gnutls_typed_vdata_st data[2] = {
    { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)argv[2], 0 },
    { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
  };
  unsigned status = 0;
  int rv = gnutls_x509_trust_list_verify_crt2(list, &crt, 1, data, 2, 0, &status, NULL);
  if (rv < 0 || status != 0) {
    gnutls_datum_t out; gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
    printf("verify failed rv=%d status=0x%x %s\n", rv, status, out.data); return 1;
  }
  /* A trust anchor's own signature is never checked above: check it explicitly. */
  if (gnutls_x509_crt_verify(crt, &crt, 1, GNUTLS_VERIFY_DO_NOT_ALLOW_SAME | GNUTLS_VERIFY_DISABLE_CA_SIGN, &status) < 0 || status) {
    printf("self-signature failed status=0x%x\n", status); return 1;
  }
  for (int i = 3; i < argc; i++) {
    unsigned char ip[16]; int len = strchr(argv[i], ':') ? 16 : 4;
    if (inet_pton(len == 16 ? AF_INET6 : AF_INET, argv[i], ip) != 1) { puts("bad ip"); return 2; }
    if (!gnutls_x509_crt_check_ip(crt, ip, len, 0)) { printf("ip %s not in certificate\n", argv[i]); return 1; }
  }
  puts("OK");
  return 0;
}
`;

test("devcert: GnuTLS trusts it as its own anchor for localhost, 127.0.0.1 and ::1", async () => {
  const c = await generateDevCertificate();
  await withDir((dir) => {
    writeFileSync(join(dir, "check.c"), GNUTLS_CHECK);
    const exe = join(dir, "check");
    const cc = spawnSync("cc", ["-o", exe, join(dir, "check.c"), "-lgnutls"], { encoding: "utf8", timeout: 60_000 });
    if (cc.status !== 0) {
      // scripts/setup installs libgnutls28-dev (the engine needs it); without it there is nothing to check against
      console.warn(`skipping GnuTLS check: cannot build against GnuTLS: ${cc.stderr ?? cc.error}`);
      return;
    }
    const cert = join(dir, "cert.pem");
    writeFileSync(cert, c.certPem);
    const run = (...args: string[]) => spawnSync(exe, [cert, ...args], { encoding: "utf8", timeout: 10_000 });
    const ok = run("localhost", "127.0.0.1", "::1");
    assert.equal(ok.status, 0, ok.stdout);
    assert.equal(ok.stdout.trim(), "OK");
    const badName = run("example.com");
    assert.equal(badName.status, 1, "a name outside subjectAltName is rejected");
    assert.match(badName.stdout, /does not match/);
    const badIp = run("localhost", "10.0.0.1");
    assert.equal(badIp.status, 1, "an IP outside subjectAltName is rejected");
    // A tampered signature must not verify.
    const der = Uint8Array.from(atob(c.certPem.replace(/-----[A-Z ]+-----|\n/g, "")), (ch) => ch.charCodeAt(0));
    der[der.length - 5] ^= 0x01;
    const b64 = btoa(String.fromCharCode(...der)).match(/.{1,64}/g)!.join("\n");
    writeFileSync(cert, `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    const tampered = run("localhost");
    assert.equal(tampered.status, 1, `tampered signature verified: ${tampered.stdout}`);
    assert.match(tampered.stdout, /self-signature failed/);
    const ssl = openssl(["verify", "-check_ss_sig", "-CAfile", cert, cert]);
    assert.ok(!ssl.ok, "openssl -check_ss_sig rejects the tampered signature too");
  });
});
