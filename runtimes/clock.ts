/**
 * A monotonic microsecond clock (one per endpoint) and a single re-armable timer.
 *
 * @module
 */

/** Microseconds since the clock was created, as the engine's `now`. */
export class MonotonicClock {
  #origin = performance.now();
  /** Now, in µs (bigint). */
  now(): bigint {
    return BigInt(Math.round((performance.now() - this.#origin) * 1000));
  }
}

/**
 * One timer that is re-armed after every engine call. Due (or past) deadlines fire on a
 * fresh macrotask, so a long burst of work still lets socket I/O in between.
 */
export class Rearmable {
  #handle: ReturnType<typeof setTimeout> | undefined;
  #at: bigint | undefined;
  constructor(private clock: MonotonicClock, private fire: () => void) {}

  /** Arms for absolute time `at` (µs); undefined disarms. */
  arm(at: bigint | undefined): void {
    if (at === this.#at && this.#handle !== undefined) return;
    this.disarm();
    if (at === undefined) return;
    this.#at = at;
    const delayMs = Math.max(0, Number(at - this.clock.now()) / 1000);
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#at = undefined;
      this.fire();
    }, Math.ceil(delayMs));
  }

  /** Cancels the pending timer. */
  disarm(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = undefined;
  }
}
