// QuicClient's session-ticket cache: a client endpoint's next connection to a server resumes.
// `conn.resumed` (the stats extension) tells a resumption; without it (core ABI) the cache's
// bookkeeping and the handshakes' success are checked. (The handshake's size does not tell:
// our small certificate fits in the server's first datagram, padded to 1200 bytes either way.)
import assert from "node:assert/strict";
import { ext } from "./_ext.ts";
import { test } from "./_harness.ts";
import { listen, QuicClient, type QuicListener } from "../mod.ts";
import { MAX_SERVERS, SessionCache, TICKETS_PER_SERVER } from "../quic/session_cache.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import type { SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { testCert } from "./_cert.ts";

const ALPN = "coquic-cache";

async function server(): Promise<QuicListener> {
  const { certPem, keyPem } = await testCert();
  const listener = await listen({ port: 0, alpn: ALPN, cert: certPem, key: keyPem });
  void (async () => {
    for (;;) {
      const conn = await listener.accept().catch(() => undefined);
      if (!conn) return;
      void conn.closed.catch(() => {});
    }
  })();
  return listener;
}

/** A UDP relay in front of a server, which can be swapped. */
class Relay {
  #client?: SocketAddress;
  private constructor(readonly front: UdpSocket, readonly back: UdpSocket, public server: SocketAddress) {
    front.onDatagram((d, hostname, port) => {
      this.#client = { hostname, port };
      back.sendBatch([d.slice()], [this.server]);
    });
    back.onDatagram((d) => {
      if (this.#client) front.sendBatch([d.slice()], [this.#client]);
    });
  }
  static async create(port: number): Promise<Relay> {
    const bind = () => bindUdp({ hostname: "127.0.0.1", port: 0 });
    return new Relay(await bind(), await bind(), { hostname: "127.0.0.1", port });
  }
  get addr(): SocketAddress {
    return { hostname: "127.0.0.1", port: this.front.localAddress.port };
  }
  close(): void {
    this.front.close();
    this.back.close();
  }
}

/** Connects, waits for the server's ticket, closes; returns whether it resumed (undefined: cannot tell). */
async function handshake(client: QuicClient, address: SocketAddress): Promise<boolean | undefined> {
  const conn = await client.connect(address);
  assert.ok(await conn.sessionAvailable, "the server sent a ticket");
  const resumed = conn.resumed;
  assert.equal(resumed === undefined, !ext.stats);
  await conn.close();
  return resumed;
}

test("session cache: bounded per server and over servers, single-use, least recently used server dropped", () => {
  const cache = new SessionCache();
  const k = (i: number) => SessionCache.key("127.0.0.1", 4433 + i, "localhost", ALPN);
  for (let i = 0; i < 10; i++) cache.put(k(0), new Uint8Array([i]));
  assert.equal(cache.count(k(0)), TICKETS_PER_SERVER);
  assert.deepEqual(cache.take(k(0)), new Uint8Array([9]), "the newest ticket first");
  assert.equal(cache.count(k(0)), TICKETS_PER_SERVER - 1, "a taken ticket is gone");
  for (let i = 1; i <= MAX_SERVERS; i++) {
    cache.put(k(i), new Uint8Array([i & 0xff]));
    if (i === 100) cache.take(k(0)); // server 0 used: now recent
  }
  assert.equal(cache.servers, MAX_SERVERS);
  assert.equal(cache.count(k(1)), 0, "the least recently used server was dropped");
  assert.equal(cache.count(k(0)), TICKETS_PER_SERVER - 2, "a recently used server stays");
  for (let i = 0; i < TICKETS_PER_SERVER; i++) cache.take(k(0));
  assert.equal(cache.take(k(0)), undefined);
  assert.equal(cache.servers, MAX_SERVERS - 1, "a server without tickets is forgotten");
  assert.notEqual(k(0), SessionCache.key("127.0.0.1", 4433, "localhost", "other-alpn"), "ALPN is in the key");
});

test("session cache: a QuicClient's second connection to a server resumes; its tickets stay bounded", async () => {
  const listener = await server();
  const client = await QuicClient.create({ alpn: ALPN, ca: listener.certificatePem });
  try {
    assert.equal(client.cachedSessions, 0);
    if (ext.stats) assert.equal(await handshake(client, listener.addr), false);
    else await handshake(client, listener.addr);
    assert.equal(client.cachedSessions, 1, "the first connection's ticket is kept");
    const second = await client.connect(listener.addr);
    assert.equal(client.cachedSessions, 0, "resuming took the ticket out (single-use)");
    if (ext.stats) assert.equal(second.resumed, true, "conn.resumed");
    assert.ok(await second.sessionAvailable);
    assert.equal(client.cachedSessions, 1, "its own ticket came back");
    await second.close();
    // by host name: another key (the name is part of it), so a full handshake first
    const byName = await client.connect({ hostname: "localhost", port: listener.addr.port });
    if (ext.stats) assert.equal(byName.resumed, false);
    await byName.sessionAvailable;
    assert.equal(client.cachedSessions, 2);
    await byName.close();
    const conns = await Promise.all(Array.from({ length: 8 }, () => client.connect(listener.addr)));
    await Promise.all(conns.map((c) => c.sessionAvailable));
    // eight tickets came for the address: the newest few are kept (and the name's one)
    assert.equal(client.cachedSessions, TICKETS_PER_SERVER + 1);
    await Promise.all(conns.map((c) => c.close()));
  } finally {
    await client.close();
    await listener.close();
  }
});

test("session cache: sessionCache: false never resumes", async () => {
  const listener = await server();
  const client = await QuicClient.create({ alpn: ALPN, ca: listener.certificatePem, sessionCache: false });
  try {
    for (let i = 0; i < 3; i++) {
      const resumed = await handshake(client, listener.addr);
      if (ext.stats) assert.equal(resumed, false, `connection ${i + 1}: a full handshake`);
      assert.equal(client.cachedSessions, 0);
    }
  } finally {
    await client.close();
    await listener.close();
  }
});

test("session cache: a ticket the server no longer takes means a full handshake, no error", async () => {
  const a = await server();
  const relay = await Relay.create(a.addr.port);
  const client = await QuicClient.create({ alpn: ALPN, ca: a.certificatePem });
  const b = await server(); // another endpoint: another ticket key, same certificate
  try {
    await handshake(client, relay.addr);
    assert.equal(client.cachedSessions, 1);
    relay.server = { hostname: "127.0.0.1", port: b.addr.port };
    const resumed = await handshake(client, relay.addr);
    if (ext.stats) assert.equal(resumed, false, "b cannot decrypt a's ticket: a full handshake");
    assert.equal(client.cachedSessions, 1, "the new server's ticket replaces the spent one");
    const third = await client.connect(relay.addr);
    if (ext.stats) assert.equal(third.resumed, true, "and resumes with the new server's ticket");
    await third.close();
  } finally {
    await client.close();
    relay.close();
    await a.close();
    await b.close();
  }
});

test("session cache: a session given to connect() is used instead of the cache's", async () => {
  const listener = await server();
  const client = await QuicClient.create({ alpn: ALPN, ca: listener.certificatePem });
  try {
    const first = await client.connect(listener.addr);
    const session = await first.sessionAvailable;
    assert.ok(session);
    assert.equal(client.cachedSessions, 1);
    const second = await client.connect(listener.addr, { session });
    assert.equal(client.cachedSessions, 1, "the cached ticket was not taken");
    if (ext.stats) assert.equal(second.resumed, true);
    await Promise.all([first.close(), second.close()]);
    await assert.rejects(
      QuicClient.create({ alpn: ALPN, sessionCache: "yes" as unknown as boolean }),
      (e: Error & { kind?: string }) => e.kind === "invalid_argument",
    );
  } finally {
    await client.close();
    await listener.close();
  }
});
