/**
 * The Deno hub waiter on a thread-safe callback: the hub's own C thread waits
 * (`coquic_x_io_hub_start`/`arm`) and calls an `UnsafeCallback`, which Deno runs on the
 * JavaScript thread. Its hand-off costs less than the `nonblocking` wait's (such a call is
 * handed to a worker thread each time): rr p50 median 186 µs against 222 µs here (six
 * alternating runs).
 *
 * Deno blocks the calling thread until JavaScript has run the callback, so JavaScript never
 * joins the thread (that could deadlock): when the hub goes idle, after the last wait's
 * callback ran, the thread is retired (`coquic_x_io_hub_retire`: it makes no further call and
 * ends), and the callback is unref'd. An isolate that ends retires it too, on its `unload`
 * event (`deno test` ends one isolate per module; a module that left an endpoint open had its
 * hub thread call into the gone isolate: SIGSEGV). While the hub has sockets the callback
 * stays ref'd and keeps the process alive, as an open socket does.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { HubWaiter } from "./io_waiter.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const D = g.Deno;
/** A start refused while the retired thread ends is tried again this much later (ms). */
const RESTART_RETRY_MS = 1;
/** Consecutive refusals before the failure is reported (the thread cannot be created). */
const RESTART_ATTEMPTS = 1000;

/**
 * The waiter of hub `hub` (a `coquic_x_io_hub_t*`) on Deno, with the hub's own thread.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, hub: bigint;
 * const waiter = denoCallbackHubWaiter(symbols, hub);
 * const ready = await waiter.wait();
 * ```
 */
export function denoCallbackHubWaiter(symbols: Readonly<Record<string, NativeFunction>>, hub: bigint): HubWaiter {
  let pending: ((n: number) => void) | undefined;
  let running = false;
  let ended = false; // the isolate is ending: never start again
  let attempts = 0;
  const callback = new D.UnsafeCallback({ parameters: ["u32", "i32"], result: "void" }, (_token: number, n: number) => {
    const resolve = pending;
    pending = undefined;
    resolve?.(n);
  });
  const pointer = BigInt(D.UnsafePointer.value(callback.pointer));
  function retire(): void {
    if (!running) return;
    running = false;
    symbols.coquic_x_io_hub_retire(hub);
    callback.unref();
  }
  g.addEventListener("unload", () => {
    ended = true;
    retire();
  });
  function start(): void {
    if (running || !pending || ended) return;
    if (symbols.coquic_x_io_hub_start(hub, pointer, 0) !== 0) {
      if (++attempts < RESTART_ATTEMPTS) return void setTimeout(start, RESTART_RETRY_MS);
      attempts = 0;
      reportError(new Error("coquic_x_io_hub_start failed: native sockets are not being waited for"));
      const resolve = pending;
      pending = undefined;
      return void setTimeout(() => resolve?.(-1), 1000); // the hub's loop asks again
    }
    attempts = 0;
    running = true;
    callback.ref();
    symbols.coquic_x_io_hub_arm(hub, -1n);
  }
  return {
    wait: () =>
      new Promise<number>((resolve) => {
        pending = resolve;
        if (running) symbols.coquic_x_io_hub_arm(hub, -1n);
        else start();
      }),
    idle: retire,
  };
}
