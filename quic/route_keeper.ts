/**
 * Which routes of the runtime driver are still in use, so the others can be forgotten: every
 * datagram from a new address makes a route (and admission state), and without forgetting a
 * server would keep one per client address it ever met, forged ones included. A route is in
 * use while a live connection sends on it (the last two routes per connection are kept, so a
 * path being validated keeps its old one) or while the driver holds its datagrams. Pruning
 * runs when the table reaches a threshold that then doubles, so its cost is spread over the
 * routes that made the table grow.
 *
 * @module
 */

/** Routes at which pruning first runs (and the least it ever waits for). */
export const PRUNE_FLOOR = 4096;

/** Tracks the routes each connection sends on. */
export class RouteKeeper {
  #byConnection = new Map<bigint, [bigint, bigint | undefined]>();
  #pruneAt: number;

  /** Starts with pruning at `floor` routes. */
  constructor(readonly floor: number = PRUNE_FLOOR) {
    this.#pruneAt = floor;
  }

  /** Connection `connection` sent on `route`. */
  sent(connection: bigint, route: bigint): void {
    const kept = this.#byConnection.get(connection);
    if (!kept) this.#byConnection.set(connection, [route, undefined]);
    else if (kept[0] !== route) this.#byConnection.set(connection, [route, kept[0]]);
  }

  /** The connection is gone: its routes are no longer its. */
  closed(connection: bigint): void {
    this.#byConnection.delete(connection);
  }

  /** Whether a table of `size` routes should be pruned now. */
  due(size: number): boolean {
    return size >= this.#pruneAt;
  }

  /** The routes live connections use. */
  inUse(): Set<bigint> {
    const used = new Set<bigint>();
    for (const [a, b] of this.#byConnection.values()) {
      used.add(a);
      if (b !== undefined) used.add(b);
    }
    return used;
  }

  /** After pruning left `size` routes: next time at twice that (at least the floor). */
  pruned(size: number): void {
    this.#pruneAt = Math.max(this.floor, size * 2);
  }
}
