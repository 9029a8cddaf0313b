// The address race of connect() (quic/happy_eyeballs.ts) with fake attempts: order, delay,
// first success wins, losers cancelled or discarded, all failures reported.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { interleave, race } from "../quic/happy_eyeballs.ts";
import type { ResolvedAddress } from "../runtimes/resolve.ts";

const v6 = (n: number): ResolvedAddress => ({ address: `2001:db8::${n}`, family: 6 });
const v4 = (n: number): ResolvedAddress => ({ address: `192.0.2.${n}`, family: 4 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("happy eyeballs: families alternate, starting with the resolver's first", () => {
  assert.deepEqual(interleave([v6(1), v6(2), v6(3), v4(1)]), [v6(1), v4(1), v6(2), v6(3)]);
  assert.deepEqual(interleave([v4(1), v4(2), v6(1), v6(2)]), [v4(1), v6(1), v4(2), v6(2)]);
  assert.deepEqual(interleave([]), []);
});

test("happy eyeballs: a silent address is overtaken after the delay and cancelled", async () => {
  const started: string[] = [];
  let firstCancelled = false;
  const t = performance.now();
  const winner = await race([v6(1), v4(1)], (a, signal) => {
    started.push(a.address);
    if (a.family === 6) {
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          firstCancelled = true;
          reject(new Error("cancelled"));
        })
      );
    }
    return Promise.resolve(a.address);
  }, { delayMs: 100, discard: () => assert.fail("nothing to discard") });
  const ms = performance.now() - t;
  assert.equal(winner, "192.0.2.1");
  assert.deepEqual(started, ["2001:db8::1", "192.0.2.1"]);
  assert.ok(ms >= 90, `the second attempt waited for the delay (${ms.toFixed(0)} ms)`);
  assert.ok(firstCancelled, "the losing attempt was cancelled");
});

test("happy eyeballs: a failed attempt starts the next at once; all failing gives the first error", async () => {
  const t = performance.now();
  const winner = await race([v4(1), v4(2)], (a) => {
    return a.address.endsWith(".1") ? Promise.reject(new Error("refused")) : Promise.resolve(a.address);
  }, { delayMs: 5000, discard: () => {} });
  assert.equal(winner, "192.0.2.2");
  assert.ok(performance.now() - t < 1000, "no wait for the delay after a failure");
  await assert.rejects(
    race([v4(1), v6(1)], (a) => Promise.reject(new Error(`no ${a.address}`)), { delayMs: 10, discard: () => {} }),
    /no 192\.0\.2\.1/,
  );
});

test("happy eyeballs: a success after the winner is discarded", async () => {
  const discarded: string[] = [];
  const winner = await race([v4(1), v6(1)], async (a) => {
    await sleep(a.family === 4 ? 60 : 10); // the second (IPv6) attempt, started at 20 ms, ends first
    return a.address;
  }, { delayMs: 20, discard: (late) => discarded.push(late) });
  assert.equal(winner, "2001:db8::1");
  await sleep(100);
  assert.deepEqual(discarded, ["192.0.2.1"]);
});
