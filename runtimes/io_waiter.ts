/**
 * Waiting for native sockets (`coquic_x_io_*`) off the JavaScript thread.
 *
 * The engine is single-threaded and stays on the JavaScript thread. One process-wide hub per
 * loaded library (`coquic_x_io_hub_*`: an epoll set of every native socket) waits for
 * readiness elsewhere and only reports which sockets are ready; the JavaScript thread then
 * pumps those engines itself. One waiting thread serves a thousand endpoints.
 *
 * - Deno: the hub's own thread calls an `UnsafeCallback`, which Deno runs on the JavaScript
 *   thread (`io_waiter_deno_callback.ts`); with a library without `coquic_x_io_hub_retire`, or
 *   `COQUIC_DENO_WAITER=nonblocking`, `coquic_x_io_hub_wait` through a `nonblocking` FFI symbol
 *   (it runs on one of the runtime's worker threads and resolves a promise there).
 * - Bun: the hub's own thread calls a thread-safe `JSCallback`, which Bun queues onto the
 *   JavaScript thread.
 * - Node (koffi): the hub's own thread calls a koffi registered callback, which koffi queues
 *   onto the main thread (koffi's asynchronous callbacks).
 *
 * Why no engine state is touched off the JavaScript thread: the waiting thread only runs
 * `epoll_wait` on the hub's epoll and eventfd descriptors and fills the hub's array of ready
 * tokens, which JavaScript reads only after the wait returned (the promise or the queued
 * callback orders the two). Epoll entries carry tokens, never io pointers, so an io removed
 * from the hub may be destroyed at once even while a wait runs (see native/src/io_hub.c).
 * Every pump, send, admit and close happens in JavaScript callbacks, on the JavaScript thread.
 *
 * @module
 */
import type { NativeFunction } from "./ffi_types.ts";
import { runtimeName } from "./detect.ts";
import { envVar } from "./env.ts";

type Symbols = Readonly<Record<string, NativeFunction>>;

/**
 * One io registered with the hub; `close()` removes it (no callback after it returns).
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, io: bigint, pump: () => void;
 * const watch = await watchIo(symbols, io, () => pump());
 * watch.close(); // then coquic_x_io_destroy(io) is safe at once
 * ```
 */
export interface IoWatch {
  /** Stops reporting readiness; if it was the last io, the hub's wait is interrupted. */
  close(): void;
}

/**
 * How a runtime waits for the hub once: resolves with the number of ready ios (0: timeout,
 * -1: interrupted). `stop()` ends a runtime's waiting machinery when the hub is idle.
 */
export interface HubWaiter {
  /** Waits once (forever, until an io is ready or the hub is interrupted). */
  wait(): Promise<number>;
  /** The hub has no ios left: let the process exit (drop keep-alives). */
  idle(): void;
}

/**
 * Why this runtime cannot wait for a native io, or undefined when it can.
 *
 * @example
 * ```ts
 * const why = ioWaiterUnsupported(); // e.g. "the native socket needs Linux (this is darwin)"
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
    case "node":
      return undefined;
    default:
      return "unknown runtime";
  }
}

/** The hub of one library: an epoll set of native sockets and the loop reporting them. */
class IoHub {
  readonly #symbols: Symbols;
  readonly #hub: bigint;
  readonly #waiter: HubWaiter;
  readonly #watchers = new Map<number, () => void>();
  readonly #tokens = new Uint32Array(1024);
  #nextToken = 1;
  #running = false;

  constructor(symbols: Symbols, hub: bigint, waiter: HubWaiter) {
    this.#symbols = symbols;
    this.#hub = hub;
    this.#waiter = waiter;
  }

  watch(io: bigint, onReady: () => void): IoWatch {
    const token = this.#nextToken;
    this.#nextToken = this.#nextToken >= 0xffff_fff0 ? 1 : this.#nextToken + 1;
    if (this.#symbols.coquic_x_io_hub_add(this.#hub, io, token) !== 0) {
      throw new Error("coquic_x_io_hub_add failed");
    }
    this.#watchers.set(token, onReady);
    if (!this.#running) void this.#loop();
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.#symbols.coquic_x_io_hub_remove(this.#hub, io);
        this.#watchers.delete(token);
        // The wait in progress would otherwise run (and keep the process alive) with nothing to report.
        if (this.#watchers.size === 0) this.#symbols.coquic_x_io_hub_interrupt(this.#hub);
      },
    };
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#watchers.size > 0) {
        const n = await this.#waiter.wait();
        if (n <= 0) continue;
        const count = Number(this.#symbols.coquic_x_io_hub_ready(this.#hub, this.#tokens, this.#tokens.length));
        for (let i = 0; i < count; i++) {
          const fn = this.#watchers.get(this.#tokens[i]); // undefined: removed meanwhile
          if (!fn) continue;
          try {
            fn();
          } catch (e) {
            reportError(e); // one endpoint's failure must not stop the others' wakeups
          }
        }
      }
    } finally {
      this.#running = false;
      this.#waiter.idle();
    }
  }
}

const hubs = new WeakMap<Symbols, Promise<IoHub>>();

async function hubFor(symbols: Symbols): Promise<IoHub> {
  let hub = hubs.get(symbols);
  if (!hub) {
    hub = (async () => {
      const out = new BigUint64Array(1);
      if (symbols.coquic_x_io_hub_create(out) !== 0) throw new Error("coquic_x_io_hub_create failed");
      const runtime = runtimeName();
      const waiter = runtime === "bun"
        ? (await import("./io_waiter_bun.ts")).bunHubWaiter(symbols, out[0])
        : runtime === "node"
        ? (await import("./io_waiter_node.ts")).nodeHubWaiter(symbols, out[0])
        : typeof symbols.coquic_x_io_hub_retire === "function" && envVar("COQUIC_DENO_WAITER") !== "nonblocking"
        ? (await import("./io_waiter_deno_callback.ts")).denoCallbackHubWaiter(symbols, out[0])
        : (await import("./io_waiter_deno.ts")).denoHubWaiter(symbols, out[0]);
      // The hub lives as long as the library: it is never destroyed (a wait may be in flight).
      return new IoHub(symbols, out[0], waiter);
    })();
    hubs.set(symbols, hub);
    hub.catch(() => hubs.delete(symbols));
  }
  return await hub;
}

/**
 * Calls `onReady` on the JavaScript thread whenever `io` (a `coquic_x_io_t*`) is readable,
 * or writable while it has datagrams queued.
 *
 * @example
 * ```ts
 * declare const symbols: Record<string, (...args: any[]) => any>, io: bigint, pump: () => void;
 * const watch = await watchIo(symbols, io, () => pump());
 * ```
 */
export async function watchIo(symbols: Symbols, io: bigint, onReady: () => void): Promise<IoWatch> {
  const why = ioWaiterUnsupported();
  if (why) throw new Error(why);
  return (await hubFor(symbols)).watch(io, onReady);
}
