/**
 * `AsyncQueue`: values handed to waiters in order (accept queues, incoming streams).
 *
 * @module
 */
import { withSignal } from "./with_signal.ts";

/**
 * A queue of values handed to waiters in order (accept queues, incoming streams).
 *
 * @example
 * ```ts
 * const q = new AsyncQueue<number>();
 * q.push(1);
 * ```
 */
export class AsyncQueue<T> {
  #items: T[] = [];
  #waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  #error: unknown;

  /** Adds a value (given to the oldest waiter, if any). */
  push(v: T): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(v);
    else this.#items.push(v);
  }

  /** Fails every current and future waiter with `e` once the queue is empty. */
  fail(e: unknown): void {
    this.#error ??= e;
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }

  /** The next value. */
  next(signal?: AbortSignal): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    let entry: { resolve: (v: T) => void; reject: (e: unknown) => void };
    const p = new Promise<T>((resolve, reject) => {
      entry = { resolve, reject };
      this.#waiters.push(entry);
    });
    return withSignal(p, signal, () => {
      const i = this.#waiters.indexOf(entry);
      if (i >= 0) this.#waiters.splice(i, 1);
    });
  }

  /** Values waiting. */
  get size(): number {
    return this.#items.length;
  }
}
