/**
 * The Deno waiter: `coquic_x_io_wait` is bound `nonblocking`, so Deno runs it on a worker
 * thread and hands back a promise. That thread only polls the io's two file descriptors
 * (see `native/src/io_wait.c`); the io is destroyed only after the last wait returned.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { IoWaiter } from "./io_waiter.ts";

/**
 * A waiter for `io` on Deno.
 *
 * @example
 * ```ts
 * const waiter = denoIoWaiter(lib.symbols, io);
 * ```
 */
export function denoIoWaiter(symbols: Readonly<Record<string, NativeFunction>>, io: bigint): IoWaiter {
  let pending: Promise<number> | undefined;
  let closed = false, destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    symbols.coquic_x_io_destroy(io);
  };
  return {
    wait(timeoutUs) {
      if (closed) return Promise.resolve(3);
      const p = symbols.coquic_x_io_wait(io, timeoutUs) as Promise<number>;
      pending = p;
      const settled = () => {
        if (pending === p) pending = undefined;
        if (closed && !pending) destroy(); // the worker thread is done with the io
      };
      p.then(settled, settled);
      return p;
    },
    close() {
      if (closed) return;
      closed = true;
      symbols.coquic_x_io_close(io); // a wait in progress returns CLOSED at once
      if (!pending) destroy();
    },
  };
}
