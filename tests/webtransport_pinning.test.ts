// serverCertificateHashes on our WebTransport client: the server is trusted by the SHA-256 of
// its self-signed certificate with no `ca`, under the W3C rules (the hash must match; the
// certificate must be v3, valid now, valid at most 14 days, with an ECDSA or EdDSA key); the
// check runs before any HTTP/3 byte leaves, and a refusal is a WebTransportError whose cause
// is a QuicError. Needs the engine's peer-certificate extension (skipped, with the reason,
// under COQUIC_CORE_ABI_ONLY=1, where the unsupported case runs instead).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "./_harness.ts";
import { ext, needs } from "./_ext.ts";
import { echo, readAll, writeAll, wtServer } from "./_wt.ts";
import { WebTransport, WebTransportError } from "../http3/webtransport/mod.ts";
import {
  certificateFacts,
  checkHashList,
  MAX_PINNED_VALIDITY_MS,
  verifyCertificateHashes,
} from "../http3/webtransport/cert_hashes.ts";
import { generateDevCertificate, listen, QuicError } from "../mod.ts";
import type { DevCertificateOptions } from "../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const DAY = 86400_000;

function derOf(pem: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
}

async function sha256(der: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", der));
}

/** A certificate and its pin. */
async function pinnedCert(options: DevCertificateOptions = { days: 10 }) {
  const cert = await generateDevCertificate(options);
  const der = derOf(cert.certPem);
  return { cert, der, hash: await sha256(der) };
}

/** `ready` rejects with a WebTransportError caused by a QuicError of `kind` whose message matches `pattern`. */
async function refusedWith(wt: WebTransport, kind: string, pattern: RegExp): Promise<void> {
  const e = await wt.ready.then(() => undefined, (err) => err);
  assert.ok(e instanceof WebTransportError, `ready rejected with ${e}`);
  assert.equal(e.source, "session");
  assert.ok(e.cause instanceof QuicError, `cause ${e.cause}`);
  assert.equal(e.cause.kind, kind);
  assert.match(e.message, pattern);
  await assert.rejects(wt.closed, WebTransportError);
}

const peerCert = needs("peerCertificate");

test(
  "webtransport pinning: the right hash opens a session with no ca (case-insensitive algorithm, among others)",
  async () => {
    const { cert, hash } = await pinnedCert();
    const server = await wtServer(echo, { cert });
    try {
      const wt = new WebTransport(`${server.url}/pinned`, {
        serverCertificateHashes: [
          { algorithm: "sha-256", value: new Uint8Array(32) }, // another server's
          { algorithm: "sha-1", value: hash }, // the right bytes under another algorithm: ignored
          { algorithm: "SHA-256", value: hash.buffer as ArrayBuffer }, // ours, as an ArrayBuffer
        ],
      });
      await wt.ready;
      const bs = await wt.createBidirectionalStream();
      await writeAll(bs.writable, enc("pinned echo"));
      assert.equal(dec(await readAll(bs.readable)), "pinned echo");
      wt.close({ closeCode: 3, reason: "done" });
      assert.deepEqual(await wt.closed, { closeCode: 3, reason: "done" });
      // hashes replace CA verification: a `ca` of another certificate changes nothing
      const other = await generateDevCertificate({ days: 2 });
      const withCa = new WebTransport(`${server.url}/pinned`, {
        ca: other.certPem,
        serverCertificateHashes: [{ algorithm: "sha-256", value: hash }],
      });
      await withCa.ready;
      withCa.close();
    } finally {
      await server.shutdown({ timeoutMs: 500 });
    }
  },
  peerCert,
);

test("webtransport pinning: a wrong hash is refused before any HTTP/3 byte is sent", async () => {
  const { cert, der } = await pinnedCert();
  // a bare QUIC server speaking h3, whose qlog shows every frame the client sent
  const dir = mkdtempSync(join(tmpdir(), "coquic-pin-"));
  const listener = await listen({ alpn: "h3", cert: cert.certPem, key: cert.keyPem, qlogDir: dir });
  try {
    const wrong = new Uint8Array(await sha256(der));
    wrong[0] ^= 1;
    const wt = new WebTransport(`https://127.0.0.1:${listener.addr.port}/`, {
      serverCertificateHashes: [{ algorithm: "sha-256", value: wrong }],
    });
    await refusedWith(wt, "handshake_failed", /matches none of the given sha-256 hashes/);
    // the client's Initial and its CONNECTION_CLOSE (sent before ready rejected) reach the
    // server; the engine writes a connection's qlog out when the connection is freed: close the listener
    for (let i = 0; i < 150 && listener.observe().datagramsReceived < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    await listener.close({ timeoutMs: 200 });
    const frames = readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), "utf8").split("\x1e").filter((l) => l.includes("transport:packet_received"))
        .flatMap((l) => [...l.matchAll(/"frame_type":"([a-z_]+)"/g)].map((m) => m[1]))
    );
    assert.ok(frames.includes("crypto") && frames.includes("connection_close"), `frames: ${frames}`);
    assert.ok(!frames.includes("stream"), `the client sent stream frames: ${frames}`);
  } finally {
    await listener.close({ timeoutMs: 200 });
    rmSync(dir, { recursive: true, force: true });
  }
}, needs(["peerCertificate", "qlog"]));

