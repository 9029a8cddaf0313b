/**
 * The Bun waiter: each io runs a small waiter thread in C (`coquic_x_io_waiter_start`); when
 * armed it polls the io's file descriptors once and calls one process-wide thread-safe
 * `JSCallback` with (token, result), which Bun queues onto the JavaScript thread. The
 * callback is never closed (so a call queued just before an io closed finds it alive) and
 * ignores tokens of closed ios. `coquic_x_io_close` joins the thread, so nothing calls back
 * after close. A ref'd interval keeps the process alive while the io is open, as a socket would.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { IoWaiter } from "./io_waiter.ts";

// deno-lint-ignore no-explicit-any
const bunFfi: any = await import("bun:ffi" as string);

const resolvers = new Map<number, (result: number) => void>();
let nextToken = 1;
// deno-lint-ignore no-explicit-any
let callback: any;

function sharedCallback(): bigint {
  callback ??= new bunFfi.JSCallback((token: number, result: number) => {
    const resolve = resolvers.get(token);
    if (!resolve) return; // closed meanwhile
    resolvers.delete(token);
    resolve(result);
  }, { args: ["u32", "i32"], returns: "void", threadsafe: true });
  return BigInt(callback.ptr);
}

/**
 * A waiter for `io` on Bun.
 *
 * @example
 * ```ts
 * const waiter = bunIoWaiter(lib.symbols, io);
 * ```
 */
export function bunIoWaiter(symbols: Readonly<Record<string, NativeFunction>>, io: bigint): IoWaiter {
  const token = nextToken++;
  if (symbols.coquic_x_io_waiter_start(io, sharedCallback(), token) !== 0) {
    throw new Error("coquic_x_io_waiter_start failed");
  }
  const keepAlive = setInterval(() => {}, 1 << 30);
  let closed = false;
  return {
    wait(timeoutUs) {
      if (closed) return Promise.resolve(3);
      return new Promise((resolve) => {
        resolvers.set(token, resolve);
        symbols.coquic_x_io_waiter_arm(io, timeoutUs);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      symbols.coquic_x_io_destroy(io); // stops and joins the waiter thread first
      const resolve = resolvers.get(token);
      resolvers.delete(token);
      resolve?.(3);
    },
  };
}
