// HTTP/3 over our QUIC: serve() and fetch(), and interop with ngtcp2's nghttp3 example tools.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "./_harness.ts";
import {
  altSvc,
  ByteWriter,
  closeAll,
  encodeFieldSectionTo,
  fetch,
  H3Connection,
  H3ErrorCode,
  MessageReader,
  serve,
  trailers,
  withTrailers,
  writeFrame,
} from "../http3/mod.ts";
import { connect, QuicError } from "../mod.ts";
import { pattern } from "./_pair.ts";
import { startGtlsserver } from "./_ngtcp2.ts";

async function server(
  handler: Parameters<typeof serve>[1] = (req) => new Response(`hello ${new URL(req.url).pathname}`),
) {
  const s = await serve({ hostname: "127.0.0.1", port: 0 }, handler);
  return { s, url: (path: string) => `https://127.0.0.1:${s.addr.port}${path}`, ca: s.certificatePem };
}

test("http3: GET with headers, HEAD, 404 from the handler", async () => {
  const { s, url, ca } = await server((req) => {
    const p = new URL(req.url).pathname;
    if (p === "/missing") return new Response("no", { status: 404 });
    return new Response(`hello ${p} ${req.headers.get("x-test")}`, {
      headers: { "content-type": "text/plain", "x-server": "coquic" },
    });
  });
  const res = await fetch(url("/world"), { ca, headers: { "x-test": "42" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain");
  assert.equal(res.headers.get("x-server"), "coquic");
  assert.equal(await res.text(), "hello /world 42");
  const head = await fetch(url("/world"), { ca, method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const missing = await fetch(url("/missing"), { ca });
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "no");
  await closeAll();
  await s.shutdown();
});

test("http3: POST with a 32 MiB streamed body echoed byte-exact", async () => {
  const { s, url, ca } = await server((req) => new Response(req.body, { headers: { "x-method": req.method } }));
  const size = 32 << 20;
  const data = pattern(size);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (offset >= size) return c.close();
      c.enqueue(data.subarray(offset, offset + (1 << 20)));
      offset += 1 << 20;
    },
  });
  // @ts-ignore: duplex for streaming request bodies
  const res = await fetch(url("/echo"), { ca, method: "POST", body, duplex: "half" });
  assert.equal(res.headers.get("x-method"), "POST");
  const back = new Uint8Array(await res.arrayBuffer());
  assert.equal(back.length, size);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), "echoed body differs");
  await closeAll();
  await s.shutdown();
}, { timeout: 120_000 });

test("http3: 100 concurrent requests on one connection", async () => {
  const seen = new Set<string>();
  const { s, url, ca } = await server((req) => {
    seen.add(`${(req as unknown as { remote?: string }).remote}`);
    return new Response(`r${new URL(req.url).pathname}`);
  });
  const bodies = await Promise.all(
    Array.from({ length: 100 }, (_, i) => fetch(url(`/${i}`), { ca }).then((r) => r.text())),
  );
  bodies.forEach((b, i) => assert.equal(b, `r/${i}`));
  await closeAll();
  await s.shutdown();
});

test("http3: response trailers and request trailers", async () => {
  const { s, url, ca } = await server(async (req) => {
    const body = await req.arrayBuffer();
    const t = await trailers(req);
    return withTrailers(new Response(`got ${body.byteLength}`), {
      "x-checksum": "abc",
      "x-echo": t.get("x-sent") ?? "none",
    });
  });
  const res = await fetch(url("/t"), { ca, method: "POST", body: "12345" });
  assert.equal(await res.text(), "got 5");
  const t = await trailers(res);
  assert.equal(t.get("x-checksum"), "abc");
  assert.equal(t.get("x-echo"), "none");
  // request trailers, sent with the low-level H3 connection
  const quic = await connect(s.addr, { alpn: "h3", ca, signal: AbortSignal.timeout(5000) });
  const h3 = new H3Connection(quic, false);
  await h3.start();
  const stream = quic.openStream();
  await h3.writeHeaders(stream, [[":method", "POST"], [":scheme", "https"], [":authority", "127.0.0.1"], [
    ":path",
    "/t",
  ]]);
  await stream.write(new Uint8Array([0x00, 0x03, 1, 2, 3])); // DATA, 3 bytes
  await h3.writeHeaders(stream, [["x-sent", "trailer-value"]], true);
  const raw = await stream.bytes({ signal: AbortSignal.timeout(5000) });
  assert.ok(new TextDecoder().decode(raw).includes("got 3"));
  assert.ok(new TextDecoder("latin1").decode(raw).length > 0);
  await quic.close();
  await closeAll();
  await s.shutdown();
});

test("http3: aborting mid-body stops the transfer on both sides", async () => {
  let serverSawError = false;
  const { s, url, ca } = await server(() => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (n++ > 10_000) return c.close();
        c.enqueue(new Uint8Array(64 << 10));
        await new Promise((r) => setTimeout(r, 1));
      },
      cancel() {
        serverSawError = true;
      },
    });
    return new Response(body);
  });
  const controller = new AbortController();
  const res = await fetch(url("/endless"), { ca, signal: controller.signal });
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  controller.abort(new Error("enough"));
  await assert.rejects(async () => {
    for (;;) if ((await reader.read()).done) break;
  });
  await assert.rejects(fetch(url("/x"), { ca, signal: AbortSignal.abort() }));
  for (let i = 0; i < 50 && !serverSawError; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(serverSawError, "the server kept producing the body");
  await closeAll();
  await s.shutdown();
});

