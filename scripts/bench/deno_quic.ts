/**
 * Deno's built-in QUIC (unstable `Deno.QuicEndpoint` / `Deno.connectQuic`, a Rust stack) on
 * the perf runner's workloads:
 * - bulk: the server sends `--mib` MiB of 0x5a on the client's first stream;
 * - rr: one connection, a new bidirectional stream per 32-byte request, answered with 32 bytes;
 * - crr: one connection per request (32 bytes each way), `--parallel` at a time, every
 *   connection from one client endpoint.
 * The server prints the perf runner's listening line on stderr; the client prints one JSON line.
 *
 *   deno run -A --unstable-net scripts/bench/deno_quic.ts server --port P --cert C --key K
 *   deno run -A --unstable-net scripts/bench/deno_quic.ts client --port P --ca C --mib 200
 *   deno run -A --unstable-net scripts/bench/deno_quic.ts client --port P --ca C --mode rr --seconds 2
 *
 * @module
 */
import { parseArgs } from "node:util";
import { crrLoop, rrLoop } from "./request_loops.ts";
import { readFileSync } from "node:fs";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;
const { values, positionals } = parseArgs({
  args: D.args,
  allowPositionals: true,
  options: {
    port: { type: "string", default: "0" },
    cert: { type: "string" },
    key: { type: "string" },
    ca: { type: "string" },
    mib: { type: "string", default: "200" },
    mode: { type: "string", default: "bulk" },
    seconds: { type: "string", default: "2" },
    parallel: { type: "string", default: "8" },
  },
});
const port = Number(values.port);
const CHUNK = new Uint8Array(256 << 10).fill(0x5a);
const SMALL = 32;
const RESPONSE = new Uint8Array(SMALL).fill(0x5a);

// deno-lint-ignore no-explicit-any
async function readAtLeast(readable: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = readable.getReader();
  const parts: Uint8Array[] = [];
  let have = 0;
  while (have < n) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
    have += value.length;
  }
  reader.releaseLock();
  const out = new Uint8Array(have);
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

// deno-lint-ignore no-explicit-any
async function answer(stream: any): Promise<void> {
  const req = await readAtLeast(stream.readable, 4);
  const w = stream.writable.getWriter();
  if (req.length === 4) { // bulk: the size in MiB
    const mib = new DataView(req.buffer).getUint32(0);
    for (let i = 0; i < mib * 4; i++) await w.write(CHUNK);
  } else {
    await w.write(RESPONSE);
  }
  await w.close();
}

if (positionals[0] === "server") {
  const endpoint = new D.QuicEndpoint({ hostname: "127.0.0.1", port });
  const listener = endpoint.listen({
    alpnProtocols: ["bench"],
    cert: readFileSync(values.cert!, "utf8"),
    key: readFileSync(values.key!, "utf8"),
    congestionControl: "throughput",
  });
  console.error(`coquic-perf server listening on 127.0.0.1:${endpoint.addr.port}`);
  for await (const incoming of listener) {
    (async () => {
      const conn = await incoming.accept();
      for await (const stream of conn.incomingBidirectionalStreams) answer(stream).catch(() => {});
    })().catch(() => {});
  }
} else {
  const endpoint = new D.QuicEndpoint({ hostname: "127.0.0.1", port: 0 });
  const open = () =>
    D.connectQuic({
      endpoint,
      hostname: "127.0.0.1",
      port,
      serverName: "localhost",
      alpnProtocols: ["bench"],
      caCerts: [readFileSync(values.ca!, "utf8")],
      congestionControl: values.mode === "bulk" ? "throughput" : "lowLatency",
    });
  // deno-lint-ignore no-explicit-any
  const request = async (conn: any): Promise<void> => {
    const stream = await conn.createBidirectionalStream();
    const w = stream.writable.getWriter();
    await w.write(new Uint8Array(SMALL).fill(0x61));
    await w.close();
    const got = await readAtLeast(stream.readable, SMALL);
    if (got.length !== SMALL) throw new Error(`short response: ${got.length} bytes`);
  };
  const until = performance.now() + Number(values.seconds) * 1000;
  if (values.mode === "rr") {
    const conn = await open();
    await rrLoop(conn, request, until);
    conn.close({ closeCode: 0, reason: "" });
  } else if (values.mode === "crr") {
    await crrLoop(open, request, (conn) => conn.close({ closeCode: 0, reason: "" }), Number(values.parallel), until);
  } else {
    const mib = Number(values.mib);
    const conn = await open();
    const t0 = performance.now();
    const stream = await conn.createBidirectionalStream();
    const w = stream.writable.getWriter();
    const req = new Uint8Array(4);
    new DataView(req.buffer).setUint32(0, mib);
    await w.write(req);
    let total = 0;
    for await (const chunk of stream.readable) total += chunk.length;
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ bytes: total, seconds, mibPerSecond: total / 2 ** 20 / seconds }));
    conn.close({ closeCode: 0, reason: "" });
  }
  D.exit(0);
}
