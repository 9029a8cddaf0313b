/**
 * Our QUIC API on exactly the workloads `scripts/bench/deno_quic.ts` runs on Deno's built-in
 * QUIC, with the same bytes on the wire per exchange (the perf runner's crr adds its control
 * stream and `session_ready` round trip to every connection, which Deno's script has not):
 * - rr: one connection, a new bidirectional stream per 32-byte request, answered with 32 bytes;
 * - crr: one connection per request (32 bytes each way), `--parallel` at a time, every
 *   connection from one `QuicClient` (one endpoint and socket, as Deno's script shares one
 *   `QuicEndpoint`; both resume TLS sessions from the tickets their servers sent).
 * The server prints the perf runner's listening line on stderr; the client prints one JSON line.
 * Runs on Deno and Bun; `--io native|runtime` picks the I/O path (default: automatic).
 *
 *   deno run -A scripts/bench/coquic_quic.ts server --port P --cert C --key K [--io native]
 *   bun scripts/bench/coquic_quic.ts client --port P --ca C --mode crr --seconds 2 [--io native]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { crrLoop, rrLoop } from "./request_loops.ts";
import { readFileSync } from "node:fs";
import { listen, QuicClient, type QuicConnection, type QuicStream } from "../../mod.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const { values, positionals } = parseArgs({
  args: g.Deno?.args ?? g.process.argv.slice(2),
  allowPositionals: true,
  options: {
    port: { type: "string", default: "0" },
    cert: { type: "string" },
    key: { type: "string" },
    ca: { type: "string" },
    mode: { type: "string", default: "crr" },
    seconds: { type: "string", default: "2" },
    parallel: { type: "string", default: "8" },
    io: { type: "string" },
    mib: { type: "string" }, // accepted for the bench's common command line (no bulk mode here)
  },
});
const SMALL = 32;
const RESPONSE = new Uint8Array(SMALL).fill(0x5a);
const REQUEST = new Uint8Array(SMALL).fill(0x61);
const io = values.io === "native" || values.io === "runtime" ? values.io : undefined;
const ALPN = "bench";

/** Reads a stream to its end; the byte count. */
async function drain(stream: QuicStream): Promise<number> {
  let have = 0;
  for (let chunk; (chunk = await stream.read()) !== undefined;) have += chunk.length;
  return have;
}

/** The server's side of one request stream: the request to its FIN, then 32 bytes and FIN. */
async function answer(stream: QuicStream): Promise<void> {
  await drain(stream);
  await stream.write(RESPONSE, { fin: true });
}

async function serveConnection(conn: QuicConnection): Promise<void> {
  for await (const stream of conn) answer(stream).catch(() => {});
}

if (positionals[0] === "server") {
  const server = await listen({
    hostname: "127.0.0.1",
    port: Number(values.port),
    alpn: ALPN,
    cert: readFileSync(values.cert!, "utf8"),
    key: readFileSync(values.key!, "utf8"),
    io,
  });
  console.error(`coquic-perf server listening on 127.0.0.1:${server.addr.port}`);
  for await (const conn of server) serveConnection(conn).catch(() => {});
} else {
  const client = await QuicClient.create({ alpn: ALPN, ca: readFileSync(values.ca!, "utf8"), io });
  const address = { hostname: "127.0.0.1", port: Number(values.port) };
  const open = () => client.connect(address, { serverName: "localhost" });
  const request = async (conn: QuicConnection): Promise<void> => {
    const stream = conn.openStream();
    await stream.write(REQUEST, { fin: true });
    const got = await drain(stream);
    if (got !== SMALL) throw new Error(`short response: ${got} bytes`);
  };
  const until = performance.now() + Number(values.seconds) * 1000;
  if (values.mode === "rr") {
    const conn = await open();
    await rrLoop(conn, request, until);
    await conn.close();
  } else if (values.mode === "crr") {
    await crrLoop(open, request, (conn) => void conn.close(), Number(values.parallel), until);
  } else {
    throw new Error(`--mode rr|crr, not ${values.mode}`);
  }
  await client.close();
  g.Deno ? g.Deno.exit(0) : g.process.exit(0);
}
