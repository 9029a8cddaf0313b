// The npm package's smoke test, run by tests/npm_smoke.sh under Node.js from a folder where
// the packed tarball was installed (no LD_LIBRARY_PATH): the bundled engine loads, an
// in-memory handshake + transfer completes through the low-level API, and a loopback echo
// works through the high-level API. Prints "ok …"/"FAIL …" lines and "N passed, N failed".
import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  ClientConfig,
  connect,
  Endpoint,
  EndpointConfig,
  generateDevCertificate,
  listen,
  loadCoquic,
  Role,
} from "@coquic/coquic";

const require = createRequire(import.meta.url);
const pkgDir = dirname(realpathSync(require.resolve("@coquic/coquic/package.json")));
let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    failed++;
  }
}

const pattern = (n) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
};

await check("runs on Node.js >= 20 without LD_LIBRARY_PATH", () => {
  assert.ok(Number(process.versions.node.split(".")[0]) >= 20, process.version);
  assert.equal(process.env.LD_LIBRARY_PATH, undefined);
});

let lib;
await check("the bundled engine and its bundled ngtcp2 load", async () => {
  lib = await loadCoquic();
  assert.equal(lib.ffi.name, "node");
  assert.equal(lib.path, join(pkgDir, "native/linux-x64/libcoquic-ngtcp2.so"));
  assert.equal(lib.abiVersion, 12);
  assert.match(lib.engine, /^ngtcp2\//);
  const maps = readFileSync("/proc/self/maps", "utf8");
  const dir = join(realpathSync(pkgDir), "native/linux-x64");
  for (const so of ["libcoquic-ngtcp2.so", "libngtcp2.so.16", "libngtcp2_crypto_gnutls.so.8"]) {
    assert.ok(maps.includes(join(dir, so)), `${so} not mapped from ${dir}`);
  }
});

await check("in-memory pair: handshake + 1 MiB stream transfer (low-level API)", async () => {
  const { certPem, keyPem } = await generateDevCertificate({ days: 1 });
  const config = (role) => {
    const c = EndpointConfig.default(lib);
    c.role = role;
    c.verifyPeer = false;
    c.applicationProtocol = "smoke";
    c.transport.maxIdleTimeout = 30_000;
    c.transport.initialMaxData = 64 << 20;
    c.transport.initialMaxStreamDataBidiLocal = 16 << 20;
    c.transport.initialMaxStreamDataBidiRemote = 16 << 20;
    c.transport.initialMaxStreamsBidi = 100;
    return c;
  };
  const sc = config(Role.SERVER);
  sc.identity = { certificatePem: certPem, privateKeyPem: keyPem };
  const ep = { client: Endpoint.create(lib, config(Role.CLIENT)), server: Endpoint.create(lib, sc) };
  let now = 1_000n;
  const queue = [];
  const received = [];
  let fin = false;
  let confirmed = false;
  const absorb = (side, r) => {
    for (const e of r.effects) {
      if (e.kind === "send_datagram") {
        queue.push({ to: side === "client" ? "server" : "client", bytes: e.bytes, at: now + 5_000n });
      } else if (side === "client" && e.kind === "state_event" && e.change === "handshake_confirmed") confirmed = true;
      else if (side === "server" && e.kind === "receive_stream_data") {
        received.push(e.bytes);
        if (e.fin) fin = true;
      }
    }
    if (r.sendContinuationPending) absorb(side, ep[side].timerExpired(now));
  };
  const cfg = ClientConfig.new(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1), lib);
  cfg.initialRouteHandle = 1n;
  const { connection, result } = ep.client.connect(cfg, now);
  absorb("client", result);
  const data = pattern(1 << 20);
  let sent = false;
  for (let steps = 0; !fin; steps++) {
    assert.ok(steps < 1_000_000, "too many steps");
    if (confirmed && !sent) {
      absorb("client", connection.sendStream(0n, data, true, now));
      sent = true;
    }
    const cw = ep.client.nextWakeup();
    const sw = ep.server.nextWakeup();
    const timer = cw === undefined ? sw : sw === undefined || cw < sw ? cw : sw;
    const next = queue[0];
    assert.ok(next !== undefined || timer !== undefined, "the pair went idle");
    if (next !== undefined && (timer === undefined || next.at <= timer)) {
      queue.shift();
      if (next.at > now) now = next.at;
      absorb(next.to, ep[next.to].receiveDatagram({ bytes: next.bytes, routeHandle: 1n }, now));
    } else {
      if (timer > now) now = timer;
      for (const side of ["client", "server"]) {
        const w = ep[side].nextWakeup();
        if (w !== undefined && w <= now) absorb(side, ep[side].timerExpired(now));
      }
    }
  }
  assert.ok(Buffer.concat(received).equals(Buffer.from(data)), "payload differs");
  ep.client.close();
  ep.server.close();
});

