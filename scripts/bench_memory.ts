/**
 * Memory per idle connection (a benchmark, not a test).
 *
 *   deno run -A scripts/bench_memory.ts [--n 1000] [--loopback]
 *   bun scripts/bench_memory.ts [--n 1000] [--loopback]
 *
 * Default: N client connections and their N server peers in one process, through the
 * in-memory pair (tests/_pair.ts, no sockets): both sides' native state (ngtcp2 connection,
 * GnuTLS session, buffers) plus the binding's objects are counted, so the figure is the cost
 * of one client connection plus one server connection.
 * --loopback [--insecure]: N clients through the high-level API (quic/api.ts connect/listen) over UDP on
 * 127.0.0.1; each client has its own endpoint and socket, so the figure also includes a
 * socket, a driver and the WHATWG stream objects per connection on both sides.
 *
 * Prints RSS before and after (after a GC where the runtime allows it) and the difference
 * divided by N.
 *
 * @module
 */
import { Pair } from "../tests/_pair.ts";
import { connect, listen } from "../mod.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const args: string[] = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const N = Number(arg("--n", "1000"));
const loopback = args.includes("--loopback");
/** --insecure: clients skip certificate verification (no trust store is loaded per client). */
const insecure = args.includes("--insecure");
const runtime = g.Bun ? `bun ${g.Bun.version}` : `deno ${g.Deno.version.deno}`;

function rss(): number {
  return g.Deno ? g.Deno.memoryUsage().rss : g.process.memoryUsage().rss;
}
function heap(): number {
  return g.Deno ? g.Deno.memoryUsage().heapUsed : g.process.memoryUsage().heapUsed;
}
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    if (g.Bun) g.Bun.gc(true);
    else if (typeof g.gc === "function") g.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
}
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

async function inMemory(): Promise<{ before: number; after: number; heapBefore: number; heapAfter: number }> {
  const p = await Pair.create({ seed: 1000n });
  // warm up: one connection (GnuTLS, JIT, allocator arenas), closed again
  const warm = p.connect();
  p.runUntil(() => p.server.endpoint.connectionCount() === 1 && p.client.events.some((e) => e.kind === "state_event"));
  p.absorb(p.client, warm.close(0n, "", p.now));
  p.runUntil(() => p.client.endpoint.connectionCount() === 0 && p.server.endpoint.connectionCount() === 0);
  p.client.events.length = p.server.events.length = 0;
  await settle();
  const before = rss(), heapBefore = heap();
  const handles = new Set<bigint>();
  for (let i = 0; i < N; i++) handles.add(p.connect().handle);
  let confirmed = 0;
  p.runUntil(
    () => {
      for (const e of p.client.events.splice(0)) {
        if (e.kind === "state_event" && (e as { change: string }).change === "handshake_confirmed") confirmed++;
      }
      p.server.events.length = 0;
      return confirmed === N;
    },
    600_000_000n,
    50_000_000,
  );
  await settle();
  const after = rss(), heapAfter = heap();
  if (p.client.endpoint.connectionCount() !== N || p.server.endpoint.connectionCount() !== N) {
    throw new Error("not all connections are up");
  }
  p.close();
  return { before, after, heapBefore, heapAfter };
}

async function overLoopback(): Promise<{ before: number; after: number; heapBefore: number; heapAfter: number }> {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "bench" });
  (async () => {
    for await (const _ of listener) { /* idle: accepted and kept */ }
  })().catch(() => {});
  const warm = await connect(listener.addr, { alpn: "bench", ca: listener.certificatePem });
  await warm.close();
  await settle();
  const before = rss(), heapBefore = heap();
  const conns = [];
  for (let i = 0; i < N; i += 100) {
    conns.push(
      ...await Promise.all(
        Array.from(
          { length: Math.min(100, N - i) },
          () =>
            connect(listener.addr, {
              alpn: "bench",
              ...(insecure ? { insecure: true } : { ca: listener.certificatePem }),
              signal: AbortSignal.timeout(30_000),
            }),
        ),
      ),
    );
  }
  await settle();
  const after = rss(), heapAfter = heap();
  await Promise.all(conns.map((c) => c.close()));
  await listener.close();
  return { before, after, heapBefore, heapAfter };
}

const t0 = performance.now();
const r = loopback ? await overLoopback() : await inMemory();
const secs = (performance.now() - t0) / 1000;
console.log(
  `bench_memory (${runtime}, ${
    loopback
      ? `loopback, high-level API${insecure ? ", insecure clients" : ", verifying clients"}`
      : "in-memory pair, low-level facade"
  })`,
);
console.log(`  idle connections:        ${N} (client + server side each)`);
console.log(`  RSS before / after:      ${mib(r.before)} / ${mib(r.after)} MiB`);
console.log(`  JS heap before / after:  ${mib(r.heapBefore)} / ${mib(r.heapAfter)} MiB`);
console.log(
  `  per idle connection:     ${((r.after - r.before) / N / 1024).toFixed(1)} KiB RSS ` +
    `(of which JS heap ${((r.heapAfter - r.heapBefore) / N / 1024).toFixed(1)} KiB), client + server`,
);
console.log(`  set-up time:             ${secs.toFixed(1)} s`);
if (!loopback) g.Deno ? g.Deno.exit(0) : g.process.exit(0);