for (
  const [name, options, kind, pattern] of [
    ["valid longer than 14 days", { days: 15 }, "handshake_failed", /valid 15\.0 days; at most 14/],
    ["expired", { notBefore: new Date(Date.now() - 10 * DAY), days: 5 }, "handshake_failed", /expired at/],
    ["not valid yet", { notBefore: new Date(Date.now() + DAY), days: 5 }, "handshake_failed", /not valid before/],
    ["an RSA key", { days: 10, keyType: "RSA" }, "handshake_failed", /RSA key; only ECDSA and EdDSA/],
  ] as const
) {
  test(`webtransport pinning: a certificate ${name} is refused even with its right hash`, async () => {
    const { cert, hash } = await pinnedCert(options);
    let sessions = 0;
    const server = await wtServer(() => void sessions++, { cert });
    try {
      const wt = new WebTransport(server.url, { serverCertificateHashes: [{ algorithm: "sha-256", value: hash }] });
      await refusedWith(wt, kind, pattern);
      assert.equal(sessions, 0);
    } finally {
      await server.shutdown({ timeoutMs: 500 });
    }
  }, peerCert);
}

test(
  "webtransport pinning: hashes without the engine's peer-certificate extension are refused as unsupported",
  async () => {
    const { cert, hash } = await pinnedCert();
    const server = await wtServer(() => {}, { cert });
    try {
      const wt = new WebTransport(server.url, { serverCertificateHashes: [{ algorithm: "sha-256", value: hash }] });
      await refusedWith(wt, "unsupported", /does not expose the peer's certificate/);
    } finally {
      await server.shutdown({ timeoutMs: 500 });
    }
  },
  ext.peerCertificate ? { skip: "runs where the library lacks the peer-certificate extension (core-ABI mode)" } : {},
);

test("webtransport pinning: hashes with allowPooling are a NotSupportedError; malformed hashes a TypeError", () => {
  const hashes = [{ algorithm: "sha-256", value: new Uint8Array(32) }];
  assert.throws(
    () => new WebTransport("https://127.0.0.1:1/", { serverCertificateHashes: hashes, allowPooling: true }),
    (e: unknown) => e instanceof DOMException && e.name === "NotSupportedError",
  );
  const bad = [{ algorithm: "sha-256", value: "00ff" }] as unknown as typeof hashes;
  assert.throws(() => new WebTransport("https://127.0.0.1:1/", { serverCertificateHashes: bad }), TypeError);
  assert.equal(checkHashList([]), undefined); // an empty list is no pinning
  assert.throws(() => checkHashList([{ value: new Uint8Array(32) }]), TypeError);
});

test("webtransport pinning rules: what the certificate parser reads, and each rule on its own", async () => {
  const now = Date.now();
  const { der, hash } = await pinnedCert({ days: 14, notBefore: new Date(now - 3600_000) });
  const facts = certificateFacts(der);
  assert.equal(facts.version, 3);
  assert.equal(facts.keyAlgorithm, "1.2.840.10045.2.1");
  assert.equal(facts.notAfter.getTime() - facts.notBefore.getTime(), MAX_PINNED_VALIDITY_MS); // exactly 14 days: allowed
  const pins = [{ algorithm: "sha-256", value: hash }];
  await verifyCertificateHashes(der, pins, now);
  const refused = (p: Promise<void>, pattern: RegExp) =>
    assert.rejects(
      p,
      (e: unknown) => e instanceof QuicError && e.kind === "handshake_failed" && pattern.test(e.reason),
    );
  await refused(verifyCertificateHashes(der, pins, now + 15 * DAY), /expired/);
  await refused(verifyCertificateHashes(der, pins, now - DAY), /not valid before/);
  await refused(verifyCertificateHashes(der, [{ algorithm: "sha-256" }], now), /matches none/); // no value: ignored
  await refused(verifyCertificateHashes(der, [{ algorithm: "sha-384", value: hash }], now), /matches none/);
  // malformed DER: a refusal, never a crash
  for (const broken of [der.subarray(0, 40), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), new Uint8Array(0)]) {
    const copy = new Uint8Array(broken);
    await refused(verifyCertificateHashes(copy, [{ algorithm: "sha-256", value: await sha256(copy) }], now), /DER/);
  }
  // 500 random corruptions (1-3 bytes changed, or cut short): each parses or is a QuicError, nothing else
  let seed = 0x2843;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 500; i++) {
    const mutated = new Uint8Array(der);
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    }
    const input = i % 10 === 0 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
    try {
      certificateFacts(input);
    } catch (e) {
      assert.ok(e instanceof QuicError && e.kind === "handshake_failed", `mutation ${i} threw ${e}`);
    }
  }
  const rsa = await pinnedCert({ days: 5, keyType: "RSA" });
  assert.equal(certificateFacts(rsa.der).keyAlgorithm, "1.2.840.113549.1.1.1");
});
