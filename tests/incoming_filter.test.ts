// Manual admission offers only peers whose first datagram is a QUIC Initial (issue 17 item 9):
// garbage from 100 new addresses used to give 100 QuicIncoming offers, each failing accept()
// as "refused". Now it makes no offer and no peer state; a real client then gets the first
// offer and connects. On both I/O paths (the engine's socket filters in C, the runtime driver
// in TypeScript).
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { connect, listen, type QuicIncoming } from "../mod.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { nativeIoUnavailable } from "../quic/driver_factory.ts";
import { defaultLibrary } from "../ffi/loader.ts";

const garbage = (n: number, first: number) => {
  const d = new Uint8Array(n).map((_, i) => (i * 31 + first) & 0xff);
  d[0] = first;
  return d;
};

for (const io of ["native", "runtime"] as const) {
  const why = io === "native" ? nativeIoUnavailable(defaultLibrary()) : undefined;
  test(`incoming (${io} I/O): garbage from 100 new addresses is never offered; a real client is`, async () => {
    const listener = await listen({ alpn: "gate", io });
    try {
      let offered: QuicIncoming | undefined;
      const next = listener.incoming().then((i) => (offered = i));
      const sockets = await Promise.all(Array.from({ length: 100 }, () => bindUdp({ hostname: "127.0.0.1", port: 0 })));
      sockets.forEach((s, i) => {
        // long headers of unknown versions and types, short headers, undersized Initials
        const d = i % 3 === 0 ? garbage(1200, 0xc0) : i % 3 === 1 ? garbage(1300, 0x40) : garbage(300, 0xc0);
        if (i % 3 === 0) d.set([0x1a, 0x2a, 0x3a, 0x4a], 1);
        s.sendBatch([d], [listener.addr]);
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(offered, undefined, "garbage was offered as a connection attempt");
      const snap = listener.observe().io;
      assert.ok("peers" in snap && snap.peers === 0, `peer state kept for garbage: ${JSON.stringify(snap)}`);
      for (const s of sockets) s.close();
      const client = connect(listener.addr, {
        alpn: "gate",
        ca: listener.certificatePem,
        signal: AbortSignal.timeout(5000),
      });
      const incoming = await next;
      const conn = await incoming.accept({ signal: AbortSignal.timeout(5000) });
      const c = await client;
      assert.equal(incoming.remoteAddress.port, c.observe().localAddress.port);
      await c.close();
      await conn.closed;
    } finally {
      await listener.close();
    }
  }, { skip: why });
}
