/**
 * The hub waiter of runtimes with thread-safe callbacks (Bun, Node.js): the hub runs its own
 * thread in C (`coquic_x_io_hub_start`); each `coquic_x_io_hub_arm` makes it wait once and
 * call the runtime's callback with the number of ready ios, which the runtime queues onto
 * the JavaScript thread. A ref'd interval keeps the process alive while ios are registered,
 * as an open socket would. Only the callback differs per runtime.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { HubWaiter } from "./io_waiter.ts";

/** Makes a C function pointer `void (uint32_t token, int32_t ready)` that calls `onReady` on the JavaScript thread. */
export type ReadyCallbackMaker = (onReady: (token: number, ready: number) => void) => bigint;

/**
 * The waiter of hub `hub` (a `coquic_x_io_hub_t*`) with the callback `makeCallback` builds.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, hub: bigint, make: ReadyCallbackMaker;
 * const waiter = threadHubWaiter(symbols, hub, make);
 * const ready = await waiter.wait();
 * ```
 */
export function threadHubWaiter(
  symbols: Readonly<Record<string, NativeFunction>>,
  hub: bigint,
  makeCallback: ReadyCallbackMaker,
): HubWaiter {
  let pending: ((n: number) => void) | undefined;
  const callback = makeCallback((_token, n) => {
    const resolve = pending;
    pending = undefined;
    resolve?.(n);
  });
  if (symbols.coquic_x_io_hub_start(hub, callback, 0) !== 0) throw new Error("coquic_x_io_hub_start failed");
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
