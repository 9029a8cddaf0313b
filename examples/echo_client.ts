/**
 * QUIC echo client: sends a message on a stream and prints the echo.
 *
 *   deno run -A examples/echo_client.ts --port 4433 --ca cert.pem "hello"
 *   bun examples/echo_client.ts --port 4433 --insecure "hello"
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { connect } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: (globalThis as any).Deno?.args ?? process.argv.slice(2),
  allowPositionals: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4433" },
    alpn: { type: "string", default: "coquic-echo" },
    ca: { type: "string" },
    insecure: { type: "boolean", default: false },
  },
});

const conn = await connect({ hostname: values.host!, port: Number(values.port) }, {
  alpn: values.alpn!,
  ca: values.ca ? readFileSync(values.ca, "utf8") : undefined,
  insecure: values.insecure,
  signal: AbortSignal.timeout(5000),
});
const message = new TextEncoder().encode(positionals.join(" ") || "hello, QUIC");
const stream = conn.openStream();
const writer = stream.writable!.getWriter();
await writer.write(message);
await writer.close();
const echoed = await stream.bytes({ signal: AbortSignal.timeout(5000) });
console.log(new TextDecoder().decode(echoed));
const stats = conn.observe().transport;
if (stats) console.error(`rtt ${stats.smoothedRttUs} µs, cwnd ${stats.congestionWindow} B`);
await conn.close({ code: 0, reason: "done" });
