/**
 * The fallback Deno hub waiter (engines without `coquic_x_io_hub_retire`, or
 * `COQUIC_DENO_WAITER=nonblocking`; the callback waiter in `io_waiter_deno_callback.ts` is the
 * default): `coquic_x_io_hub_wait` is bound `nonblocking`, so Deno runs it on one
 * of its worker threads and resolves a promise on the JavaScript thread. That thread only
 * runs `epoll_wait` on the hub's descriptors (see `native/src/io_hub.c`). A pending call
 * keeps the process alive, which is what an open socket should do; the hub interrupts it
 * when its last io leaves. A wait may still be running when the isolate that issued it ends
 * (`deno test` ends one isolate per module, closing its libraries): the engine is linked
 * `-z nodelete` (native/Makefile), so the wait returns into mapped code and Deno drops its
 * result with the isolate.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import type { HubWaiter } from "./io_waiter.ts";
import { nextTurn } from "./clock.ts";

/**
 * The waiter of hub `hub` (a `coquic_x_io_hub_t*`) on Deno.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, hub: bigint;
 * const waiter = denoHubWaiter(symbols, hub);
 * const ready = await waiter.wait();
 * ```
 */
export function denoHubWaiter(symbols: Readonly<Record<string, NativeFunction>>, hub: bigint): HubWaiter {
  return {
    // Each wait starts on the next turn, after the pumps' application callbacks (promise
    // reactions) ran: starting a nonblocking call hands it to a worker thread, 15-20 µs of
    // this thread on a busy 2-core machine, which would otherwise come before an answer the
    // application writes at once (rr p50 -5%). The hub's epoll is level-triggered: nothing
    // that arrives meanwhile is missed. (Not on Bun: its thread waiter measured slower so.)
    wait: () =>
      new Promise<void>((resolve) => nextTurn(resolve)).then(() =>
        symbols.coquic_x_io_hub_wait(hub, -1n) as Promise<number>
      ),
    idle: () => {},
  };
}
