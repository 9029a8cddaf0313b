// In-memory endpoint pairs driven from TypeScript through the public binding.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { Pair, pattern } from "./_pair.ts";
import type { Effect } from "../quic/effects.ts";

const states = (events: Effect[], conn: bigint) =>
  events.filter((e) => e.connection === conn && (e.kind === "state_event" || e.kind === "connection_lifecycle_event"))
    .map((e) => e.kind === "state_event" ? e.change : (e as { event: string }).event);

test("pair: handshake reaches HANDSHAKE_CONFIRMED on both sides in order", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  const sconn = p.serverConnection();
  assert.deepEqual(states(p.client.events, conn.handle), ["created", "handshake_ready", "handshake_confirmed"]);
  assert.deepEqual(states(p.server.events, sconn), ["accepted", "handshake_ready", "handshake_confirmed"]);
  assert.equal(p.client.endpoint.connectionCount(), 1);
  assert.equal(p.server.endpoint.connectionCount(), 1);
  p.close();
});

test("pair: 16 MiB stream transfer is byte-exact", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  const size = 16 << 20;
  const data = pattern(size);
  p.absorb(p.client, conn.sendStream(0n, data, true, p.now));
  p.runUntil(() => p.serverSawStream(0n, true), 120_000_000n);
  const got = p.server.received(p.serverConnection(), 0n);
  assert.equal(got.length, size);
  assert.ok(Buffer.from(got).equals(Buffer.from(data)), "payload differs");
  p.close();
});

test("pair: 200 streams each echoed back", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  for (let i = 0; i < 200; i++) {
    p.absorb(p.client, conn.sendStream(BigInt(4 * i), pattern(100 + i, i), true, p.now));
  }
  const sconn = () => p.serverConnection();
  p.runUntil(() => [...p.server.streams.values()].filter((s) => s.fin).length === 200);
  for (let i = 0; i < 200; i++) {
    const id = BigInt(4 * i);
    const got = p.server.received(sconn(), id);
    assert.deepEqual(got, pattern(100 + i, i));
    p.absorb(p.server, p.server.endpoint.connection(sconn()).sendStream(id, got, true, p.now));
  }
  p.runUntil(() => [...p.client.streams.values()].filter((s) => s.fin).length === 200);
  for (let i = 0; i < 200; i++) assert.deepEqual(p.client.received(conn.handle, BigInt(4 * i)), pattern(100 + i, i));
  p.close();
});

test("pair: DATAGRAMs both ways, too large is a local error", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  for (let i = 0; i < 10; i++) p.absorb(p.client, conn.sendDatagram(pattern(50 + i, i), p.now));
  p.runUntil(() => p.server.datagrams.length === 10);
  assert.deepEqual(p.server.datagrams[3], pattern(53, 3));
  p.absorb(p.server, p.server.endpoint.connection(p.serverConnection()).sendDatagram(pattern(7), p.now));
  p.runUntil(() => p.client.datagrams.length === 1);
  assert.deepEqual(p.client.datagrams[0], pattern(7));
  const r = conn.sendDatagram(new Uint8Array(70_000), p.now);
  assert.equal(r.localError?.name, "DATAGRAM_TOO_LARGE");
  p.close();
});

test("pair: reset and stop-sending reach the peer with their codes", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  p.absorb(p.client, conn.sendStream(0n, pattern(1000), false, p.now));
  p.runUntil(() => p.serverSawStream(0n));
  p.absorb(p.client, conn.resetStream(0n, 77n, p.now));
  p.runUntil(() => p.server.has("peer_reset_stream"));
  const reset = p.server.events.find((e) => e.kind === "peer_reset_stream") as { applicationErrorCode: bigint; finalSize: bigint };
  assert.equal(reset.applicationErrorCode, 77n);
  assert.equal(reset.finalSize, 1000n);
  p.absorb(p.client, conn.sendStream(4n, pattern(10), false, p.now));
  p.runUntil(() => p.serverSawStream(4n));
  p.absorb(p.server, p.server.endpoint.connection(p.serverConnection()).stopSending(4n, 99n, p.now));
  p.runUntil(() => p.client.has("peer_stop_sending"));
  const stop = p.client.events.find((e) => e.kind === "peer_stop_sending") as { streamId: bigint; applicationErrorCode: bigint };
  assert.equal(stop.streamId, 4n);
  assert.equal(stop.applicationErrorCode, 99n);
  p.close();
});

test("pair: close code and reason are delivered to the peer", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  p.absorb(p.client, conn.close(0x1234n, "bye", p.now));
  p.runUntil(() => p.server.closeInfos.length > 0);
  const info = p.server.closeInfos[0];
  assert.equal(info.source, "peer");
  assert.equal(info.isApplicationError, true);
  assert.equal(info.errorCode, 0x1234n);
  assert.equal(info.reason, "bye");
  assert.equal(p.client.closeInfos[0].source, "local");
  p.runUntil(() => p.server.endpoint.connectionCount() === 0 && p.client.endpoint.connectionCount() === 0);
  assert.ok(p.server.has("connection_lifecycle_event", (e) => (e as { event: string }).event === "closed"));
  p.close();
});

test("pair: timers drive the idle timeout", async () => {
  const p = await Pair.create({
    client: (c) => (c.transport.maxIdleTimeout = 2_000),
    server: (c) => (c.transport.maxIdleTimeout = 2_000),
  });
  p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  const start = p.now;
  p.runUntil(() => p.client.endpoint.connectionCount() === 0 && p.server.endpoint.connectionCount() === 0, 30_000_000n);
  assert.ok(p.now - start >= 2_000_000n, "closed before the idle timeout");
  assert.equal(p.client.closeInfos[0]?.source, "idle_timeout");
  p.close();
});
