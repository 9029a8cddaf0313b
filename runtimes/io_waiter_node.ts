/**
 * The Node.js hub waiter: as on Bun, the hub runs its own thread in C
 * (`coquic_x_io_hub_start`) and calls back after each `coquic_x_io_hub_arm`; the callback is
 * a koffi registered callback, which koffi queues onto the main thread when it is called
 * from another thread (koffi's "asynchronous callbacks"), so it runs on the JavaScript thread.
 * The hub thread blocks until it has run; the hub is never stopped (a stop would wait for
 * that thread while it waits for us). A ref'd interval keeps the process alive while ios are
 * registered, as an open socket would.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { HubWaiter } from "./io_waiter.ts";
import { threadHubWaiter } from "./io_waiter_thread.ts";

// The specifier is hidden from static analysis: only Node loads this module.
// deno-lint-ignore no-explicit-any
const koffiModule: any = await import("koffi" as string);
// deno-lint-ignore no-explicit-any
const koffi: any = koffiModule.default ?? koffiModule;

/**
 * The waiter of hub `hub` (a `coquic_x_io_hub_t*`) on Node.js.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, hub: bigint;
 * const waiter = nodeHubWaiter(symbols, hub);
 * const ready = await waiter.wait();
 * ```
 */
export function nodeHubWaiter(symbols: Readonly<Record<string, NativeFunction>>, hub: bigint): HubWaiter {
  const proto = koffi.proto("void coquic_ts_io_hub_ready(uint32_t token, int32_t ready)");
  return threadHubWaiter(symbols, hub, (onReady) => {
    const callback = koffi.register(onReady, koffi.pointer(proto));
    callbacks.push(callback); // registered for the life of the process: a call queued late still finds it
    return BigInt(koffi.address(callback));
  });
}

/** Every hub's callback, kept for the life of the process. */
const callbacks: unknown[] = [];
