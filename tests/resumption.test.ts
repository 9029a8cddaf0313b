// Session resumption, 0-RTT and NEW_TOKEN through listen()/connect() over loopback sockets.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { connect, listen, QuicClient, type QuicConnection, type QuicListener } from "../mod.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import type { SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { testCert } from "./_cert.ts";

const ALPN = "coquic-resume";

async function server(options: { earlyData?: boolean; retry?: boolean } = {}): Promise<QuicListener> {
  const { certPem, keyPem } = await testCert();
  return await listen({ port: 0, alpn: ALPN, cert: certPem, key: keyPem, ...options });
}

/** Accepts one connection and returns its first stream's bytes and the connection's events. */
async function receiveOne(listener: QuicListener) {
  const conn = await listener.accept();
  const stream = await conn.acceptStream();
  const bytes = await stream.bytes();
  await stream.write(new TextEncoder().encode("ok"), { fin: true });
  const order: string[] = [];
  const events = conn.events();
  for (;;) {
    const { value, done } = await Promise.race([
      events.next(),
      new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), 50)),
    ]);
    if (done) break;
    order.push(value.type === "early_data" ? `early_data:${value.status}` : value.type);
  }
  return { conn, bytes, order, earlyData: conn.earlyData };
}

function payload(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 0xff;
  return b;
}

/** A first connection that waits for its ticket; returns the ticket. */
async function ticket(listener: QuicListener, configure?: (c: import("../mod.ts").EndpointConfig) => void) {
  const first = await connect(listener.addr, { alpn: ALPN, ca: listener.certificatePem, configure });
  const serverSide = await listener.accept();
  const session = await first.sessionAvailable;
  assert.ok(session && session.length > 8, "the server sent a session ticket");
  assert.equal(first.resumed, false);
  assert.equal(first.session, session);
  await first.close();
  await serverSide.closed;
  return session;
}

/** Sends `data` on a fresh stream of `conn` right away (0-RTT if the connection allows). */
async function sendAndReadAnswer(conn: QuicConnection, data: Uint8Array): Promise<string> {
  const s = conn.openStream();
  await s.write(data, { fin: true });
  return new TextDecoder().decode(await s.bytes());
}

test("resumption: the second connection resumes and its 0-RTT data reaches the server before the handshake ends", async () => {
  const listener = await server({ earlyData: true });
  try {
    const session = await ticket(listener);
    const data = payload(3000);
    const conn = await connect(listener.addr, { alpn: ALPN, ca: listener.certificatePem, session, earlyData: true });
    assert.equal(conn.earlyData, "attempted", "connect() returned before the handshake, 0-RTT on its way");
    const [answer, got] = await Promise.all([sendAndReadAnswer(conn, data), receiveOne(listener)]);
    await conn.ready;
    assert.equal(answer, "ok");
    assert.deepEqual(got.bytes, data);
    assert.equal(got.earlyData, "accepted");
    // the server saw the stream (0-RTT) before its handshake completed
    assert.ok(got.order.indexOf("stream_opened") < got.order.indexOf("connected"), got.order.join(","));
    assert.equal(conn.earlyData, "accepted");
    assert.equal(conn.earlyDataAccepted, true);
    assert.equal(conn.resumed, true, "no certificate: the session was resumed");
    await conn.close();
  } finally {
    await listener.close();
  }
});

test("resumption: a server without earlyData rejects 0-RTT and the bytes still arrive exactly", async () => {
  const listener = await server();
  try {
    const session = await ticket(listener);
    const data = payload(100_000); // more than the first flight can carry
    const conn = await connect(listener.addr, { alpn: ALPN, ca: listener.certificatePem, session, earlyData: true });
    assert.equal(conn.earlyData, "attempted");
    const [answer, got] = await Promise.all([sendAndReadAnswer(conn, data), receiveOne(listener)]);
    assert.equal(answer, "ok");
    assert.deepEqual(got.bytes, data);
    assert.equal(got.earlyData, "none");
    assert.equal(conn.earlyData, "rejected");
    assert.equal(conn.resumed, true, "rejected early data, but the session still resumed");
    await conn.close();
  } finally {
    await listener.close();
  }
});

test("resumption: another 0-RTT application context sends nothing early; the bytes arrive after the handshake", async () => {
  const listener = await server({ earlyData: true });
  try {
    const context = (s: string) => (c: import("../mod.ts").EndpointConfig) => {
      c.zeroRtt.applicationContext = new TextEncoder().encode(s);
    };
    const session = await ticket(listener, context("settings-v1"));
    const data = payload(5000);
    const conn = await connect(listener.addr, {
      alpn: ALPN,
      ca: listener.certificatePem,
      session,
      earlyData: true,
      configure: context("settings-v2"),
    });
    assert.equal(conn.earlyData, "not_attempted");
    const [answer, got] = await Promise.all([sendAndReadAnswer(conn, data), receiveOne(listener)]);
    assert.equal(answer, "ok");
    assert.deepEqual(got.bytes, data);
    assert.equal(got.earlyData, "none");
    await conn.close();
  } finally {
    await listener.close();
  }
});

/** A UDP relay in front of a server that counts the Retry packets coming back. */
class RetryCounter {
  retries = 0;
  #client?: SocketAddress;
  private constructor(readonly front: UdpSocket, readonly back: UdpSocket, readonly server: SocketAddress) {
    front.onDatagram((d, hostname, port) => {
      this.#client = { hostname, port };
      back.send([{ data: d.slice(), ...server }]);
    });
    back.onDatagram((d) => {
      // long header, v1 type bits 0b11: Retry
      if (d.length > 5 && (d[0] & 0xf0) === 0xf0) this.retries++;
      if (this.#client) front.send([{ data: d.slice(), ...this.#client }]);
    });
  }
  static async create(server: SocketAddress): Promise<RetryCounter> {
    const bind = () => bindUdp({ hostname: "127.0.0.1", port: 0 });
    return new RetryCounter(await bind(), await bind(), { hostname: "127.0.0.1", port: server.port });
  }
  get addr(): SocketAddress {
    return { hostname: "127.0.0.1", port: this.front.localAddress.port };
  }
  close(): void {
    this.front.close();
    this.back.close();
  }
}

test("NEW_TOKEN: a Retry server lets a returning client (same endpoint) in without a Retry", async () => {
  const listener = await server({ retry: true });
  const relay = await RetryCounter.create(listener.addr);
  const client = await QuicClient.create({ alpn: ALPN, ca: listener.certificatePem });
  try {
    const first = await client.connect(relay.addr);
    await listener.accept();
    for (let i = 0; i < 100 && !first.newToken; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(first.newToken, "the server sent a NEW_TOKEN");
    assert.equal(relay.retries, 1, "the first connection went through a Retry");
    const second = await client.connect(relay.addr);
    await listener.accept();
    assert.equal(relay.retries, 1, "the returning client needed no Retry");
    assert.equal(second.observe().state, "connected");
  } finally {
    await client.close();
    relay.close();
    await listener.close();
  }
});
