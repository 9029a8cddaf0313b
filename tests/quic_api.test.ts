// The high-level API over real loopback sockets (Deno and Bun).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ext, needs } from "./_ext.ts";
import { test } from "./_harness.ts";
import {
  type CloseResult,
  connect,
  listen,
  QuicClient,
  type QuicConnection,
  QuicError,
  type QuicListener,
} from "../mod.ts";
import { pattern } from "./_pair.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** An echo server: streams echoed, datagrams echoed. */
async function echoServer(hostname = "127.0.0.1", alpn = "echo"): Promise<QuicListener> {
  const listener = await listen({ hostname, port: 0, alpn });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const reader = conn.datagrams.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          try {
            conn.sendDatagram(value);
          } catch {
            return;
          }
        }
      })();
      (async () => {
        for await (const s of conn) if (s.readable && s.writable) s.readable.pipeTo(s.writable).catch(() => {});
      })();
    }
  })();
  return listener;
}

async function client(listener: QuicListener, alpn = "echo"): Promise<QuicConnection> {
  return await connect(listener.addr, { alpn, ca: listener.certificatePem, signal: AbortSignal.timeout(5000) });
}

async function echo(conn: QuicConnection, data: Uint8Array): Promise<Uint8Array> {
  const s = conn.openStream();
  const reading = s.bytes({ signal: AbortSignal.timeout(30_000) });
  const w = s.writable!.getWriter();
  for (let off = 0; off < data.length || off === 0; off += 1 << 20) {
    await w.write(data.subarray(off, Math.min(data.length, off + (1 << 20))));
    if (data.length === 0) break;
  }
  await w.close();
  return await reading;
}

test("quic: echo over loopback, with observe() snapshots", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  const got = await echo(conn, new TextEncoder().encode("hello quic"));
  assert.equal(new TextDecoder().decode(got), "hello quic");
  const snap = conn.observe();
  assert.equal(snap.state, "connected");
  assert.equal(snap.remoteAddress.port, listener.addr.port);
  assert.equal(snap.bytesSent, 10);
  assert.equal(snap.bytesReceived, 10);
  assert.equal(snap.streamsOpenedLocally, 1);
  if (ext.stats) { // transport statistics are an extension (undefined on the core ABI alone)
    assert.ok(snap.transport && snap.transport.smoothedRttUs > 0 && snap.transport.congestionWindow > 0);
    assert.equal(snap.transport?.packetsLost, 0, "loopback loses nothing"); // counted: loss accounting is on by default
  } else assert.equal(snap.transport, undefined);
  const lsnap = listener.observe();
  assert.equal(lsnap.connections, 1);
  assert.equal(lsnap.accepted, 1);
  await conn.close({ code: 0, reason: "done" });
  await listener.close();
  assert.equal(listener.observe().closed, true);
});

test("quic: 64 MiB byte-exact transfer", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  const size = 64 << 20;
  const data = pattern(size);
  const s = conn.openStream();
  const w = s.writable!.getWriter();
  const reading = s.bytes({ signal: AbortSignal.timeout(90_000) });
  for (let off = 0; off < size; off += 1 << 20) await w.write(data.subarray(off, off + (1 << 20)));
  await w.close();
  const back = await reading;
  assert.equal(back.length, size);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), "echoed bytes differ");
  await conn.close();
  await listener.close();
}, { timeout: 120_000 });

test("quic: 100 concurrent streams on one connection", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => echo(conn, pattern(1000 + i * 37, i))),
  );
  results.forEach((r, i) => assert.deepEqual(r, pattern(1000 + i * 37, i)));
  assert.equal(conn.observe().streamsOpenedLocally, 100);
  await conn.close();
  await listener.close();
});

test("quic: 50 clients against one listener", async () => {
  const listener = await echoServer();
  const conns = await Promise.all(Array.from({ length: 50 }, () => client(listener)));
  const results = await Promise.all(conns.map((c, i) => echo(c, pattern(500, i))));
  results.forEach((r, i) => assert.deepEqual(r, pattern(500, i)));
  assert.equal(listener.observe().connections, 50);
  await Promise.all(conns.map((c) => c.close()));
  await listener.close();
});

