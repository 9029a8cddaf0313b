// serve() has close() and [Symbol.asyncDispose] beside shutdown(); listen() and serve()
// default to port 0, a free port (issue 17 item 15).
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { listen } from "../mod.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";

test("serve close: listen() and serve() without a port bind free ports", async () => {
  const a = await listen({ hostname: "127.0.0.1", alpn: "x" });
  const b = await listen({ hostname: "127.0.0.1", alpn: "x" });
  const s = await serve({ hostname: "127.0.0.1" }, () => new Response("ok"));
  try {
    for (const port of [a.addr.port, b.addr.port, s.addr.port]) assert.ok(port > 0 && port !== 4433, `port ${port}`);
    assert.equal(new Set([a.addr.port, b.addr.port, s.addr.port]).size, 3);
  } finally {
    await a.close();
    await b.close();
    await s.close();
  }
});

test("serve close: close() ends the server at once, requests in flight included", async () => {
  const server = await serve({}, () => new Promise<Response>(() => {})); // never answers
  const url = `https://localhost:${server.addr.port}/`;
  const pending = fetch(url, { ca: server.certificatePem });
  pending.catch(() => {});
  await new Promise((r) => setTimeout(r, 100)); // the request is in flight
  const t = performance.now();
  await server.close();
  assert.ok(performance.now() - t < 2000, "close() does not wait for the handler");
  await server.finished;
  await assert.rejects(pending);
  await server.close(); // idempotent
  await closeAll();
});

test("serve close: [Symbol.asyncDispose] shuts down gracefully", async () => {
  let served = 0;
  const server = await serve({}, () => (served++, new Response("bye")));
  const res = await fetch(`https://localhost:${server.addr.port}/`, {
    ca: server.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(await res.text(), "bye");
  await closeAll();
  await server[Symbol.asyncDispose]();
  await server.finished;
  assert.equal(served, 1);
});
