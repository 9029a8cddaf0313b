/**
 * `ClosedStreams`: which of the peer's stream IDs have been closed and dropped, in memory
 * that does not grow with history: a watermark per stream type below which every stream is
 * closed, plus the few closed above it (streams finishing out of order).
 *
 * @module
 */

/**
 * The closed set of one connection's peer-initiated streams.
 *
 * @example
 * ```ts
 * const closed = new ClosedStreams();
 * closed.add(0n);
 * console.log(closed.has(0n), closed.has(4n)); // true false
 * ```
 */
export class ClosedStreams {
  /** Per stream type (id & 3): streams with index below it are all closed. */
  #floor = [0n, 0n, 0n, 0n];
  /** Per stream type: closed indexes at or above the floor. */
  #above: Set<bigint>[] = [new Set(), new Set(), new Set(), new Set()];

  /** Records stream `id` as closed. */
  add(id: bigint): void {
    const type = Number(id & 3n);
    const index = id >> 2n;
    let floor = this.#floor[type];
    if (index < floor) return;
    const above = this.#above[type];
    above.add(index);
    while (above.delete(floor)) floor++;
    this.#floor[type] = floor;
  }

  /** Whether stream `id` was closed. */
  has(id: bigint): boolean {
    const type = Number(id & 3n);
    const index = id >> 2n;
    return index < this.#floor[type] || this.#above[type].has(index);
  }

  /** Closed IDs kept individually (out-of-order closes): what this costs in memory. */
  get sparse(): number {
    return this.#above.reduce((n, s) => n + s.size, 0);
  }
}