test("quic: DATAGRAMs round-trip", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  const reader = conn.datagrams.getReader();
  const got: Uint8Array[] = [];
  // datagrams are unreliable; on loopback they all arrive, but send a few rounds to be safe
  for (let round = 0; round < 5 && got.length === 0; round++) {
    conn.sendDatagram(new TextEncoder().encode(`dgram-${round}`));
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 500));
    const first = await Promise.race([reader.read().then((x) => x.value), timeout]);
    if (first) got.push(first);
  }
  assert.ok(got.length > 0);
  assert.match(new TextDecoder().decode(got[0]), /^dgram-\d$/);
  assert.throws(
    () => conn.sendDatagram(new Uint8Array(70_000)),
    (e: unknown) => e instanceof QuicError && e.kind === "datagram_too_large" && e.localCode === "DATAGRAM_TOO_LARGE",
  );
  reader.releaseLock();
  await conn.close();
  await listener.close();
});

test("quic: AbortSignal deadlines give QuicError timeout", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  await assert.rejects(
    conn.acceptStream({ signal: AbortSignal.timeout(100) }),
    (e: unknown) => e instanceof QuicError && e.kind === "timeout",
  );
  await assert.rejects(
    listener.accept({ signal: AbortSignal.timeout(100) }),
    (e: unknown) => e instanceof QuicError && e.kind === "timeout",
  );
  // a server that speaks another ALPN refuses the handshake with a TLS alert, promptly
  const other = await listen({ hostname: "127.0.0.1", port: 0, alpn: "other" });
  await assert.rejects(
    connect(other.addr, { alpn: "echo", insecure: true, signal: AbortSignal.timeout(3000) }),
    (e: unknown) =>
      e instanceof QuicError && e.kind === "handshake_failed" &&
      (!ext.closeInfos || /no_application_protocol/.test(e.reason)), // reasons need the close-info extension
  );
  // a port where nothing answers: the deadline fires
  const silent = await listen({ hostname: "127.0.0.1", port: 0, alpn: "other" });
  const gate = silent.incoming(); // manual admission, and nobody decides: nothing is answered
  await assert.rejects(
    connect(silent.addr, { alpn: "echo", insecure: true, signal: AbortSignal.timeout(300) }),
    (e: unknown) => e instanceof QuicError && e.kind === "timeout",
  );
  void gate.then((i) => i.ignore()).catch(() => {});
  await other.close();
  const controller = new AbortController();
  const pending = conn.acceptStream({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, (e: unknown) => e instanceof QuicError && e.kind === "aborted");
  await conn.close();
  await silent.close();
  await listener.close();
});

test("quic: the peer sees our close code and reason", async () => {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "close" });
  const accepted = listener.accept();
  const conn = await client(listener, "close");
  const server = await accepted;
  const ours = await conn.close({ code: 42, reason: "goodbye" });
  assert.equal(ours.source, "local");
  const theirs = await server.closed;
  assert.equal(theirs.source, "peer");
  assert.equal(theirs.code, 42n);
  assert.equal(theirs.reason, "goodbye");
  assert.equal(theirs.isApplicationError, true);
  assert.equal(server.observe().lastError?.kind, "peer_closed");
  await listener.close();
}, needs("closeInfos"));

test("quic: IPv6 loopback", async () => {
  const listener = await echoServer("::1");
  assert.equal(listener.addr.hostname, "::1");
  const conn = await client(listener);
  assert.deepEqual(await echo(conn, pattern(3000)), pattern(3000));
  await conn.close();
  await listener.close();
});

test("quic: an unknown self-signed certificate is refused unless trusted or insecure", async () => {
  const listener = await echoServer();
  await assert.rejects(
    connect(listener.addr, { alpn: "echo", signal: AbortSignal.timeout(5000) }),
    (e: unknown) =>
      e instanceof QuicError && e.kind === "handshake_failed" &&
      (!ext.closeInfos || (/certificate/.test(e.reason) && e.reason === e.reason.trimEnd())),
  );
  const trusted = await connect(listener.addr, {
    alpn: "echo",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  await trusted.close();
  const insecure = await connect(listener.addr, { alpn: "echo", insecure: true, signal: AbortSignal.timeout(5000) });
  await insecure.close();
  await assert.rejects(
    connect(listener.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      serverName: "example.org",
      signal: AbortSignal.timeout(5000),
    }),
    (e: unknown) => e instanceof QuicError && e.kind === "handshake_failed",
  );
  await listener.close();
});

test("quic: unidirectional streams, reset and stop-sending", async () => {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "uni" });
  const accepted = listener.accept();
  const conn = await client(listener, "uni");
  const server = await accepted;
  const uni = conn.openStream({ unidirectional: true, sendOrder: 5 });
  assert.equal(uni.readable, undefined);
  const w = uni.writable!.getWriter();
  await w.write(new TextEncoder().encode("one-way"));
  await w.close();
  const incoming = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  assert.equal(incoming.writable, undefined);
  assert.equal(new TextDecoder().decode(await incoming.bytes()), "one-way");
  // reset: the reader fails with stream_reset and the code
  const s = conn.openStream();
  await s.write(new Uint8Array(10));
  const peer = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  s.reset(77);
  await assert.rejects(
    peer.bytes({ signal: AbortSignal.timeout(5000) }),
    (e: unknown) => e instanceof QuicError && e.kind === "stream_reset" && e.code === 77n,
  );
  // stop-sending: the writer fails with stop_sending and the code
  const t = conn.openStream();
  await t.write(new Uint8Array(10));
  const peer2 = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  peer2.stopSending(99);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 200; i++) {
        await t.write(new Uint8Array(1000));
        await new Promise((r) => setTimeout(r, 5));
      }
    })(),
    (e: unknown) => e instanceof QuicError && (e.kind === "stop_sending" || e.kind === "local"),
  );
  await conn.close();
  await listener.close();
});

