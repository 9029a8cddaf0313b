// Closing a writer means "FIN queued" (issue 17 item 2), as in quinn and Deno: it no longer
// waits for the peer's acknowledgement, so a peer that closes the connection right after
// reading everything does not make it (or a pipeTo) reject; `stream.acknowledged()` waits.
import assert from "node:assert/strict";
import { needs } from "./_ext.ts";
import { test } from "./_harness.ts";
import { connect, listen, type QuicConnection, QuicError } from "../mod.ts";

test("stream close: 50 clients closing right after reading their echo reject no server pipeTo", async () => {
  const listener = await listen({ hostname: "127.0.0.1", alpn: "echo" });
  let piped = 0, rejected = 0;
  const pipes: Promise<void>[] = [];
  (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const s of conn) {
          pipes.push(s.readable!.pipeTo(s.writable!).then(() => void piped++, () => void rejected++));
        }
      })();
    }
  })();
  const exchange = async (i: number) => {
    const conn = await connect(listener.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      signal: AbortSignal.timeout(10_000),
    });
    for (let k = 0; k < 4; k++) {
      const s = conn.openStream();
      const text = `client ${i} stream ${k} `.repeat(50);
      await s.write(new TextEncoder().encode(text), { fin: true });
      assert.equal(new TextDecoder().decode(await s.bytes({ signal: AbortSignal.timeout(10_000) })), text);
    }
    await conn.close({ code: 0, reason: "done" }); // at once: the server's last ACKs may be unsent
  };
  await Promise.all(Array.from({ length: 50 }, (_, i) => exchange(i)));
  for (let i = 0; i < 100 && pipes.length < 200; i++) await new Promise((r) => setTimeout(r, 20));
  await Promise.all(pipes);
  assert.equal(pipes.length, 200);
  assert.equal(rejected, 0, `${rejected} of ${pipes.length} server-side pipeTo calls rejected`);
  assert.equal(piped, 200);
  await listener.close();
});

async function pair(): Promise<{ client: QuicConnection; server: QuicConnection; close: () => Promise<void> }> {
  const listener = await listen({ hostname: "127.0.0.1", alpn: "t" });
  const accepted = listener.accept();
  const client = await connect(listener.addr, {
    alpn: "t",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  const server = await accepted;
  return {
    client,
    server,
    close: async () => {
      await client.close();
      await listener.close();
    },
  };
}

test("stream close: writer.close() resolves once FIN is queued; acknowledged() once the peer has it all", async () => {
  const { client, server, close } = await pair();
  const s = client.openStream();
  const w = s.writable!.getWriter();
  const data = new Uint8Array(256 << 10).fill(7);
  await w.write(data);
  await w.close();
  // The send side is finished at once, before the 256 KiB can all have been acknowledged.
  assert.equal(s.observe().writeClosed, true);
  const incoming = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  const received = incoming.bytes({ signal: AbortSignal.timeout(5000) });
  await s.acknowledged({ signal: AbortSignal.timeout(5000) });
  assert.equal((await received).length, data.length);
  await s.acknowledged(); // stays resolved
  await close();
});

test("stream close: acknowledged() rejects when the peer stops reading, and after a local reset", async () => {
  const { client, server, close } = await pair();
  const s = client.openStream();
  await s.write(new Uint8Array(1000));
  const incoming = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  incoming.stopSending(9n);
  // Keep data outstanding: the peer's STOP_SENDING ends the wait with its code.
  const waiting = (async () => {
    for (;;) {
      try {
        await s.write(new Uint8Array(64 << 10));
      } catch (e) {
        return e;
      }
    }
  })();
  const e = await waiting;
  assert.ok(e instanceof QuicError && e.kind === "stop_sending" && e.code === 9n, String(e));
  await assert.rejects(s.acknowledged(), (x: unknown) => x instanceof QuicError && x.kind === "stop_sending");
  const r = client.openStream();
  await r.write(new Uint8Array(10));
  r.reset(5n);
  await assert.rejects(r.acknowledged(), (x: unknown) => x instanceof QuicError && x.kind === "stream_reset");
  await close();
}, needs("sendBuffered")); // without it writes never wait, so the loop above never yields
