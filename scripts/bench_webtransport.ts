/**
 * WebTransport on loopback, ours against Deno's on the same transfers, printed side by side:
 *
 *   stream bulk    `--mib` MiB written on one bidirectional session stream; the server counts
 *                  the bytes and answers with the count once all came (MiB/s over the whole).
 *   datagram rate  `--datagrams` datagrams of `--size` bytes sent as fast as the sender's
 *                  writer takes them; the server counts arrivals for `--settle-ms` after the
 *                  last send (datagrams/s sent, and the share that arrived).
 *
 * "ours" is our client against our serve(); "deno" is Deno's WebTransport client against
 * Deno.upgradeWebTransport on a Deno.QuicEndpoint (Deno only: under Bun and Node that column
 * says why it is missing). Numbers are for comparison on one machine, not absolutes.
 *
 *   deno run -A scripts/bench_webtransport.ts [--mib 64] [--datagrams 20000] [--size 1000] [--json]
 *   bun scripts/bench_webtransport.ts
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createHash, X509Certificate } from "node:crypto";
import { serve } from "../http3/mod.ts";
import { defaultLibrary } from "../ffi/loader.ts";
import { generateDevCertificate, isWebTransportRequest, upgradeWebTransport, WebTransport } from "../mod.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const { values } = parseArgs({
  args: g.Deno ? g.Deno.args : g.process.argv.slice(2),
  options: {
    mib: { type: "string", default: "64" },
    datagrams: { type: "string", default: "20000" },
    size: { type: "string", default: "1000" },
    "settle-ms": { type: "string", default: "300" },
    json: { type: "boolean", default: false },
  },
});
const MIB = Number(values.mib), COUNT = Number(values.datagrams), SIZE = Number(values.size);
const SETTLE = Number(values["settle-ms"]);
const CHUNK = 64 << 10;

/** What a server session needs to do for the benchmark, over the W3C interface both implement. */
interface Session {
  incomingBidirectionalStreams: ReadableStream<
    { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
  >;
  datagrams: { readable: ReadableStream<Uint8Array> };
}

/** Server side: counts stream bytes (answering with the count at `total`) and datagrams. */
function benchSession(wt: Session, counter: { datagrams: number }): void {
  void (async () => {
    for await (const bs of wt.incomingBidirectionalStreams) {
      const reader = bs.readable.getReader();
      const writer = bs.writable.getWriter();
      let total = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        total += value.length;
        // Deno's send streams do not FIN on close(): the answer comes at the expected length.
        if (total >= MIB << 20) break;
      }
      await writer.write(new TextEncoder().encode(String(total)));
    }
  })().catch(() => {});
  void (async () => {
    for await (const _ of wt.datagrams.readable) counter.datagrams++;
  })().catch(() => {});
}

/** Client side: the two transfers over an established session. */
async function runClient(
  wt: {
    createBidirectionalStream(): Promise<
      { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
    >;
    datagrams: { writable: WritableStream<Uint8Array> };
  },
  counter: { datagrams: number },
) {
  const bs = await wt.createBidirectionalStream();
  const writer = bs.writable.getWriter();
  const chunk = new Uint8Array(CHUNK).fill(7);
  const t0 = performance.now();
  for (let sent = 0; sent < MIB << 20; sent += CHUNK) await writer.write(chunk);
  const { value } = await bs.readable.getReader().read();
  const streamSeconds = (performance.now() - t0) / 1000;
  if (Number(new TextDecoder().decode(value)) !== MIB << 20) throw new Error("stream bytes lost");
  const dw = wt.datagrams.writable.getWriter();
  const datagram = new Uint8Array(SIZE).fill(9);
  counter.datagrams = 0;
  const t1 = performance.now();
  for (let i = 0; i < COUNT; i++) await dw.write(datagram);
  const sendSeconds = (performance.now() - t1) / 1000;
  await new Promise((r) => setTimeout(r, SETTLE));
  return {
    streamMiBps: MIB / streamSeconds,
    datagramsPerSecond: COUNT / sendSeconds,
    datagramsArrived: counter.datagrams / COUNT,
  };
}

const cert = await generateDevCertificate({ days: 10 });
// Both clients pin the server by certificate hash, as a browser would (ours falls back to `ca`
// with a libcoquic that does not expose the peer's certificate).
const hash = createHash("sha256").update(new X509Certificate(cert.certPem).raw).digest();
const pin = defaultLibrary().extensions.peerCertificate
  ? { serverCertificateHashes: [{ algorithm: "sha-256", value: hash }] }
  : { ca: cert.certPem };

async function ours() {
  const counter = { datagrams: 0 };
  const server = await serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.certPem,
    key: cert.keyPem,
    webTransport: true,
  }, (req) => {
    if (!isWebTransportRequest(req)) return new Response("no", { status: 404 });
    const wt = upgradeWebTransport(req);
    void wt.ready.then(() => benchSession(wt, counter));
    return new Response(null, { status: 200 });
  });
  try {
    const wt = new WebTransport(`https://127.0.0.1:${server.addr.port}/bench`, pin);
    await wt.ready;
    const r = await runClient(wt, counter);
    wt.close();
    return r;
  } finally {
    await server.shutdown({ timeoutMs: 500 });
  }
}

async function deno() {
  if (!g.Deno) return `Deno's WebTransport exists only in Deno`;
  if (typeof g.Deno.upgradeWebTransport !== "function") return "this Deno has no WebTransport (--unstable-net)";
  const counter = { datagrams: 0 };
  const endpoint = new g.Deno.QuicEndpoint({ hostname: "127.0.0.1", port: 0 });
  const listener = endpoint.listen({ cert: cert.certPem, key: cert.keyPem, alpnProtocols: ["h3"] });
  void (async () => {
    for await (const incoming of listener) {
      const wt = await g.Deno.upgradeWebTransport(await incoming.accept());
      await wt.ready;
      benchSession(wt, counter);
    }
  })().catch(() => {});
  try {
    const wt = new g.WebTransport(`https://localhost:${endpoint.addr.port}/bench`, {
      serverCertificateHashes: [{ algorithm: "sha-256", value: hash }],
    });
    await wt.ready;
    const r = await runClient(wt, counter);
    wt.close();
    return r;
  } finally {
    endpoint.close();
  }
}

const results = { ours: await ours(), deno: await deno() };
if (values.json) console.log(JSON.stringify({ mib: MIB, datagrams: COUNT, size: SIZE, ...results }));
else {
  const cell = (r: typeof results.ours | string, f: (r: typeof results.ours) => string) =>
    typeof r === "string" ? "-" : f(r);
  const rows: [string, (r: typeof results.ours) => string][] = [
    [`stream bulk (${MIB} MiB), MiB/s`, (r) => r.streamMiBps.toFixed(1)],
    [`datagrams sent (${COUNT} x ${SIZE} B), /s`, (r) => r.datagramsPerSecond.toFixed(0)],
    ["datagrams arrived", (r) => `${(r.datagramsArrived * 100).toFixed(1)} %`],
  ];
  console.log(`${"WebTransport, loopback".padEnd(40)}${"ours".padStart(12)}${"deno".padStart(12)}`);
  for (const [name, f] of rows) {
    console.log(`${name.padEnd(40)}${cell(results.ours, f).padStart(12)}${cell(results.deno, f).padStart(12)}`);
  }
  if (typeof results.deno === "string") console.log(`deno: ${results.deno}`);
}
// deno-lint-ignore no-process-global
if (!g.Deno) g.process.exit(0);
else g.Deno.exit(0);
