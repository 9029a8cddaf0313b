// Session resumption, 0-RTT and NEW_TOKEN through listen()/connect() over loopback sockets.
import assert from "node:assert/strict";
import { needs } from "./_ext.ts";
import { test } from "./_harness.ts";
import { freshClientConfig } from "./_echo.ts";
import { connect, listen, QuicClient, type QuicConnection, type QuicListener } from "../mod.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import type { SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { testCert } from "./_cert.ts";
import { loadCoquicSync } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { EndpointConfig } from "../quic/config.ts";
import { Endpoint } from "../quic/endpoint.ts";
import type { Effect } from "../quic/effects.ts";
import type { QueryResult } from "../quic/result.ts";
import { addressIdentity } from "../runtimes/address.ts";

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

test(
  "resumption: the second connection resumes and its 0-RTT data reaches the server before the handshake ends",
  async () => {
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
  },
  needs("stats"),
);

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
    assert.equal(got.earlyData, "rejected", "the server reports the early data it refused");
    assert.ok(got.order.includes("early_data:rejected"), got.order.join(","));
    assert.equal(conn.earlyData, "rejected");
    assert.equal(conn.resumed, true, "rejected early data, but the session still resumed");
    await conn.close();
  } finally {
    await listener.close();
  }
}, needs("stats"));

test(
  "resumption: another 0-RTT application context sends nothing early; the bytes arrive after the handshake",
  async () => {
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
  },
  needs("stats"),
);

/** A UDP relay in front of a server that counts the Retry packets coming back. */
class RetryCounter {
  retries = 0;
  #client?: SocketAddress;
  private constructor(readonly front: UdpSocket, readonly back: UdpSocket, readonly server: SocketAddress) {
    front.onDatagram((d, hostname, port) => {
      this.#client = { hostname, port };
      back.sendBatch([d.slice()], [server]);
    });
    back.onDatagram((d) => {
      // long header, v1 type bits 0b11: Retry
      if (d.length > 5 && (d[0] & 0xf0) === 0xf0) this.retries++;
      if (this.#client) front.sendBatch([d.slice()], [this.#client]);
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

// ---- anti-replay, on the sans-I/O facade (the replay needs the exact first flight) ------------

test("anti-replay: the same 0-RTT first flight replayed to the server gets no early data", async () => {
  const lib = loadCoquicSync();
  const { certPem, keyPem } = await testCert();
  const config = (role: number) => {
    const c = EndpointConfig.default(lib);
    c.role = role;
    c.verifyPeer = false;
    c.applicationProtocol = ALPN;
    return c;
  };
  const sc = config(Role.SERVER);
  sc.zeroRtt.allow = true;
  sc.identity = { certificatePem: certPem, privateKeyPem: keyPem };
  const client = Endpoint.create(lib, config(Role.CLIENT)), server = Endpoint.create(lib, sc);
  const clientEvents: Effect[] = [], serverEvents: Effect[] = [];
  const toServer: Uint8Array[] = [], toClient: Uint8Array[] = [];
  const collect = (r: QueryResult, out: Uint8Array[], events: Effect[]) => {
    for (const e of r.effects) e.kind === "send_datagram" ? out.push(e.bytes) : events.push(e);
  };
  const from = addressIdentity("127.0.0.1", 50000);
  let now = 1_000n;
  const pump = (until: () => boolean) => {
    for (let step = 0; step < 2000 && !until(); step++) {
      now += 1_000n;
      for (const d of toServer.splice(0)) {
        collect(
          server.receiveDatagram({ bytes: d, routeHandle: 1n, addressValidationIdentity: from }, now),
          toClient,
          serverEvents,
        );
      }
      for (const d of toClient.splice(0)) {
        collect(client.receiveDatagram({ bytes: d, routeHandle: 1n }, now), toServer, clientEvents);
      }
      const w1 = client.nextWakeup(), w2 = server.nextWakeup();
      if (w1 !== undefined && w1 <= now) collect(client.timerExpired(now), toServer, clientEvents);
      if (w2 !== undefined && w2 <= now) collect(server.timerExpired(now), toClient, serverEvents);
    }
    return until();
  };
  const open = (session?: Uint8Array) => {
    const cfg = freshClientConfig(lib, addressIdentity("127.0.0.1", 4433));
    if (session) {
      cfg.core.resumptionState = session;
      cfg.core.zeroRtt.attempt = true;
    }
    const { connection, result } = client.connect(cfg, now);
    collect(result, toServer, clientEvents);
    return connection;
  };
  const accepted = () =>
    serverEvents.filter((e) => e.kind === "connection_lifecycle_event" && e.event === "accepted").map((e) =>
      e.connection
    );
  const dataFor = (conn: bigint) => serverEvents.some((e) => e.kind === "receive_stream_data" && e.connection === conn);
  const earlyAccepted = (conn: bigint) =>
    serverEvents.some((e) => e.kind === "zero_rtt_status_event" && e.connection === conn && e.status === 3);
  try {
    const first = open();
    assert.ok(pump(() => clientEvents.some((e) => e.kind === "resumption_state_available")));
    const session = clientEvents.find((e) => e.kind === "resumption_state_available")!;
    assert.equal(session.kind, "resumption_state_available");
    const second = open(session.kind === "resumption_state_available" ? session.serialized : undefined);
    collect(second.sendStream(0n, new TextEncoder().encode("GET /once"), true, now), toServer, clientEvents);
    const flight = toServer.map((d) => d.slice()); // Initial + 0-RTT, before any answer
    assert.ok(pump(() => accepted().length === 2 && dataFor(accepted()[1])));
    assert.ok(earlyAccepted(accepted()[1]), "the genuine 0-RTT was accepted");
    for (const c of [first, second]) collect(c.close(0n, "done", now), toServer, clientEvents);
    assert.ok(pump(() => server.connectionCount() === 0 && client.connectionCount() === 0));
    for (const d of flight) {
      collect(
        server.receiveDatagram({ bytes: d, routeHandle: 1n, addressValidationIdentity: from }, now),
        toClient,
        serverEvents,
      );
    }
    const replay = accepted()[2];
    assert.ok(replay !== undefined, "the server answered the replayed Initial");
    assert.equal(earlyAccepted(replay), false, "replayed early data refused");
    assert.equal(dataFor(replay), false, "no replayed request reached the application");
  } finally {
    client.close();
    server.close();
  }
});

test("NEW_TOKEN: connect() keeps the token across its one-connection endpoints: the second needs no Retry", async () => {
  const listener = await server({ retry: true });
  const relay = await RetryCounter.create(listener.addr);
  try {
    const first = await connect(relay.addr, { alpn: ALPN, ca: listener.certificatePem });
    await listener.accept();
    for (let i = 0; i < 100 && !first.newToken; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(first.newToken);
    await first.close();
    assert.equal(relay.retries, 1);
    const second = await connect(relay.addr, { alpn: ALPN, ca: listener.certificatePem });
    await listener.accept();
    assert.equal(relay.retries, 1, "the returning client needed no Retry");
    await second.close();
  } finally {
    relay.close();
    await listener.close();
  }
});
