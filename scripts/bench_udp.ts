/**
 * Raw loopback UDP ceiling of this runtime through coquic-ts's own UDP adapters
 * (runtimes/udp_*.ts): what QUIC throughput and latency are later compared against.
 *
 *   deno run -A --unstable-net scripts/bench_udp.ts [options]
 *   bun scripts/bench_udp.ts [options]
 *
 * Modes:
 *   throughput  a sender and a receiver socket in this process; the sender sends batches of
 *               `--batch` 1200-byte datagrams while at most `--window` are unreceived (the
 *               default receive buffer, 212992 bytes, holds only ~92 of them: a larger burst is
 *               dropped by the kernel), for `--seconds`; prints received datagrams/s and Gbit/s.
 *   rtt         `--trips` ping-pong round trips of `--rtt-size` bytes between two sockets (one
 *               datagram in flight, so each receive batch holds one);
 *               prints p50/p99 (and mean, min, max) in µs.
 *   both        (default) one after the other.
 *
 * Options: --host 127.0.0.1|::1, --size 1200, --batch 32, --window 64, --seconds 2,
 * --recv batch|single (receive handler style), --trips 1000, --rtt-size 32, --json.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { nextTurn } from "../runtimes/clock.ts";
import type { DatagramBatch, SocketAddress } from "../runtimes/udp.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const argv: string[] = g.Deno ? g.Deno.args : g.process.argv.slice(2);

const { values: opt } = parseArgs({
  args: argv,
  options: {
    mode: { type: "string", default: "both" },
    host: { type: "string", default: "127.0.0.1" },
    size: { type: "string", default: "1200" },
    batch: { type: "string", default: "32" },
    window: { type: "string", default: "64" },
    seconds: { type: "string", default: "2" },
    recv: { type: "string", default: "batch" },
    trips: { type: "string", default: "1000" },
    "rtt-size": { type: "string", default: "32" },
    json: { type: "boolean", default: false },
  },
});

const host = opt.host!;
const version = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : "unknown";
const yieldTurn = () => new Promise<void>((r) => nextTurn(r));

/** Throughput result. */
interface ThroughputResult {
  datagramsPerSecond: number;
  gbitPerSecond: number;
  sentPerSecond: number;
  lossRatio: number;
  meanReceiveBatch: number;
}

