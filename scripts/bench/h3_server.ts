/**
 * An HTTP/3 server answering every GET with `--mib` MiB of 0x5a, for the benchmark's HTTP/3
 * rows (`gtlsclient` fetches it): `--impl coquic` is our `serve()` (Deno or Bun, `--io` picks
 * the I/O path), `--impl bun` is `Bun.serve({ http3: true })`. Prints the perf runner's
 * listening line on stderr once it listens.
 *
 *   deno run -A --unstable-net scripts/bench/h3_server.ts --cert C --key K --mib 200 --io native
 *   bun scripts/bench/h3_server.ts --impl bun --cert C --key K --mib 200
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import process from "node:process";
import { serve } from "../../http3/mod.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    impl: { type: "string", default: "coquic" },
    io: { type: "string", default: "native" },
    cert: { type: "string" },
    key: { type: "string" },
    mib: { type: "string", default: "200" },
  },
});
const body = new Uint8Array(Number(values.mib) << 20).fill(0x5a);
const cert = readFileSync(values.cert!, "utf8"), key = readFileSync(values.key!, "utf8");
const headers = { "content-type": "application/octet-stream" };
let port: number;
if (values.impl === "bun") {
  // deno-lint-ignore no-explicit-any
  const B = (globalThis as any).Bun;
  if (!B) throw new Error("--impl bun needs Bun");
  const server = B.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert, key },
    http3: true,
    fetch: () => new Response(body, { headers }),
  });
  port = server.port;
} else {
  const server = await serve(
    { hostname: "127.0.0.1", port: 0, cert, key, io: values.io as "native" | "runtime" },
    () => new Response(body, { headers }),
  );
  port = server.addr.port;
}
console.error(`coquic-perf server listening on 127.0.0.1:${port}`);
