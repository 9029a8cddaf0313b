// Half-open handshakes from spoofed addresses no longer lock real clients out (issue 17 item
// 8): 300 genuine Initials (each a new connection ID, never completed) used to fill a
// listener's maxConnections of 100 until their 10 s handshake timeout, refusing every real
// client meanwhile. Beyond 50 unvalidated handshakes (half of maxConnections; 64 at most) the
// engine now answers new Initials with a Retry, which only a client at a real address passes.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { connect, listen } from "../mod.ts";
import { loadCoquicSync } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { EndpointConfig } from "../quic/config.ts";
import { ClientConfig, Endpoint } from "../quic/endpoint.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { echo } from "./_echo.ts";
import { needs } from "./_ext.ts";

/** `n` first-flight datagrams of real client handshakes that will never go further. */
function genuineInitials(n: number, alpn: string): Uint8Array[] {
  const lib = loadCoquicSync();
  const c = EndpointConfig.default(lib);
  c.role = Role.CLIENT;
  c.verifyPeer = false;
  c.applicationProtocol = alpn;
  const ep = Endpoint.create(lib, c);
  const out: Uint8Array[] = [];
  try {
    for (let i = 0; out.length < n && i < 2 * n; i++) {
      const cfg = ClientConfig.new(
        crypto.getRandomValues(new Uint8Array(8)),
        crypto.getRandomValues(new Uint8Array(8)),
        lib,
      );
      cfg.initialRouteHandle = 1n;
      const first = ep.connect(cfg, 1_000n).result.effects.find((e) => e.kind === "send_datagram");
      if (first?.kind === "send_datagram") out.push(first.bytes.slice());
    }
  } finally {
    ep.close();
  }
  return out;
}

test(
  "initial flood: 300 spoofed half-open handshakes do not lock a real client out of maxConnections 100",
  async () => {
    const listener = await listen({ alpn: "flood", maxConnections: 100 });
    (async () => {
      for await (const conn of listener) {
        (async () => {
          for await (const s of conn) if (s.readable && s.writable) s.readable.pipeTo(s.writable).catch(() => {});
        })();
      }
    })();
    const spoofer = await bindUdp({ hostname: "127.0.0.1", port: 0 });
    try {
      const initials = genuineInitials(300, "flood");
      for (let i = 0; i < initials.length; i += 50) {
        spoofer.sendBatch(initials.slice(i, i + 50), initials.slice(i, i + 50).map(() => listener.addr));
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 200)); // the server has taken them all in
      const started = Date.now();
      const conn = await connect(listener.addr, {
        alpn: "flood",
        ca: listener.certificatePem,
        signal: AbortSignal.timeout(3000),
      });
      assert.deepEqual(await echo(conn, new TextEncoder().encode("through")), new TextEncoder().encode("through"));
      assert.ok(Date.now() - started < 3000);
      await conn.close();
    } finally {
      spoofer.close();
      await listener.close({ timeoutMs: 500 });
    }
  },
  needs("lastError"),
); // our engine's behaviour (an upstream libcoquic may lock out)