test("http3: handler errors become 500; malformed requests are reset; oversized headers get 431", async () => {
  const errors: unknown[] = [];
  const s = await serve(
    { hostname: "127.0.0.1", port: 0, onError: (e) => errors.push(e), maxFieldSectionSize: 2000 },
    (req) => {
      if (new URL(req.url).pathname === "/boom") throw new Error("boom");
      return new Response("ok");
    },
  );
  const ca = s.certificatePem;
  const boom = await fetch(`https://127.0.0.1:${s.addr.port}/boom`, { ca });
  assert.equal(boom.status, 500);
  assert.equal(errors.length, 1);
  // our client knows the server's SETTINGS by now and refuses to send what it would refuse
  await assert.rejects(
    fetch(`https://127.0.0.1:${s.addr.port}/big`, { ca, headers: { "x-big": "y".repeat(4000) } }),
    /exceeds the peer's limit/,
  );
  // a request without :path is malformed: H3_MESSAGE_ERROR on the stream
  const quic = await connect(s.addr, { alpn: "h3", ca, signal: AbortSignal.timeout(5000) });
  const h3 = new H3Connection(quic, false);
  await h3.start();
  const stream = quic.openStream();
  await h3.writeHeaders(stream, [[":method", "GET"], [":scheme", "https"], [":authority", "x"]], true);
  await assert.rejects(
    stream.bytes({ signal: AbortSignal.timeout(5000) }),
    (e: unknown) =>
      e instanceof QuicError && e.kind === "stream_reset" && e.code === BigInt(H3ErrorCode.H3_MESSAGE_ERROR),
  );
  // a peer that ignores the limit gets 431
  const oversized = quic.openStream();
  const section = new ByteWriter(8192);
  encodeFieldSectionTo(section, [[":method", "GET"], [":scheme", "https"], [":authority", "x"], [":path", "/"], [
    "x-big",
    "y".repeat(4000),
  ]]);
  await writeFrame(oversized, { type: "headers", fieldSection: section.toBytes() }, true);
  const reply = await new MessageReader(h3, oversized).headers();
  assert.deepEqual(reply?.find((f) => f.name === ":status")?.value, "431");
  // ...and the server keeps serving
  const ok = await fetch(`https://127.0.0.1:${s.addr.port}/fine`, { ca });
  assert.equal(await ok.text(), "ok");
  await quic.close();
  await closeAll();
  await s.shutdown();
});

test("http3: shutdown sends GOAWAY and finishes", async () => {
  const { s, url, ca } = await server();
  assert.equal(await (await fetch(url("/a"), { ca })).text(), "hello /a");
  await s.shutdown();
  await s.finished;
  await assert.rejects(fetch(url("/b"), { ca, signal: AbortSignal.timeout(1000) }));
  await closeAll();
  assert.equal(altSvc(4433), 'h3=":4433"; ma=86400');
});

function ngtcp2Tools(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v gtlsclient && command -v gtlsserver"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("http3 interop: ngtcp2's gtlsclient (nghttp3) downloads from our server byte-exact", async () => {
  assert.ok(ngtcp2Tools(), "gtlsclient/gtlsserver missing: scripts/setup installs ngtcp2-client and ngtcp2-server");
  const payload = pattern(3 << 20);
  const { s } = await server((req) =>
    new URL(req.url).pathname === "/blob" ? new Response(payload as Uint8Array<ArrayBuffer>) : new Response("hi\n")
  );
  const dir = mkdtempSync(join(tmpdir(), "coquic-h3-"));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn("gtlsclient", [
        "-q",
        "--exit-on-all-streams-close",
        `--download=${dir}`,
        "127.0.0.1",
        String(s.addr.port),
        `https://127.0.0.1:${s.addr.port}/blob`,
        `https://127.0.0.1:${s.addr.port}/hi`,
      ], { stdio: "ignore" });
      const timer = setTimeout(() => (child.kill(), reject(new Error("gtlsclient timed out"))), 20_000);
      child.on(
        "exit",
        (code) => (clearTimeout(timer), code === 0 ? resolve() : reject(new Error(`gtlsclient exited ${code}`))),
      );
    });
    assert.ok(Buffer.from(readFileSync(join(dir, "blob"))).equals(Buffer.from(payload)));
    assert.equal(readFileSync(join(dir, "hi"), "utf8"), "hi\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await s.shutdown();
  }
});

test("http3 interop: our fetch downloads from ngtcp2's gtlsserver (nghttp3) byte-exact", async () => {
  assert.ok(ngtcp2Tools(), "gtlsclient/gtlsserver missing: scripts/setup installs ngtcp2-client and ngtcp2-server");
  const payload = pattern(4 << 20, 3);
  const server = await startGtlsserver({ "/blob": payload }); // a port of its own (retried when taken)
  try {
    const res = await fetch(`https://127.0.0.1:${server.port}/blob`, {
      ca: server.certificatePem,
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 200);
    const got = new Uint8Array(await res.arrayBuffer());
    assert.ok(Buffer.from(got).equals(Buffer.from(payload)), "downloaded bytes differ");
    const missing = await fetch(`https://127.0.0.1:${server.port}/nope`, { ca: server.certificatePem });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  } finally {
    await server.stop();
    await closeAll();
  }
});
