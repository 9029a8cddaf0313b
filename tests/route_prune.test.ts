// The runtime driver forgets peers (issues 14 and 17 item 5): every datagram from a new source
// address used to add a route and admission state for good. Here the real Driver runs over a
// fake socket, so tens of thousands of source addresses cost nothing to make: garbage from
// 30,000 addresses leaves a bounded table, and a genuine client whose handshake runs through
// that flood keeps its route and finishes, and its stream arrives.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { freshClientConfig } from "./_echo.ts";
import { loadCoquicSync } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { EndpointConfig } from "../quic/config.ts";
import { Endpoint } from "../quic/endpoint.ts";
import { Driver } from "../quic/driver.ts";
import { PRUNE_FLOOR } from "../quic/route_keeper.ts";
import type { QueryResult } from "../quic/result.ts";
import type { DatagramBatch, SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { testCert } from "./_cert.ts";

/** A socket that records what the driver sends and lets the test deliver datagrams. */
class FakeSocket implements UdpSocket {
  readonly localAddress = { hostname: "127.0.0.1", port: 4433, family: "IPv4" as const };
  closed = false;
  queued = 0;
  sent: { data: Uint8Array; to: SocketAddress }[] = [];
  #batch?: (b: DatagramBatch) => void;
  #one?: (data: Uint8Array, hostname: string, port: number) => void;
  sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]): void {
    datagrams.forEach((d, i) => this.sent.push({ data: d.slice(), to: addresses[i] }));
  }
  send(): void {}
  onDatagram(h: (data: Uint8Array, hostname: string, port: number) => void): void {
    this.#one = h;
  }
  onDatagrams(h: (b: DatagramBatch) => void): void {
    this.#batch = h;
  }
  close(): void {
    this.closed = true;
  }
  deliver(data: Uint8Array, hostname: string, port: number): void {
    if (this.#batch) this.#batch({ count: 1, data: [data], hostnames: [hostname], ports: [port] });
    else this.#one!(data, hostname, port);
  }
}

async function server(): Promise<{ driver: Driver; socket: FakeSocket }> {
  const lib = loadCoquicSync();
  const { certPem, keyPem } = await testCert();
  const c = EndpointConfig.default(lib);
  c.role = Role.SERVER;
  c.verifyPeer = false;
  c.applicationProtocol = "prune";
  c.identity = { certificatePem: certPem, privateKeyPem: keyPem };
  const socket = new FakeSocket();
  return { driver: new Driver(Endpoint.create(lib, c), socket), socket };
}

/** A 1,200-byte datagram the engine drops without state (a short header for no connection). */
function garbage(i: number): Uint8Array {
  const d = new Uint8Array(1200);
  d[0] = 0x40; // short header
  new DataView(d.buffer).setUint32(1, i);
  return d;
}

test("route pruning: garbage from 30,000 source addresses leaves a bounded route table", async () => {
  const { driver, socket } = await server();
  try {
    for (let i = 0; i < 30_000; i++) {
      socket.deliver(garbage(i), `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1000 + (i % 50_000));
    }
    const peers = driver.io().path === "runtime" ? (driver.io() as { peers: number }).peers : -1;
    assert.ok(peers < PRUNE_FLOOR, `${peers} routes kept after 30,000 addresses (floor ${PRUNE_FLOOR})`);
    assert.equal(driver.routes.size, peers);
  } finally {
    driver.close();
  }
});

test("route pruning: a client whose handshake runs through the flood keeps its route and its stream arrives", async () => {
  const { driver, socket } = await server();
  const lib = driver.endpoint.library;
  const cc = EndpointConfig.default(lib);
  cc.role = Role.CLIENT;
  cc.verifyPeer = false;
  cc.applicationProtocol = "prune";
  const client = Endpoint.create(lib, cc);
  let accepted: bigint | undefined;
  const received: Uint8Array[] = [];
  driver.onAccepted = (handle) => {
    accepted = handle;
    driver.connections.set(handle, {
      _effect: (e) => e.kind === "receive_stream_data" && received.push(e.bytes.slice()),
      _closeInfo() {},
      _dropped() {},
    });
  };
  let confirmed = false;
  const fromClient = (r: QueryResult) => {
    for (const e of r.effects) {
      if (e.kind === "send_datagram") socket.deliver(e.bytes, "192.0.2.7", 5555);
      if (e.kind === "state_event" && e.change === "handshake_confirmed") confirmed = true;
    }
  };
  let now = 1_000n;
  try {
    const cfg = freshClientConfig(lib);
    const { connection, result } = client.connect(cfg, now);
    fromClient(result);
    let flood = 0;
    for (let step = 0; step < 200 && !confirmed; step++) {
      for (let i = 0; i < 3000; i++, flood++) {
        socket.deliver(garbage(flood), `10.9.${(flood >> 8) & 255}.${flood & 255}`, 2000 + (flood % 60_000));
      }
      await new Promise((r) => setTimeout(r, 1)); // the driver drains batched input on its timer
      now += 1_000n;
      for (const { data, to } of socket.sent.splice(0)) {
        if (to.hostname === "192.0.2.7") fromClient(client.receiveDatagram({ bytes: data, routeHandle: 1n }, now));
      }
      const w = client.nextWakeup();
      if (w !== undefined && w <= now) fromClient(client.timerExpired(now));
    }
    assert.ok(confirmed, "the handshake finished despite the flood");
    assert.ok(flood > PRUNE_FLOOR, `the flood (${flood} addresses) made the table prune`);
    assert.ok(driver.routes.size < PRUNE_FLOOR, `${driver.routes.size} routes kept`);
    assert.ok(driver.routes.lookup("192.0.2.7", 5555), "the live client's route is kept");
    fromClient(connection.sendStream(0n, new TextEncoder().encode("still here"), true, now));
    for (let step = 0; step < 20 && received.length === 0; step++) {
      await new Promise((r) => setTimeout(r, 1));
      now += 1_000n;
      for (const { data, to } of socket.sent.splice(0)) {
        if (to.hostname === "192.0.2.7") fromClient(client.receiveDatagram({ bytes: data, routeHandle: 1n }, now));
      }
    }
    assert.ok(accepted !== undefined);
    assert.equal(new TextDecoder().decode(received[0]), "still here");
  } finally {
    client.close();
    driver.close();
  }
});
