/**
 * HTTP/3 server with a standard Request → Response handler.
 *
 *   deno run -A examples/h3_server.ts [--port 4433] [--cert-out cert.pem]
 *   bun examples/h3_server.ts
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { serve, withTrailers } from "../http3/mod.ts";

const { values } = parseArgs({
  // deno-lint-ignore no-explicit-any
  args: (globalThis as any).Deno?.args ?? process.argv.slice(2),
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4433" }, // 0: a free port (printed below)
    "cert-out": { type: "string" },
  },
});

const server = await serve({ hostname: values.host, port: Number(values.port) }, async (req) => {
  const url = new URL(req.url);
  if (req.method === "POST") {
    const body = new Uint8Array(await req.arrayBuffer());
    return withTrailers(new Response(`received ${body.length} bytes\n`), { "x-received": String(body.length) });
  }
  return new Response(`hello over HTTP/3, you asked for ${url.pathname}\n`, {
    headers: { "content-type": "text/plain" },
  });
});
if (values["cert-out"]) writeFileSync(values["cert-out"], server.certificatePem);
console.log(`listening on https://${server.addr.hostname}:${server.addr.port}/`);
// Ctrl-C or SIGTERM: GOAWAY, wait for requests in flight, close; then the program exits 0.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void server.shutdown());
await server.finished;
