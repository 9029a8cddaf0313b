/**
 * UDP adapters over loopback (127.0.0.1 and ::1): batched echo of 1000 datagrams of 1200
 * bytes, both receive styles, order and content, addresses, and close releasing the port.
 */
import assert from "node:assert/strict";
import type { DatagramBatch, UdpSocket } from "../runtimes/udp.ts";
import { bindUdp, udpRuntime } from "../runtimes/udp_factory.ts";
import { test } from "./_harness.ts";
import { readFileSync } from "node:fs";
import { ffiRuntime } from "../runtimes/detect.ts";
import { RECEIVE_BUFFER_BYTES, receiveBufferSize } from "../runtimes/socket_buffer.ts";

/** Resolves when `cond()` holds; rejects after `ms`. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const N = 1000;
const SIZE = 1200;

function datagram(seq: number): Uint8Array {
  const d = new Uint8Array(SIZE);
  new DataView(d.buffer).setUint32(0, seq);
  for (let i = 4; i < SIZE; i++) d[i] = (seq + i) & 0xff;
  return d;
}

function check(d: Uint8Array): number {
  assert.equal(d.length, SIZE);
  const seq = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
  for (let i = 4; i < SIZE; i += 97) assert.equal(d[i], (seq + i) & 0xff, `byte ${i} of datagram ${seq}`);
  return seq;
}

async function echo(host: string): Promise<void> {
  const server = await bindUdp({ hostname: host, port: 0 });
  const client = await bindUdp({ hostname: host, port: 0 });
  try {
    assert.equal(server.localAddress.hostname, host);
    assert.equal(server.localAddress.family, host.includes(":") ? "IPv6" : "IPv4");
    assert.ok(server.localAddress.port > 0 && server.localAddress.port !== client.localAddress.port);
    // The server echoes whole batches back in one batched send (copying: received bytes are
    // only valid during the handler call).
    let batches = 0;
    let serverGot = 0;
    server.onDatagrams((b: DatagramBatch) => {
      batches++;
      serverGot += b.count;
      const out: Uint8Array[] = [];
      const to: { hostname: string; port: number }[] = [];
      for (let i = 0; i < b.count; i++) {
        out.push(b.data[i].slice());
        to.push({ hostname: b.hostnames[i], port: b.ports[i] });
      }
      server.sendBatch(out, to);
    });
    const seen: number[] = [];
    client.onDatagram((data, hostname, port) => {
      assert.equal(hostname, host);
      assert.equal(port, server.localAddress.port);
      seen.push(check(data));
    });
    const dest = { hostname: host, port: server.localAddress.port };
    // Stay below the default socket receive buffer: 212992 bytes hold only ~92 such datagrams
    // (the kernel counts ~2.3 KB of buffer per 1200-byte datagram), so no loss on loopback.
    const WINDOW = 64;
    let sent = 0;
    while (sent < N) {
      await waitFor(() => sent - seen.length < WINDOW, 5000, `echoes (${seen.length}/${sent})`);
      const n = Math.min(25, N - sent);
      const batch = Array.from({ length: n }, (_, i) => datagram(sent + i));
      client.sendBatch(batch, batch.map(() => dest));
      sent += n;
    }
    await waitFor(() => seen.length >= N, 10_000, `all ${N} echoes (${seen.length})`);
    assert.equal(serverGot, N);
    assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i), "every datagram, once, in order");
    assert.ok(batches >= 1 && batches <= N);
    assert.equal(client.queued, 0);
    assert.equal(server.queued, 0);
  } finally {
    client.close();
    server.close();
  }
  assert.ok(server.closed && client.closed);
}

test(`udp (${udpRuntime()}): echo of ${N} × ${SIZE}-byte datagrams over 127.0.0.1`, () => echo("127.0.0.1"), {
  timeout: 30_000,
});
test(`udp (${udpRuntime()}): echo of ${N} × ${SIZE}-byte datagrams over ::1`, () => echo("::1"), { timeout: 30_000 });

test("udp: close releases the port, stops delivery and ignores later sends", async () => {
  for (const host of ["127.0.0.1", "::1"]) {
    const a = await bindUdp({ hostname: host, port: 0 });
    const port = a.localAddress.port;
    const peer = await bindUdp({ hostname: host, port: 0 });
    let got = 0;
    a.onDatagram(() => got++);
    peer.sendBatch([new Uint8Array(8)], [{ hostname: host, port }]);
    await waitFor(() => got === 1, 5000, "first datagram");
    a.close();
    a.close(); // idempotent
    assert.equal(a.closed, true);
    a.sendBatch([new Uint8Array(8)], [{ hostname: host, port: peer.localAddress.port }]); // no throw
    peer.sendBatch([new Uint8Array(8)], [{ hostname: host, port }]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got, 1, "nothing delivered after close");
    // The port is free again: bind it explicitly, and it works.
    const b = await bindUdp({ hostname: host, port });
    try {
      assert.equal(b.localAddress.port, port);
      let gotB = 0;
      b.onDatagram((d) => (gotB += d.length));
      peer.sendBatch([new Uint8Array(5)], [{ hostname: host, port }]);
      await waitFor(() => gotB === 5, 5000, "datagram on the rebound port");
    } finally {
      b.close();
      peer.close();
    }
  }
}, { timeout: 20_000 });

test("udp: binding a port in use fails", async () => {
  const a: UdpSocket = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(async () => {
      const b = await bindUdp({ hostname: "127.0.0.1", port: a.localAddress.port });
      b.close();
    });
  } finally {
    a.close();
  }
}, { timeout: 10_000 });

test("udp: an unreachable peer does not break the socket", async () => {
  const a = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const closedPort = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const dead = closedPort.localAddress.port;
  closedPort.close();
  const b = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  try {
    let got = 0;
    a.onDatagram(() => got++);
    for (let i = 0; i < 5; i++) {
      a.sendBatch([new Uint8Array(4)], [{ hostname: "127.0.0.1", port: dead }]); // ICMP port unreachable
      await new Promise((r) => setTimeout(r, 5));
    }
    b.sendBatch([new Uint8Array(4), new Uint8Array(4)], [a.localAddress, a.localAddress]);
    await waitFor(() => got === 2, 5000, "datagrams after ICMP errors");
  } finally {
    a.close();
    b.close();
  }
}, { timeout: 10_000 });

test("udp: sockets get a raised kernel receive buffer (SO_RCVBUF, capped by rmem_max)", async () => {
  const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8").trim());
  // Linux doubles what is set (bookkeeping overhead) and caps the request at rmem_max.
  const expected = 2 * Math.min(RECEIVE_BUFFER_BYTES, rmemMax);
  for (const host of ["127.0.0.1", "::1"]) {
    const s = await bindUdp({ hostname: host, port: 0 });
    try {
      const size = receiveBufferSize(ffiRuntime(), s.localAddress.port, s.localAddress.family);
      assert.equal(size, expected, `${host}: SO_RCVBUF ${size}, expected ${expected}`);
    } finally {
      s.close();
    }
  }
});

test("udp: a burst reaches a batch handler in batches, every datagram once and in order", async () => {
  const rx = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const tx = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  try {
    const seen: number[] = [];
    let largest = 0;
    rx.onDatagrams((b: DatagramBatch) => {
      largest = Math.max(largest, b.count);
      for (let i = 0; i < b.count; i++) seen.push(check(b.data[i]));
    });
    const dest = { hostname: "127.0.0.1", port: rx.localAddress.port };
    const total = 600;
    for (let sent = 0; sent < total; sent += 60) {
      // 60 datagrams in one go while the receiver is busy here: they queue up in the kernel
      const batch = Array.from({ length: 60 }, (_, i) => datagram(sent + i));
      tx.sendBatch(batch, batch.map(() => dest));
      const busyUntil = performance.now() + 5;
      while (performance.now() < busyUntil) { /* keep the event loop from receiving */ }
      await waitFor(() => seen.length >= sent + 60, 5000, `burst at ${sent} (${seen.length})`);
    }
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i), "every datagram, once, in order");
    assert.ok(largest > 1, `largest receive batch ${largest}: datagrams that waited together came one by one`);
  } finally {
    rx.close();
    tx.close();
  }
});
