/**
 * HTTP/3 fetch: prints the status, headers and body of a URL.
 *
 *   deno run -A examples/h3_fetch.ts https://127.0.0.1:4433/hello --ca cert.pem
 *   bun examples/h3_fetch.ts https://127.0.0.1:4433/hello --insecure
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { closeAll, fetch } from "../http3/mod.ts";

const { values, positionals } = parseArgs({
  // deno-lint-ignore no-explicit-any
  args: (globalThis as any).Deno?.args ?? process.argv.slice(2),
  allowPositionals: true,
  options: { ca: { type: "string" }, insecure: { type: "boolean", default: false } },
});
const res = await fetch(positionals[0] ?? "https://127.0.0.1:4433/", {
  ca: values.ca ? readFileSync(values.ca, "utf8") : undefined,
  insecure: values.insecure,
  signal: AbortSignal.timeout(10_000),
});
console.log(res.status, Object.fromEntries(res.headers));
console.log(await res.text());
await closeAll();