test("quic: a slow reader applies backpressure to the writer", async () => {
  const listener = await listen({
    hostname: "127.0.0.1",
    port: 0,
    alpn: "bp",
    streamWindow: 256 << 10,
    connectionWindow: 1 << 20,
  });
  const accepted = listener.accept();
  const conn = await connect(listener.addr, {
    alpn: "bp",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  const server = await accepted;
  const s = conn.openStream();
  let written = 0;
  let done = false;
  const writing = (async () => {
    for (let i = 0; i < 64; i++) {
      await s.write(new Uint8Array(256 << 10)); // 16 MiB in all
      written += 256 << 10;
    }
    done = true;
  })();
  const peer = await server.acceptStream({ signal: AbortSignal.timeout(5000) });
  await new Promise((r) => setTimeout(r, 500));
  // nobody reads on the server: the peer's window (256 KiB) plus our send backlog caps what left
  assert.equal(done, false, "the writer was never slowed down");
  assert.ok(written <= (256 << 10) + (4 << 20) + (256 << 10), `wrote ${written} bytes with no reader`);
  // once the server reads, everything flows
  const got = await peer.readable!.getReader().read();
  assert.ok(got.value && got.value.length > 0);
  const reader = peer.readable!;
  void reader;
  await conn.close();
  await listener.close();
  await writing.catch(() => {});
}, needs(["manualCredit", "sendBuffered"]));

test("quic: connection events", async () => {
  const listener = await echoServer();
  const conn = await client(listener);
  await echo(conn, new Uint8Array([1]));
  await conn.close({ code: 3, reason: "x" });
  const types: string[] = [];
  // A session ticket ("session") arrives whenever the server sends it: not part of this order.
  for await (const e of conn.events()) if (e.type !== "session") types.push(e.type);
  assert.deepEqual(types.slice(0, 2), ["connected", "stream_opened"]);
  assert.ok(types.includes("disconnected"));
  await listener.close();
});

test("quic: refusing and ignoring incoming connections", async () => {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "gate" });
  const firstIncoming = listener.incoming(); // switches the listener to manual admission
  (async () => {
    const first = await firstIncoming;
    first.refuse();
  })();
  const refused = connect(listener.addr, {
    alpn: "gate",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  const outcome = await refused.then((c) => c.closed.then((r) => r), (e) => e);
  // The refusal arrives as our application code 2 in a 1-RTT packet, or, when the client reads
  // the Handshake-packet copy first, as the transport code APPLICATION_ERROR (0x0c) that
  // RFC 9000 §10.2.3 prescribes before the handshake is confirmed.
  const close = outcome as CloseResult;
  assert.ok(
    outcome instanceof QuicError || !ext.closeInfos || // codes need the close-info extension
      (close.isApplicationError ? close.code === 2n : close.code === 0x0cn),
    JSON.stringify(outcome, (_k, v) => typeof v === "bigint" ? String(v) : v),
  );
  (async () => {
    const second = await listener.incoming();
    second.ignore();
  })();
  await assert.rejects(
    connect(listener.addr, { alpn: "gate", ca: listener.certificatePem, signal: AbortSignal.timeout(800) }),
    (e: unknown) => e instanceof QuicError && (e.kind === "timeout" || e.kind === "handshake_failed"),
  );
  assert.equal(listener.observe().refused, 2);
  await listener.close();
});

/** Starts examples/echo_server.ts under the other runtime; resolves with its port and cert. */
async function otherRuntimeServer(): Promise<{ port: number; certPem: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "coquic-x-"));
  const certFile = join(dir, "cert.pem");
  const other = g.Bun
    ? [join(ROOT, "node_modules/.bin/deno"), [
      "run",
      "-A",
      "examples/echo_server.ts",
      "--port",
      "0",
      "--cert-out",
      certFile,
    ]]
    : [join(ROOT, "node_modules/.bin/bun"), ["examples/echo_server.ts", "--port", "0", "--cert-out", certFile]];
  const child = spawn(other[0] as string, other[1] as string[], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("other runtime's server did not start")), 15_000);
    child.stdout!.on("data", (d: Uint8Array) => {
      buf += new TextDecoder().decode(d);
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
  });
  const info = JSON.parse(line);
  const certPem = readFileSync(certFile, "utf8");
  rmSync(dir, { recursive: true, force: true });
  return { port: info.listening.port, certPem, stop: () => child.kill() };
}

