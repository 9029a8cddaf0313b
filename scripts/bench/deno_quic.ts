/**
 * Deno's built-in QUIC (unstable `Deno.QuicEndpoint` / `Deno.connectQuic`, a Rust stack) on
 * the same bulk download as the perf runner: the server sends `--mib` MiB of 0x5a on the
 * client's first stream; the client prints one JSON line with the rate.
 *
 *   deno run -A --unstable-net scripts/bench/deno_quic.ts server --port P --cert C --key K
 *   deno run -A --unstable-net scripts/bench/deno_quic.ts client --port P --ca C --mib 200
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;
const { values, positionals } = parseArgs({
  args: D.args,
  allowPositionals: true,
  options: {
    port: { type: "string", default: "4700" },
    cert: { type: "string" },
    key: { type: "string" },
    ca: { type: "string" },
    mib: { type: "string", default: "200" },
  },
});
const port = Number(values.port);
const CHUNK = new Uint8Array(256 << 10).fill(0x5a);

if (positionals[0] === "server") {
  const endpoint = new D.QuicEndpoint({ hostname: "127.0.0.1", port });
  const listener = endpoint.listen({
    alpnProtocols: ["bench"],
    cert: readFileSync(values.cert!, "utf8"),
    key: readFileSync(values.key!, "utf8"),
    congestionControl: "throughput",
  });
  console.log("ready");
  for await (const incoming of listener) {
    (async () => {
      const conn = await incoming.accept();
      const reader = conn.incomingBidirectionalStreams.getReader();
      const { value: stream } = await reader.read();
      const req = await stream.readable.getReader().read(); // the size request
      const mib = new DataView(req.value.buffer).getUint32(0);
      const w = stream.writable.getWriter();
      for (let i = 0; i < mib * 4; i++) await w.write(CHUNK);
      await w.close();
    })();
  }
} else {
  const mib = Number(values.mib);
  const conn = await D.connectQuic({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    alpnProtocols: ["bench"],
    caCerts: [readFileSync(values.ca!, "utf8")],
    congestionControl: "throughput",
  });
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
  D.exit(0);
}
