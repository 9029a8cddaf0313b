/**
 * A monotonic microsecond clock (one per endpoint) and a single re-armable timer.
 *
 * Clock source: `performance.now()` relative to the clock's creation. Measured per call
 * (1.4 / 2.9 on x86-64): Deno `performance.now()` → bigint µs 120 ns, `process.hrtime.bigint()`
 * 121 ns (the same); Bun 88 ns against 103 ns for `process.hrtime.bigint()`. Both runtimes
 * back `performance.now()` with a monotonic clock at sub-µs resolution, so it is used in both.
 *
 * Timer: `setTimeout` has a floor of about 1.1 ms on Bun and 2.1 ms on Deno even for a delay of
 * 0, so a due deadline (and a send continuation, which is a deadline of "now") must not go
 * through it. Deadlines within `spinUs` (default 1 ms) fire on `setImmediate` (about 1 µs on
 * Bun, 5 µs on Deno per hop), which runs after pending I/O callbacks: a long chain of due
 * deadlines never starves socket input. Later deadlines use `setTimeout`, then poll on
 * `setImmediate` until the clock reaches the deadline, so the callback never fires early.
 *
 * @module
 */

/** Microseconds since the clock was created, as the engine's `now`. */
export class MonotonicClock {
  readonly #origin = performance.now();

  /** Now, in µs (bigint), never decreasing. */
  now(): bigint {
    return BigInt(Math.floor((performance.now() - this.#origin) * 1000));
  }

  /** Now, in µs, as a number (no bigint allocation; exact below 2^53 µs ≈ 285 years). */
  nowNumber(): number {
    return Math.floor((performance.now() - this.#origin) * 1000);
  }
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Runs `fn` on the next macrotask turn after I/O (setImmediate, else a MessageChannel hop, else setTimeout 0). */
export const nextTurn: (fn: () => void) => void = typeof g.setImmediate === "function"
  ? (fn) => g.setImmediate(fn)
  : typeof g.MessageChannel === "function"
  ? (() => {
    const queue: (() => void)[] = [];
    const ch = new g.MessageChannel();
    ch.port1.onmessage = () => queue.shift()?.();
    ch.port1.unref?.();
    return (fn: () => void) => {
      queue.push(fn);
      ch.port2.postMessage(null);
    };
  })()
  : (fn) => setTimeout(fn, 0);

/** Options for {@link Rearmable}. */
export interface RearmableOptions {
  /** Deadlines closer than this (µs) are polled on `setImmediate` instead of `setTimeout` (default 1000). */
  spinUs?: number;
}

/**
 * One timer that is re-armed after every engine call. Fires `fire` once the clock has
 * reached the armed time; never early. A due (or past) time fires on the next macrotask
 * turn after pending I/O, so a long burst of work still lets socket input in between.
 *
 * @example
 * ```ts
 * const clock = new MonotonicClock();
 * const timer = new Rearmable(clock, () => console.log("due"));
 * timer.arm(clock.now() + 5000n); // in 5 ms
 * timer.arm(clock.now());         // re-armed: due now, fires on the next turn
 * ```
 */
export class Rearmable {
  #at: bigint | undefined;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  #timeoutAt = 0n; // when the pending timeout fires (µs, on the clock)
  #polling = false;
  #generation = 0;
  readonly #spinUs: number;

  constructor(private clock: MonotonicClock, private fire: () => void, options: RearmableOptions = {}) {
    this.#spinUs = options.spinUs ?? 1000;
  }

  /** The armed deadline (µs), or undefined. */
  get armedAt(): bigint | undefined {
    return this.#at;
  }

  /** Arms for absolute time `at` (µs, on this clock); undefined disarms. Replaces any earlier arming. */
  arm(at: bigint | undefined): void {
    if (at === undefined) return this.disarm();
    if (at === this.#at) return;
    this.#at = at;
    this.#schedule();
  }

  /** Cancels the pending deadline. */
  disarm(): void {
    this.#at = undefined;
    this.#generation++;
    this.#polling = false;
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#timeout = undefined;
  }

  #schedule(): void {
    const at = this.#at;
    if (at === undefined) return;
    const now = this.clock.now();
    const delay = Number(at - now);
    if (delay <= this.#spinUs) {
      // a pending timeout is left alone: it re-schedules when it fires (see below)
      if (this.#polling) return; // the running poll sees the new deadline
      this.#polling = true;
      const gen = this.#generation;
      nextTurn(() => this.#poll(gen));
      return;
    }
    // A pending timeout that fires no later than needed is kept: it re-schedules when it
    // fires. Engines re-arm after every call (a loss timer moved a little later per request),
    // and a clearTimeout + setTimeout pair costs about 3 µs on Deno (0.3 on Bun).
    const wantAt = at - BigInt(this.#spinUs);
    if (this.#timeout !== undefined) {
      if (this.#timeoutAt <= wantAt) return;
      clearTimeout(this.#timeout);
    }
    const ms = Math.floor((delay - this.#spinUs) / 1000) + 1;
    this.#timeoutAt = now + BigInt(ms * 1000);
    this.#timeout = setTimeout(() => {
      this.#timeout = undefined;
      this.#schedule();
    }, ms);
  }

  #poll(gen: number): void {
    if (gen !== this.#generation) return; // disarmed meanwhile (a new poll may be running)
    const at = this.#at;
    if (at === undefined) {
      this.#polling = false;
      return;
    }
    const delay = Number(at - this.clock.now());
    if (delay > this.#spinUs) {
      this.#polling = false; // re-armed later meanwhile
      return this.#schedule();
    }
    if (delay > 0) {
      nextTurn(() => this.#poll(gen));
      return;
    }
    this.#polling = false;
    this.#at = undefined;
    this.fire();
  }
}