for (const io of ["runtime", "native"]) {
  await check(
    `loopback echo over UDP (high-level API, ${io === "runtime" ? "node:dgram" : "the engine's own socket"})`,
    async () => {
      const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "echo", io });
      (async () => {
        for await (const conn of listener) {
          (async () => {
            for await (const s of conn) if (s.readable && s.writable) s.readable.pipeTo(s.writable).catch(() => {});
          })();
        }
      })();
      const conn = await connect(listener.addr, {
        alpn: "echo",
        ca: listener.certificatePem,
        io,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(conn.observe().io.path, io);
      for (const size of [10, 256 << 10]) {
        const s = conn.openStream();
        const reading = s.bytes({ signal: AbortSignal.timeout(20_000) });
        const w = s.writable.getWriter();
        const data = pattern(size);
        await w.write(data);
        await w.close();
        const got = await reading;
        assert.ok(Buffer.from(got).equals(Buffer.from(data)), `echo of ${size} bytes differs`);
      }
      await conn.close();
      await listener.close();
    },
  );
}

await check(
  "WebTransport: our client and server (serve + upgradeWebTransport), pinned by certificate hash: 1 MiB bidi echo, a datagram, close code",
  async () => {
    const { serve } = await import("@coquic/coquic/http3");
    const { WebTransport, isWebTransportRequest, upgradeWebTransport } = await import("@coquic/coquic");
    const { createHash, X509Certificate } = await import("node:crypto");
    const cert = await generateDevCertificate({ days: 10 }); // pinnable: valid at most 14 days
    const hash = createHash("sha256").update(new X509Certificate(cert.certPem).raw).digest();
    let serverClosed;
    const options = { hostname: "127.0.0.1", port: 0, cert: cert.certPem, key: cert.keyPem, webTransport: true };
    const server = await serve(options, (req) => {
      if (!isWebTransportRequest(req)) return new Response("no", { status: 404 });
      const wt = upgradeWebTransport(req);
      serverClosed = wt.closed;
      void wt.ready.then(async () => {
        void wt.datagrams.readable.pipeTo(wt.datagrams.writable).catch(() => {});
        for await (const bs of wt.incomingBidirectionalStreams) void bs.readable.pipeTo(bs.writable).catch(() => {});
      }).catch(() => {});
      return new Response(null, { status: 200 });
    });
    try {
      const wt = new WebTransport(`https://127.0.0.1:${server.addr.port}/node`, {
        serverCertificateHashes: [{ algorithm: "sha-256", value: hash }],
      });
      await wt.ready;
      const bs = await wt.createBidirectionalStream();
      const data = pattern(1 << 20);
      const w = bs.writable.getWriter();
      const sending = (async () => {
        for (let at = 0; at < data.length; at += 65536) await w.write(data.subarray(at, at + 65536));
        await w.close();
      })();
      const parts = [];
      for await (const c of bs.readable) parts.push(c);
      await sending;
      assert.ok(Buffer.concat(parts).equals(Buffer.from(data)), "the WebTransport echo differs");
      const dw = wt.datagrams.writable.getWriter();
      const dr = wt.datagrams.readable.getReader();
      await dw.write(new TextEncoder().encode("node datagram"));
      assert.equal(new TextDecoder().decode((await dr.read()).value), "node datagram");
      wt.close({ closeCode: 3, reason: "node is done" });
      assert.deepEqual(await wt.closed, { closeCode: 3, reason: "node is done" });
      assert.deepEqual(await serverClosed, { closeCode: 3, reason: "node is done" });
    } finally {
      await server.shutdown({ timeoutMs: 500 });
    }
  },
);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
