// A connection's send buffering is bounded (issue 17 item 7): each stream stops at 4 MiB of
// unacknowledged bytes, so 300 streams used to queue 1.2 GB at once in the engine; now all
// streams of a connection together stop at `maxConnectionSendBuffer` (default 16 MiB) and
// their writers wait (WritableStream backpressure), then everything arrives byte-exact once
// the peer reads. Deno and Bun.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "./_harness.ts";
import { connect, listen, type QuicStream } from "../mod.ts";
import { needs } from "./_ext.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined => g.Deno ? g.Deno.env.get(name) : g.process.env[name];
const STREAMS = Number(env("COQUIC_SENDBUF_STREAMS") ?? 300);
const PER_STREAM = Number(env("COQUIC_SENDBUF_BYTES") ?? 4 << 20);
const CHUNK = 64 << 10;
const BOUND = 16 << 20;
const rss = (): number => g.Deno ? g.Deno.memoryUsage().rss : g.process.memoryUsage().rss;

/** Stream `k`'s byte at offset `o` is PATTERN[(o + 7k) % 251]: any run of it is a slice of PATTERN. */
const PERIOD = 251;
const PATTERN = new Uint8Array((1 << 20) + PERIOD);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i % PERIOD) * 73 + 11;
const slice = (k: number, offset: number, n: number) =>
  PATTERN.subarray((offset + 7 * k) % PERIOD, ((offset + 7 * k) % PERIOD) + n);

/** Whether `chunk` is stream `k`'s bytes at `offset`. */
function matches(k: number, offset: number, chunk: Uint8Array): boolean {
  for (let at = 0; at < chunk.length; at += 1 << 20) {
    const n = Math.min(1 << 20, chunk.length - at);
    const want = slice(k, offset + at, n);
    if (!Buffer.from(chunk.buffer, chunk.byteOffset + at, n).equals(want)) return false;
  }
  return true;
}

/** The engine's own count of unacknowledged bytes on the connection's streams. */
function engineBuffered(streams: QuicStream[]): number {
  return streams.reduce((sum, s) => sum + Number(s.unacknowledgedBytes ?? 0n), 0);
}

test(
  `send buffer: ${STREAMS} streams × ${
    PER_STREAM >> 20
  } MiB to a peer that does not read stay under the connection's bound`,
  async () => {
    const server = await listen({ hostname: "127.0.0.1", port: 0, alpn: "sb" });
    const incoming: QuicStream[] = [];
    let reading = false;
    const received: Promise<number>[] = [];
    /** Reads stream `s` (the peer's k-th, its id tells k) and checks every byte; resolves with its length. */
    const drain = async (s: QuicStream): Promise<number> => {
      const k = Number(s.id / 4n);
      let offset = 0;
      for (let chunk; (chunk = await s.read()) !== undefined;) {
        if (!matches(k, offset, chunk)) throw new Error(`stream ${k}: wrong bytes at ${offset}`);
        offset += chunk.length;
      }
      return offset;
    };
    (async () => {
      for await (const conn of server) {
        for await (const s of conn) {
          incoming.push(s);
          if (reading) received.push(drain(s));
        }
      }
    })().catch(() => {});
    const conn = await connect(server.addr, { alpn: "sb", ca: server.certificatePem });
    const baseline = rss();
    const streams: QuicStream[] = [];
    let peak = 0, peakOwn = 0, peakRss = 0;
    const sample = () => {
      peak = Math.max(peak, engineBuffered(streams));
      peakOwn = Math.max(peakOwn, conn.observe().sendBuffered);
      peakRss = Math.max(peakRss, rss() - baseline);
    };
    try {
      const writers = Array.from({ length: STREAMS }, async (_, k) => {
        const s = conn.openStream();
        streams.push(s);
        const w = s.writable!.getWriter();
        for (let offset = 0; offset < PER_STREAM; offset += CHUNK) {
          await w.ready;
          await w.write(slice(k, offset, Math.min(CHUNK, PER_STREAM - offset)));
        }
        await w.close();
      });
      let written = 0;
      const settled = Promise.all(writers).then(() => (written = STREAMS));
      // the peer reads nothing for a while: the writers fill what they may, then wait
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 50));
        sample();
      }
      console.log(
        `  [figure] not reading: engine buffered peak ${(peak / 2 ** 20).toFixed(1)} MiB ` +
          `(own count ${(peakOwn / 2 ** 20).toFixed(1)} MiB), RSS +${
            (peakRss / 2 ** 20).toFixed(0)
          } MiB, ${incoming.length} streams seen`,
      );
      assert.equal(written, 0, "writers finished although the peer read nothing");
      assert.ok(peak <= BOUND + CHUNK, `${peak} bytes buffered in the engine, bound ${BOUND}`);
      assert.ok(peakRss < 256 << 20, `RSS grew ${peakRss >> 20} MiB`);
      // now the peer reads: every byte arrives, in order, on every stream
      reading = true;
      for (const s of incoming) received.push(drain(s));
      const started = Date.now();
      const timer = setInterval(sample, 100);
      try {
        await settled;
        for (let i = 0; i < 200 && received.length < STREAMS; i++) await new Promise((r) => setTimeout(r, 20));
        const lengths = await Promise.all(received);
        assert.equal(lengths.length, STREAMS);
        for (const n of lengths) assert.equal(n, PER_STREAM);
      } finally {
        clearInterval(timer);
      }
      console.log(
        `  [figure] reading: ${(STREAMS * PER_STREAM / 2 ** 20).toFixed(0)} MiB exact in ${Date.now() - started} ms, ` +
          `engine buffered peak ${(peak / 2 ** 20).toFixed(1)} MiB, RSS +${(peakRss / 2 ** 20).toFixed(0)} MiB`,
      );
      assert.ok(peak <= BOUND + CHUNK, `${peak} bytes buffered in the engine, bound ${BOUND}`);
    } finally {
      await conn.close();
      await server.close();
    }
  },
  needs(["streamEffects", "sendBuffered"], { timeout: 240_000 }),
);
