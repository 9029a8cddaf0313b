// DATAGRAM sends are bounded (issue 17 item 6): a sender that outruns the path loses its
// oldest DATAGRAMs in the engine's capped queue, not memory; `maxDatagramSize` says how large
// one may be, and a larger one is a typed error. Deno and Bun. The heap check runs in a child
// process that can force a full GC (Deno needs --v8-flags=--expose-gc).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { connect, listen, QuicError } from "../mod.ts";
import { ext } from "./_ext.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const FIXTURE = fileURLToPath(new URL("./fixtures/datagram_heap.ts", import.meta.url));
/** Heap bytes per 1 KB DATAGRAM sent that count as growth (holding each one would be ≥ 1,000). */
const SLOPE_LIMIT = 32;

interface Sample {
  count: number;
  heap: number;
  rss: number;
  ms: number;
}

test("datagram bound: 300,000 × 1 KB sendDatagram() calls keep the heap flat", () => {
  const exe = g.Deno ? g.Deno.execPath() : g.process.execPath;
  const args = g.Deno ? ["run", "-A", "--v8-flags=--expose-gc", FIXTURE] : [FIXTURE];
  const r = spawnSync(exe, [...args, "20000", "100000", "300000"], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fixture failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { samples: Sample[]; maxDatagramSize?: number };
  const [, a, b] = out.samples;
  const slope = (b.heap - a.heap) / (b.count - a.count);
  const rssSlope = (b.rss - a.rss) / (b.count - a.count);
  const text = out.samples.map((x) =>
    `${x.count}: heap ${(x.heap / 2 ** 20).toFixed(2)} MiB, rss ${(x.rss / 2 ** 20).toFixed(1)} MiB @${x.ms} ms`
  ).join("; ");
  console.log(`  [figure] datagrams: ${slope.toFixed(2)} B heap, ${rssSlope.toFixed(1)} B rss each (${text})`);
  assert.ok(slope < SLOPE_LIMIT, `heap grows ${slope.toFixed(1)} B per DATAGRAM`);
  assert.ok(rssSlope < 10 * SLOPE_LIMIT, `RSS grows ${rssSlope.toFixed(1)} B per DATAGRAM`);
  if (ext.maxDatagramSize) assert.ok((out.maxDatagramSize ?? 0) >= 1000, `maxDatagramSize ${out.maxDatagramSize}`);
}, { timeout: 150_000 });

test("datagram bound: maxDatagramSize is exact, one byte more is datagram_too_large", async () => {
  const server = await listen({ hostname: "127.0.0.1", port: 0, alpn: "dg" });
  const got: number[] = [];
  (async () => {
    for await (const conn of server) {
      (async () => {
        for await (const d of conn.datagrams) got.push(d.length);
      })().catch(() => {});
    }
  })().catch(() => {});
  const conn = await connect(server.addr, { alpn: "dg", ca: server.certificatePem });
  try {
    const max = conn.maxDatagramSize;
    if (ext.maxDatagramSize) {
      // 1472-byte UDP payloads (the high-level default on IPv4), less 69 bytes of packet and frame overhead
      assert.equal(max, 1472 - 69);
    } else assert.equal(max, undefined);
    const size = max ?? 1472 - 69; // the same engine, unable to say so
    conn.sendDatagram(new Uint8Array(size));
    for (const n of [size + 1, 65_536, 70_000]) {
      assert.throws(
        () => conn.sendDatagram(new Uint8Array(n)),
        (e: unknown) =>
          e instanceof QuicError && e.kind === "datagram_too_large" && e.localCode === "DATAGRAM_TOO_LARGE" &&
          e.reason.startsWith(`${n} bytes`) && !e.reason.includes("datagram_too_large"),
        String(n),
      );
    }
    for (let i = 0; i < 100 && !got.includes(size); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(got.includes(size), `the ${size}-byte DATAGRAM did not arrive (got ${got})`);
  } finally {
    await conn.close();
    await server.close();
  }
  assert.equal(conn.maxDatagramSize, ext.maxDatagramSize ? 0 : undefined);
  assert.throws(
    () => conn.sendDatagram(new Uint8Array(1)),
    (e: unknown) => e instanceof QuicError && e.kind === "closed",
  );
});
