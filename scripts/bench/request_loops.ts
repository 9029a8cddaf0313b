/**
 * The rr and crr client loops shared by `deno_quic.ts` (Deno's built-in QUIC) and
 * `coquic_quic.ts` (ours), so both stacks are timed by the same code; each prints one JSON line.
 *
 * @module
 */

/** rr: one request at a time on `conn` until `until` (a `performance.now()` time); prints p50/p99. */
export async function rrLoop<C>(conn: C, request: (conn: C) => Promise<void>, until: number): Promise<void> {
  const lat: number[] = [];
  await request(conn); // warm-up
  while (performance.now() < until) {
    const t = performance.now();
    await request(conn);
    lat.push((performance.now() - t) * 1000);
  }
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))];
  console.log(JSON.stringify({ mode: "rr", requests: lat.length, p50_us: p(0.5), p99_us: p(0.99) }));
}

/** crr: `parallel` loops of open → one request → close until `until`; prints connections per second. */
export async function crrLoop<C>(
  open: () => Promise<C>,
  request: (conn: C) => Promise<void>,
  close: (conn: C) => void,
  parallel: number,
  until: number,
): Promise<void> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (performance.now() < until) {
      const conn = await open();
      await request(conn);
      close(conn); // the close is sent, not awaited
      done++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ mode: "crr", connections: done, perSecond: done / seconds }));
}
