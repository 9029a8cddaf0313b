/**
 * Waiting for a native socket (`coquic_x_io_*`) off the JavaScript thread. The engine stays
 * on the JavaScript thread; a waiter only learns when the socket is ready (or a deadline
 * passed) and resolves a promise, after which the caller pumps the engine itself.
 *
 * - Deno: `coquic_x_io_wait` through a `nonblocking` FFI symbol (a runtime worker thread).
 * - Bun: the io's own waiter thread calls one process-wide thread-safe `JSCallback`.
 * - Node (koffi): none; the native path is not offered there and runtime sockets are used.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import { runtimeName } from "./detect.ts";

/**
 * Waits for one native io.
 *
 * @example
 * ```ts
 * const waiter = await createIoWaiter(lib.symbols, io);
 * const why = await waiter.wait(5000n); // IoWait.READY, TIMEOUT, INTERRUPTED or CLOSED
 * waiter.close(); // ends a wait in progress and destroys the io once no wait can touch it
 * ```
 */
export interface IoWaiter {
  /**
   * Resolves with a `coquic_x_io_wait` result once the socket is readable (or writable while
   * datagrams are queued), `timeoutUs` passed (-1n: no deadline), or the io was interrupted
   * or closed. One wait at a time.
   */
  wait(timeoutUs: bigint): Promise<number>;
  /** Wakes a wait in progress with CLOSED and destroys the io as soon as nothing waits on it. */
  close(): void;
}

/**
 * Why this runtime cannot wait for a native io, or undefined when it can.
 *
 * @example
 * ```ts
 * const why = ioWaiterUnsupported(); // e.g. "Node.js: koffi offers no wait off the main thread here"
 * ```
 */
export function ioWaiterUnsupported(): string | undefined {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const os = g.Deno?.build?.os ?? g.process?.platform;
  if (os !== "linux") return `the native socket needs Linux (this is ${os})`;
  switch (runtimeName()) {
    case "deno":
    case "bun":
      return undefined;
    case "node":
      return "Node.js (koffi): no waiter for native sockets; runtime sockets are used";
    default:
      return "unknown runtime";
  }
}

/**
 * The waiter of the current runtime for `io` (a `coquic_x_io_t*`).
 *
 * @example
 * ```ts
 * const waiter = await createIoWaiter(lib.symbols, io);
 * ```
 */
export async function createIoWaiter(symbols: Readonly<Record<string, NativeFunction>>, io: bigint): Promise<IoWaiter> {
  const why = ioWaiterUnsupported();
  if (why) throw new Error(why);
  if (runtimeName() === "bun") return (await import("./io_waiter_bun.ts")).bunIoWaiter(symbols, io);
  return (await import("./io_waiter_deno.ts")).denoIoWaiter(symbols, io);
}
