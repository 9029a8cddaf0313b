/**
 * The Bun hub waiter: the hub runs its own thread in C (`coquic_x_io_hub_start`); each
 * `coquic_x_io_hub_arm` makes it wait once and call a thread-safe `JSCallback` with the
 * number of ready ios, which Bun queues onto the JavaScript thread. The callback is never
 * closed (a call queued late still finds it alive). A ref'd interval keeps the process alive
 * while ios are registered, as an open socket would.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { HubWaiter } from "./io_waiter.ts";

// deno-lint-ignore no-explicit-any
const bunFfi: any = await import("bun:ffi" as string);

/**
 * The waiter of hub `hub` (a `coquic_x_io_hub_t*`) on Bun.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, hub: bigint;
 * const waiter = bunHubWaiter(symbols, hub);
 * const ready = await waiter.wait();
 * ```
 */
export function bunHubWaiter(symbols: Readonly<Record<string, NativeFunction>>, hub: bigint): HubWaiter {
  let pending: ((n: number) => void) | undefined;
  const callback = new bunFfi.JSCallback((_token: number, n: number) => {
    const resolve = pending;
    pending = undefined;
    resolve?.(n);
  }, { args: ["u32", "i32"], returns: "void", threadsafe: true });
  if (symbols.coquic_x_io_hub_start(hub, BigInt(callback.ptr), 0) !== 0) {
    throw new Error("coquic_x_io_hub_start failed");
  }
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  return {
    wait() {
      keepAlive ??= setInterval(() => {}, 1 << 30);
      return new Promise((resolve) => {
        pending = resolve;
        symbols.coquic_x_io_hub_arm(hub, -1n);
      });
    },
    idle() {
      if (keepAlive !== undefined) clearInterval(keepAlive);
      keepAlive = undefined;
    },
  };
}