test("quic: a client on this runtime talks to a server on the other runtime", async () => {
  const server = await otherRuntimeServer();
  try {
    const conn = await connect({ hostname: "127.0.0.1", port: server.port }, {
      alpn: "coquic-echo",
      ca: server.certPem,
      signal: AbortSignal.timeout(5000),
    });
    assert.deepEqual(await echo(conn, pattern(100_000)), pattern(100_000));
    await conn.close();
  } finally {
    server.stop();
  }
});

test("quic: stream.read() reads without a WHATWG reader; an aborted read loses nothing", async () => {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "read" });
  const serverSide = (async () => {
    const conn = await listener.accept();
    const s = await conn.acceptStream();
    await s.write(new TextEncoder().encode("first"));
    await new Promise((r) => setTimeout(r, 100)); // the client's short deadline passes meanwhile
    await s.write(new TextEncoder().encode("second"), { fin: true });
    return conn;
  })();
  const conn = await connect(listener.addr, { alpn: "read", ca: listener.certificatePem });
  const s = conn.openStream();
  await s.write(new Uint8Array([1])); // opens the stream at the server
  const got: string[] = [];
  got.push(new TextDecoder().decode(await s.read()));
  await assert.rejects(
    s.read({ signal: AbortSignal.timeout(20) }),
    (e: unknown) => e instanceof QuicError && e.kind === "timeout",
  );
  for (let chunk; (chunk = await s.read({ signal: AbortSignal.timeout(5000) })) !== undefined;) {
    got.push(new TextDecoder().decode(chunk));
  }
  assert.deepEqual(got, ["first", "second"], "the chunk that arrived after the aborted read is read next");
  assert.equal(await s.read(), undefined, "after the end, read() keeps returning undefined");
  assert.equal(s.observe().bytesRead, 11);
  // once the WHATWG readable is made, it is the only way to read
  const t = conn.openStream();
  t.readable!.getReader().releaseLock();
  await assert.rejects(t.read(), (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument");
  const uni = conn.openStream({ unidirectional: true });
  assert.equal(uni.readable, undefined);
  await assert.rejects(uni.read(), (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument");
  await (await serverSide).close();
  await conn.close();
  await listener.close();
});

test("quic: one QuicClient opens many connections on one socket; close() ends them all", async () => {
  const listener = await echoServer();
  const client = await QuicClient.create({ alpn: "echo", ca: listener.certificatePem });
  const conns = await Promise.all(
    Array.from({ length: 5 }, () => client.connect(listener.addr, { signal: AbortSignal.timeout(5000) })),
  );
  assert.equal(client.connectionCount, 5);
  assert.equal(new Set(conns.map((c) => c.observe().localAddress.port)).size, 1, "all on the client's one socket");
  assert.equal(conns[0].observe().localAddress.port, client.localAddress.port);
  const echoed = await Promise.all(conns.map((c, i) => echo(c, pattern(3000 + i, i))));
  echoed.forEach((e, i) => assert.deepEqual(e, pattern(3000 + i, i)));
  await conns[0].close({ code: 7, reason: "first done" });
  assert.deepEqual(await echo(conns[1], pattern(100, 9)), pattern(100, 9), "the others keep working");
  // Another family gets an endpoint of its own; nothing listens on [::1]:port here.
  await assert.rejects(
    client.connect({ hostname: "::1", port: listener.addr.port }, { signal: AbortSignal.timeout(300) }),
    (e: unknown) => e instanceof QuicError && (e.kind === "unreachable" || e.kind === "timeout"),
  );
  await client.close();
  assert.ok(client.closed);
  for (const c of conns.slice(1)) assert.equal((await c.closed).reason, ext.closeInfos ? "client closed" : "");
  await assert.rejects(client.connect(listener.addr), (e: unknown) => e instanceof QuicError && e.kind === "closed");
  await listener.close();
});
