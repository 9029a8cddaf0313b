/** The monotonic µs clock and the re-armable timer. */
import assert from "node:assert/strict";
import { MonotonicClock, nextTurn, Rearmable } from "../runtimes/clock.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { test } from "./_harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("clock: starts near 0, counts µs, never goes back", async () => {
  const c = new MonotonicClock();
  const t0 = c.now();
  assert.equal(typeof t0, "bigint");
  assert.ok(t0 >= 0n && t0 < 50_000n, `fresh clock at ${t0} µs`);
  const p0 = performance.now();
  await sleep(30);
  const dt = Number(c.now() - t0);
  const dp = (performance.now() - p0) * 1000;
  assert.ok(dt >= 29_000 && Math.abs(dt - dp) < 2_000, `30 ms sleep measured ${dt} µs`);
  let last = c.now();
  for (let i = 0; i < 100_000; i++) {
    const n = c.now();
    assert.ok(n >= last);
    last = n;
  }
  assert.ok(Math.abs(c.nowNumber() - Number(c.now())) < 1000);
  const other = new MonotonicClock();
  assert.ok(other.now() < c.now(), "each clock has its own origin");
});

test("timer: fires once, not before the deadline; re-arm replaces; disarm cancels", async () => {
  const c = new MonotonicClock();
  const fired: bigint[] = [];
  const t = new Rearmable(c, () => fired.push(c.now()));
  for (const delayUs of [200n, 3_000n, 15_000n]) {
    fired.length = 0;
    const at = c.now() + delayUs;
    t.arm(at);
    assert.equal(t.armedAt, at);
    await sleep(Number(delayUs) / 1000 + 30);
    assert.equal(fired.length, 1, `fired once for +${delayUs} µs`);
    assert.ok(fired[0] >= at, `fired ${at - fired[0]} µs early`);
    assert.ok(fired[0] - at < 25_000n, `fired ${fired[0] - at} µs late`);
    assert.equal(t.armedAt, undefined);
  }
  fired.length = 0;
  t.arm(c.now() + 5_000n);
  t.arm(c.now() + 40_000n); // later deadline replaces the earlier one
  await sleep(20);
  assert.equal(fired.length, 0, "replaced deadline did not fire");
  t.arm(c.now()); // due now replaces the far one
  await sleep(5);
  assert.equal(fired.length, 1);
  await sleep(40);
  assert.equal(fired.length, 1, "the far deadline is gone");
  t.arm(c.now() + 2_000n);
  t.disarm();
  t.arm(c.now() + 500n);
  t.disarm();
  await sleep(20);
  assert.equal(fired.length, 1, "disarmed deadlines do not fire");
  t.arm(undefined);
  assert.equal(t.armedAt, undefined);
});

test("timer: deadlines moved later per call (a loss timer per request) fire once, at the last one", async () => {
  const c = new MonotonicClock();
  const fired: bigint[] = [];
  const t = new Rearmable(c, () => fired.push(c.now()));
  let at = 0n;
  for (let i = 0; i < 20; i++) { // the earlier timeouts are kept and re-schedule when they fire
    at = c.now() + 8_000n;
    t.arm(at);
    await sleep(1);
  }
  t.arm(c.now() + 200n); // a near deadline (polled) while a far timeout is pending
  await sleep(5);
  assert.equal(fired.length, 1, "the near deadline fired");
  at = c.now() + 6_000n;
  t.arm(at);
  await sleep(40);
  assert.equal(fired.length, 2, "the far deadline fired once");
  assert.ok(fired[1] >= at, `fired ${at - fired[1]} µs early`);
  t.arm(c.now() + 60_000n);
  at = c.now() + 4_000n; // an earlier deadline replaces a pending timeout that would fire too late
  t.arm(at);
  await sleep(30);
  assert.equal(fired.length, 3, "the earlier deadline fired in time");
  assert.ok(fired[2] >= at && fired[2] - at < 25_000n, `fired ${fired[2] - at} µs after the deadline`);
});

test("timer: a due deadline fires on the next turn in µs, not through setTimeout's ms floor", async () => {
  const c = new MonotonicClock();
  let n = 0;
  const N = 500;
  const start = performance.now();
  await new Promise<void>((done) => {
    const t = new Rearmable(c, () => {
      if (++n >= N) done();
      else t.arm(c.now()); // the driver's send-continuation pattern
    });
    t.arm(c.now());
  });
  const perHopUs = (performance.now() - start) * 1000 / N;
  // setTimeout(0) takes ≥ 1 ms per hop on both runtimes; a turn takes a few µs.
  assert.ok(perHopUs < 500, `${perHopUs.toFixed(1)} µs per due deadline`);
});

test("timer: a chain of due deadlines does not starve socket input or other timers", async () => {
  const c = new MonotonicClock();
  const a = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const b = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  let received = 0;
  let timeoutRan = false;
  let hops = 0;
  let stop = false;
  try {
    a.onDatagram(() => received++);
    const t = new Rearmable(c, () => {
      hops++;
      if (!stop) t.arm(c.now());
    });
    t.arm(c.now());
    setTimeout(() => (timeoutRan = true), 5);
    b.sendBatch([new Uint8Array(10), new Uint8Array(10)], [a.localAddress, a.localAddress]);
    const end = performance.now() + 2000;
    await new Promise<void>((done) => {
      const check = () => (received === 2 && timeoutRan) || performance.now() > end ? done() : nextTurn(check);
      check();
    });
    stop = true;
    t.disarm();
    assert.equal(received, 2, "datagrams arrived while due deadlines kept firing");
    assert.ok(timeoutRan, "a setTimeout ran while due deadlines kept firing");
    assert.ok(hops > 10, `the chain kept running (${hops} hops)`);
  } finally {
    stop = true;
    a.close();
    b.close();
  }
}, { timeout: 10_000 });
