// In-memory endpoint pairs driven from TypeScript through the public binding, twice: on our
// engine with its coquic_x_ extensions, and on the core ABI only (as with an upstream
// libcoquic: effect_at per effect, by-value next_wakeup — on Bun through the cc adapter).
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { Pair, type PairOptions, pattern } from "./_pair.ts";
import { loadCoquicSync } from "../ffi/loader.ts";
import type { Effect } from "../quic/effects.ts";

const states = (events: Effect[], conn: bigint) =>
  events.filter((e) => e.connection === conn && (e.kind === "state_event" || e.kind === "connection_lifecycle_event"))
    .map((e) => e.kind === "state_event" ? e.change : (e as { event: string }).event);

for (const mode of ["extensions", "core ABI only"] as const) {
  const core = mode === "core ABI only";
  const opts = (): PairOptions => ({ library: loadCoquicSync({ extensions: !core }) });

  test(`pair (${mode}): handshake reaches HANDSHAKE_CONFIRMED on both sides in order`, async () => {
    const p = await Pair.create(opts());
    const conn = p.connect();
    p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
    const sconn = p.serverConnection();
    assert.deepEqual(states(p.client.events, conn.handle), ["created", "handshake_ready", "handshake_confirmed"]);
    assert.deepEqual(states(p.server.events, sconn), ["accepted", "handshake_ready", "handshake_confirmed"]);
    assert.equal(p.client.endpoint.connectionCount(), 1);
    assert.equal(p.server.endpoint.connectionCount(), 1);
    p.close();
  });

  test(`pair (${mode}): 16 MiB stream transfer is byte-exact`, async () => {
    const p = await Pair.create(opts());
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

  test(`pair (${mode}): 1 MiB over a lossy, reordering, duplicating link is byte-exact`, async () => {
    const p = await Pair.create({ ...opts(), loss: 0.05, reorder: 0.1, duplicate: 0.02, seed: 7n });
    const conn = p.connect();
    const data = pattern(1 << 20);
    p.absorb(p.client, conn.sendStream(0n, data, true, p.now));
    p.runUntil(() => p.serverSawStream(0n, true), 300_000_000n);
    assert.ok(Buffer.from(p.server.received(p.serverConnection(), 0n)).equals(Buffer.from(data)), "payload differs");
    p.close();
  });

  test(`pair (${mode}): 200 streams each echoed back`, async () => {
    const p = await Pair.create(opts());
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

  test(`pair (${mode}): DATAGRAMs both ways, too large is a local error`, async () => {
    const p = await Pair.create(opts());
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

  test(`pair (${mode}): reset and stop-sending reach the peer with their codes`, async () => {
    const p = await Pair.create(opts());
    const conn = p.connect();
    p.absorb(p.client, conn.sendStream(0n, pattern(1000), false, p.now));
    p.runUntil(() => p.serverSawStream(0n));
    p.absorb(p.client, conn.resetStream(0n, 77n, p.now));
    p.runUntil(() => p.server.has("peer_reset_stream"));
    const reset = p.server.events.find((e) => e.kind === "peer_reset_stream") as {
      applicationErrorCode: bigint;
      finalSize: bigint;
    };
    assert.equal(reset.applicationErrorCode, 77n);
    assert.equal(reset.finalSize, 1000n);
    p.absorb(p.client, conn.sendStream(4n, pattern(10), false, p.now));
    p.runUntil(() => p.serverSawStream(4n));
    p.absorb(p.server, p.server.endpoint.connection(p.serverConnection()).stopSending(4n, 99n, p.now));
    p.runUntil(() => p.client.has("peer_stop_sending"));
    const stop = p.client.events.find((e) => e.kind === "peer_stop_sending") as {
      streamId: bigint;
      applicationErrorCode: bigint;
    };
    assert.equal(stop.streamId, 4n);
    assert.equal(stop.applicationErrorCode, 99n);
    p.close();
  });

  test(`pair (${mode}): close code and reason are delivered to the peer`, async () => {
    const p = await Pair.create(opts());
    const conn = p.connect();
    p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
    p.absorb(p.client, conn.close(0x1234n, "bye", p.now));
    const failed = (e: Effect) => e.kind === "state_event" && e.change === "failed";
    p.runUntil(() => p.server.has("state_event", failed));
    if (core) {
      // The core ABI surfaces no close code: only FAILED, and no close infos at all.
      assert.deepEqual(p.server.closeInfos, []);
    } else {
      const info = p.server.closeInfos[0];
      assert.equal(info.source, "peer");
      assert.equal(info.isApplicationError, true);
      assert.equal(info.errorCode, 0x1234n);
      assert.equal(info.reason, "bye");
      assert.equal(p.client.closeInfos[0].source, "local");
    }
    p.runUntil(() => p.server.endpoint.connectionCount() === 0 && p.client.endpoint.connectionCount() === 0);
    assert.ok(p.server.has("connection_lifecycle_event", (e) => (e as { event: string }).event === "closed"));
    p.close();
  });

  test(`pair (${mode}): timers drive the idle timeout`, async () => {
    const p = await Pair.create({
      ...opts(),
      client: (c) => (c.transport.maxIdleTimeout = 2_000),
      server: (c) => (c.transport.maxIdleTimeout = 2_000),
    });
    p.connect();
    p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
    const start = p.now;
    p.runUntil(
      () => p.client.endpoint.connectionCount() === 0 && p.server.endpoint.connectionCount() === 0,
      30_000_000n,
    );
    assert.ok(p.now - start >= 2_000_000n, "closed before the idle timeout");
    assert.ok(p.client.has("state_event", (e) => e.kind === "state_event" && e.change === "failed"));
    if (!core) assert.equal(p.client.closeInfos[0]?.source, "idle_timeout");
    p.close();
  });
}

test("pair: key update, migration and path MTU inputs go through the facade", async () => {
  const p = await Pair.create();
  const conn = p.connect();
  // Before the handshake a key update is refused as a local error, not a throw.
  assert.equal(conn.requestKeyUpdate(p.now).localError?.name, "UNSUPPORTED_OPERATION");
  p.runUntil(() => p.client.has("state_event", (e) => e.kind === "state_event" && e.change === "handshake_confirmed"));
  const ku = conn.requestKeyUpdate(p.now);
  assert.equal(ku.localError, undefined);
  p.absorb(p.client, ku);
  p.absorb(p.client, conn.sendStream(0n, pattern(50_000), true, p.now));
  p.runUntil(() => p.serverSawStream(0n, true));
  assert.deepEqual(p.server.received(p.serverConnection(), 0n), pattern(50_000));
  // Migration to another route: the new path's datagrams carry its route handle.
  const mig = conn.requestMigration({ routeHandle: 2n }, p.now);
  assert.equal(mig.localError, undefined, String(mig.localError));
  p.absorb(p.client, mig);
  p.absorb(p.client, conn.sendStream(4n, pattern(1000), true, p.now));
  p.runUntil(() => p.serverSawStream(4n, true));
  assert.ok(p.clientRoutes.has(2n), `client sent on routes ${[...p.clientRoutes]}`);
  // A PMTU report at or above what the path carries only says a probe failed: accepted
  // (reductions below it are refused as unsupported: native/tests/pmtu_test.c).
  const mtu = p.client.endpoint.updatePathMtu({ routeHandle: 2n, maxUdpPayloadSize: 1500 }, p.now);
  assert.equal(mtu.localError, undefined, String(mtu.localError));
  p.close();
});
