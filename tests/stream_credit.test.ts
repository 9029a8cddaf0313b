// Opening streams beyond the peer's stream limit (issue 17 item 4): `createStream()` waits
// for credit (MAX_STREAMS) instead of queueing silently, and takes an AbortSignal.
import assert from "node:assert/strict";
import { needs } from "./_ext.ts";
import { test } from "./_harness.ts";
import { connect, listen, QuicError, type QuicStream } from "../mod.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";

const settled = async (p: Promise<unknown>, ms: number) =>
  await Promise.race([p.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), ms))]);

test("stream credit: createStream() waits for MAX_STREAMS beyond the peer's limit and honours abort", async () => {
  const listener = await listen({ hostname: "127.0.0.1", alpn: "credit", maxStreams: 2 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const s of conn) s.readable!.pipeTo(s.writable!).catch(() => {});
      })();
    }
  })();
  const conn = await connect(listener.addr, {
    alpn: "credit",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  const a = await conn.createStream({ signal: AbortSignal.timeout(2000) });
  const b = await conn.createStream({ signal: AbortSignal.timeout(2000) });
  const third = conn.createStream({ signal: AbortSignal.timeout(10_000) });
  assert.equal(await settled(third, 300), false, "a third stream waits while the peer allows two");

  // Aborting a waiting open rejects it with kind "aborted" and takes no stream id.
  const controller = new AbortController();
  const fourth = conn.createStream({ signal: controller.signal });
  controller.abort();
  await assert.rejects(fourth, (e: unknown) => e instanceof QuicError && e.kind === "aborted");

  // Finishing a stream both ways frees a slot on the server, which grants it back.
  const finish = async (s: QuicStream, text: string) => {
    await s.write(new TextEncoder().encode(text), { fin: true });
    assert.equal(new TextDecoder().decode(await s.bytes({ signal: AbortSignal.timeout(5000) })), text);
  };
  await finish(a, "first");
  const c = await third;
  assert.equal(c.id, 8n, "the third bidirectional stream");
  await finish(b, "second");
  await finish(c, "third");
  const d = await conn.createStream({ signal: AbortSignal.timeout(5000) });
  await finish(d, "fourth");
  await conn.close();
  await listener.close();
}, needs("streamLimit"));

test("stream credit: fetches beyond serve()'s concurrent-request limit wait for credit; a waiting one aborts", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let handled = 0;
  const server = await serve({ maxConcurrentRequests: 2 }, async () => {
    handled++;
    await gate;
    return new Response("ok");
  });
  try {
    const url = `https://localhost:${server.addr.port}/`;
    const init = { ca: server.certificatePem, signal: AbortSignal.timeout(10_000) };
    const fetches = Array.from({ length: 4 }, () => fetch(url, init).then((r) => r.text()));
    const controller = new AbortController();
    const waiting = fetch(url, { ca: server.certificatePem, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(handled, 2, "two requests at a time reach the server");
    controller.abort();
    await assert.rejects(waiting, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
    release();
    assert.deepEqual(await Promise.all(fetches), ["ok", "ok", "ok", "ok"]);
    assert.equal(handled, 4, "the aborted request never reached the server");
  } finally {
    release();
    await closeAll();
    await server.close();
  }
});
