/**
 * QUIC echo server: every stream a client opens is echoed back; DATAGRAMs too.
 *
 *   deno run -A examples/echo_server.ts [--port 4433] [--host 127.0.0.1]
 *   bun examples/echo_server.ts [--port 4433]
 *
 * Without a certificate a development one is generated; its PEM is written to
 * `--cert-out PATH` when given, so a client can trust it.
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { listen } from "../mod.ts";

const { values } = parseArgs({
  args: (globalThis as any).Deno?.args ?? process.argv.slice(2),
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4433" }, // 0: a free port (printed below)
    alpn: { type: "string", default: "coquic-echo" },
    "cert-out": { type: "string" },
  },
});

const listener = await listen({ hostname: values.host, port: Number(values.port), alpn: values.alpn! });
if (values["cert-out"]) writeFileSync(values["cert-out"], listener.certificatePem);
console.log(JSON.stringify({ listening: listener.addr, fingerprint: listener.certificateFingerprint }));
// Ctrl-C or SIGTERM: close every connection gracefully, then the loop below ends and the program exits 0.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void listener.close());

for await (const conn of listener) {
  (async () => {
    (async () => {
      const reader = conn.datagrams.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        try {
          conn.sendDatagram(value);
        } catch {
          return;
        }
      }
    })();
    for await (const stream of conn) {
      if (stream.readable && stream.writable) stream.readable.pipeTo(stream.writable).catch(() => {});
    }
  })();
}
