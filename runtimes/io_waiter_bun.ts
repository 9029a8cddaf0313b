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
import { threadHubWaiter } from "./io_waiter_thread.ts";

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
  return threadHubWaiter(symbols, hub, (onReady) => {
    const callback = new bunFfi.JSCallback(onReady, { args: ["u32", "i32"], returns: "void", threadsafe: true });
    callbacks.push(callback); // never closed nor collected: a call queued late still finds it alive
    return BigInt(callback.ptr);
  });
}

/** Every hub's callback, kept for the life of the process. */
const callbacks: unknown[] = [];