async function throughput(): Promise<ThroughputResult> {
  const size = Number(opt.size), batch = Number(opt.batch), window = Number(opt.window);
  const seconds = Number(opt.seconds);
  const rx = await bindUdp({ hostname: host, port: 0 });
  const tx = await bindUdp({ hostname: host, port: 0 });
  let received = 0, receivedBytes = 0, batches = 0;
  if (opt.recv === "single") {
    rx.onDatagram((d) => {
      received++;
      receivedBytes += d.length;
      batches++;
    });
  } else {
    rx.onDatagrams((b: DatagramBatch) => {
      received += b.count;
      for (let i = 0; i < b.count; i++) receivedBytes += b.data[i].length;
      batches++;
    });
  }
  const payload = new Uint8Array(size).fill(0xab);
  const dest: SocketAddress = { hostname: host, port: rx.localAddress.port };
  const datagrams = new Array<Uint8Array>(batch).fill(payload);
  const addresses = new Array<SocketAddress>(batch).fill(dest);
  let sent = 0;
  // warm-up: 200 ms, not counted
  const run = async (ms: number) => {
    const end = performance.now() + ms;
    let spins = 0;
    while (performance.now() < end) {
      const room = window - (sent - received);
      if (room >= batch) {
        tx.sendBatch(datagrams, addresses);
        sent += batch;
        if (++spins % 4 !== 0) continue; // keep sending, but let I/O run regularly
      } else if (room > 0) {
        tx.sendBatch(datagrams.slice(0, room), addresses.slice(0, room));
        sent += room;
      }
      await yieldTurn();
      // a lost datagram would stall the window forever: count it gone after 50 ms without progress
      if (sent - received >= window) {
        const mark = received, since = performance.now();
        while (received === mark && performance.now() - since < 50) await yieldTurn();
        if (received === mark) sent = received;
      }
    }
  };
  await run(200);
  const s0 = sent, r0 = received, b0 = receivedBytes, n0 = batches;
  const t0 = performance.now();
  await run(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const got = received - r0, bytes = receivedBytes - b0;
  const res: ThroughputResult = {
    datagramsPerSecond: got / elapsed,
    gbitPerSecond: (bytes * 8) / elapsed / 1e9,
    sentPerSecond: (sent - s0) / elapsed,
    lossRatio: sent - s0 > 0 ? Math.max(0, 1 - got / (sent - s0)) : 0,
    meanReceiveBatch: got / Math.max(1, batches - n0),
  };
  rx.close();
  tx.close();
  return res;
}

/** RTT result (µs). */
interface RttResult {
  trips: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

async function rtt(): Promise<RttResult> {
  const trips = Number(opt.trips), size = Number(opt["rtt-size"]);
  const server = await bindUdp({ hostname: host, port: 0 });
  const client = await bindUdp({ hostname: host, port: 0 });
  const echoTo: SocketAddress[] = [{ hostname: host, port: client.localAddress.port }];
  const reply = [new Uint8Array(size)];
  const batched = opt.recv !== "single";
  const echo = (d: Uint8Array) => {
    reply[0] = d.slice();
    server.sendBatch(reply, echoTo);
  };
  if (batched) server.onDatagrams((b) => echo(b.data[0]));
  else server.onDatagram(echo);
  const ping = [new Uint8Array(size)];
  const toServer: SocketAddress[] = [{ hostname: host, port: server.localAddress.port }];
  const samples: number[] = [];
  const warmup = 50;
  await new Promise<void>((done, fail) => {
    let n = 0, t = 0;
    const timer = setTimeout(() => fail(new Error(`rtt: stuck after ${n} trips (a datagram was lost?)`)), 30_000);
    const onReply = () => {
      const dt = (performance.now() - t) * 1000;
      if (n >= warmup) samples.push(dt);
      if (++n >= trips + warmup) {
        clearTimeout(timer);
        return done();
      }
      t = performance.now();
      client.sendBatch(ping, toServer);
    };
    if (batched) client.onDatagrams(onReply);
    else client.onDatagram(onReply);
    t = performance.now();
    client.sendBatch(ping, toServer);
  });
  server.close();
  client.close();
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return {
    trips: samples.length,
    p50: q(0.5),
    p99: q(0.99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: samples[0],
    max: samples[samples.length - 1],
  };
}

const out: Record<string, unknown> = { runtime: version, host };
if (opt.mode === "throughput" || opt.mode === "both") {
  const r = await throughput();
  out.throughput = {
    size: Number(opt.size),
    batch: Number(opt.batch),
    window: Number(opt.window),
    recv: opt.recv,
    ...r,
  };
  if (!opt.json) {
    console.log(
      `${version} UDP loopback ${host}, ${opt.size}-byte datagrams, send batch ${opt.batch}, window ${opt.window}, recv ${opt.recv}:`,
    );
    console.log(
      `  ${r.datagramsPerSecond.toFixed(0)} datagrams/s received (${r.gbitPerSecond.toFixed(2)} Gbit/s payload), ` +
        `${r.sentPerSecond.toFixed(0)} sent/s, loss ${(r.lossRatio * 100).toFixed(2)}%, mean receive batch ${
          r.meanReceiveBatch.toFixed(1)
        }`,
    );
  }
}
if (opt.mode === "rtt" || opt.mode === "both") {
  const r = await rtt();
  out.rtt = { size: Number(opt["rtt-size"]), ...r };
  if (!opt.json) {
    console.log(
      `${version} UDP ping-pong ${host}, ${opt["rtt-size"]} bytes, ${r.trips} round trips, recv ${opt.recv}:`,
    );
    console.log(
      `  p50 ${r.p50.toFixed(1)} µs, p99 ${r.p99.toFixed(1)} µs (mean ${r.mean.toFixed(1)}, min ${
        r.min.toFixed(1)
      }, max ${r.max.toFixed(1)})`,
    );
  }
}
if (opt.json) console.log(JSON.stringify(out));
