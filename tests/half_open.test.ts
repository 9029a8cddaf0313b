// Half-open handshakes (issue 17 item 8): a flood of handshakes that never complete, from real
// addresses that pass Retry, is bounded in bytes (the oldest dropped for the newest), does not
// count against maxConnections, lets real clients in while it lasts, and leaves the server's
// RSS near where it was once the handshakes expired. The flood comes from a child process (its
// memory is not the server's). Deno and Bun.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { listen } from "../mod.ts";
import { echoServer } from "./_echo.ts";
import { flood, realClient } from "./_half_open.ts";
import { needs } from "./_ext.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const SERVER = fileURLToPath(new URL("./fixtures/half_open_server.ts", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;

test(
  "half-open: 5,000 handshakes that pass Retry and stall stay bounded, real clients get in, RSS comes back",
  () => {
    const exe = g.Deno ? g.Deno.execPath() : g.process.execPath;
    const args = g.Deno ? ["run", "-A", "--v8-flags=--expose-gc", SERVER] : [SERVER];
    const r = spawnSync(exe, args, { encoding: "utf8", timeout: 50_000 });
    if (r.status !== 0) throw new Error(`server fixture failed (${r.status}): ${r.stderr}`);
    const f = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const mib = (x: number) => (x / MiB).toFixed(1);
    console.log(
      `  [figure] flood: ${f.sent} handshakes, ${f.retried} Retries answered; half-open peak ${f.peakHalfOpen} ` +
        `(${mib(f.peakHalfOpenBytes)} MiB counted), ${f.dropped} dropped; RSS ${mib(f.baseline)} MiB, peak ` +
        `+${mib(f.peakRss)} MiB, +${mib(f.after)} MiB after expiry (${f.expiryMs} ms); real clients during it: ` +
        `${f.during.join(", ")} ms`,
    );
    assert.ok(f.retried > 4000, `only ${f.retried} Retries came back`);
    assert.ok(f.peakHalfOpen <= 256, `${f.peakHalfOpen} half-open handshakes at once`);
    assert.ok(f.dropped > 0);
    assert.equal(f.during.length, 3, "a real client failed during the flood");
    assert.equal(f.left, 0, "half-open handshakes left after 15 s");
    // before: all 5,000 held at once (~64 KiB each: RSS +321 MiB on Deno, +377 MiB on Bun)
    assert.ok(f.peakHalfOpenBytes <= 24 * MiB, `${mib(f.peakHalfOpenBytes)} MiB of half-open handshakes`);
    // what stays after a full GC is the runtime's own: Deno keeps 48–62 MiB after such a flood
    // even when only 4 handshakes may be half-open (maxHalfOpenBytes 400000), Bun ~12 MiB
    const residue = g.Deno ? 96 * MiB : 32 * MiB;
    assert.ok(f.after < residue, `RSS stayed ${mib(f.after)} MiB above the baseline`);
  },
  needs(["halfOpen", "lastError"], { timeout: 60_000 }),
);

test("half-open: stalled handshakes do not fill maxConnections", async () => {
  const listener = await echoServer({ alpn: "ho", retry: true, maxConnections: 10 });
  try {
    const sent = await flood(listener.addr.port, 30, 5); // 30 validated half-open handshakes
    assert.equal(sent.retried, 30);
    await sleep(100);
    assert.equal(listener.observe().halfOpen?.count, 30);
    // before: the 30 filled all 10 places and every real client was refused for 10 s
    await realClient(listener);
  } finally {
    await listener.close({ timeoutMs: 500 });
  }
}, needs(["halfOpen", "lastError"]));

test("half-open: maxHalfOpenBytes is checked and applied", async () => {
  await assert.rejects(listen({ alpn: "ho", maxHalfOpenBytes: 0 }), /maxHalfOpenBytes/);
  const listener = await echoServer({ alpn: "ho", retry: true, maxHalfOpenBytes: 4 * 96 * 1024 });
  try {
    await flood(listener.addr.port, 20, 4);
    await sleep(100);
    const h = listener.observe().halfOpen!;
    assert.equal(h.count, 4);
    assert.equal(h.bytes, 4 * 96 * 1024);
    assert.equal(h.dropped, 16);
    // the stallers are young: the real client's Initial is turned away until they are 2 s old
    // (stale: none younger completed), and its retransmission at 3 s gets in
    const ms = await realClient(listener, 8000);
    assert.ok(ms >= 1900, `got in after ${ms} ms, before the stallers were stale`);
  } finally {
    await listener.close({ timeoutMs: 500 });
  }
}, needs(["halfOpen", "lastError"]));
