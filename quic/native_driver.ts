/**
 * The native driver: the engine owns the endpoint's UDP socket (`NativeIo`), so datagrams
 * never enter JavaScript. One loop: wait for readiness off the JavaScript thread (a
 * `runtimes/io_waiter.ts` waiter, with the engine's next wakeup as its deadline), then pump
 * (receive everything, feed it as one batch, run timers, drain, send), then hand the
 * application effects to connections and wait again. Application calls (`run`) send their
 * datagrams natively too; if one needs the engine sooner than the wait in progress will
 * return, a JavaScript timer pumps at that time.
 *
 * @module
 */
import { IoWait } from "../ffi/abi.ts";
import type { Route } from "../runtimes/address.ts";
import { MonotonicClock, Rearmable } from "../runtimes/clock.ts";
import { createIoWaiter, type IoWaiter } from "../runtimes/io_waiter.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import type { DriverConnection } from "./driver.ts";
import type { Endpoint } from "./endpoint.ts";
import type { IoSnapshot, NativeIoStats } from "./io_stats.ts";
import { NativeIo } from "./native_io.ts";
import { QuicError } from "./quic_error.ts";
import type { QuicDriver } from "./quic_driver.ts";
import type { QueryResult } from "./result.ts";

/** Drives one endpoint over the engine's own socket. */
export class NativeDriver implements QuicDriver {
  readonly clock: MonotonicClock = new MonotonicClock();
  readonly connections: Map<bigint, DriverConnection> = new Map();
  onAccepted?: (handle: bigint, route: bigint | undefined) => void;
  /** Unused: every datagram carries its route on this path. */
  defaultRoute?: SocketAddress;
  #onNewPeer?: (route: Route) => void;
  #io: NativeIo;
  #waiter: IoWaiter;
  #timer: Rearmable;
  #waiting = false;
  #waitDeadline: bigint | undefined; // undefined: the wait in progress has no deadline
  #waiters: (() => void)[] = [];
  #closed = false;
  #finalStats: NativeIoStats | undefined;

  private constructor(readonly endpoint: Endpoint, io: NativeIo, waiter: IoWaiter) {
    this.#io = io;
    this.#waiter = waiter;
    this.#timer = new Rearmable(this.clock, () => this.#pump());
    this.#wait(undefined);
  }

  /** Binds the engine's socket on `hostname:port` and starts waiting. */
  static async create(endpoint: Endpoint, hostname: string, port: number, flags = 0): Promise<NativeDriver> {
    const io = NativeIo.bind(endpoint, hostname, port, flags);
    let waiter: IoWaiter;
    try {
      waiter = await createIoWaiter(endpoint.library.symbols, io.address);
    } catch (e) {
      endpoint.library.symbols.coquic_x_io_destroy(io.address);
      throw new QuicError("unsupported", `native socket: ${(e as Error).message}`, undefined, { cause: e });
    }
    return new NativeDriver(endpoint, io, waiter);
  }

  /** Servers: see {@link QuicDriver.onNewPeer}; setting it turns the engine's gate on. */
  get onNewPeer(): ((route: Route) => void) | undefined {
    return this.#onNewPeer;
  }
  set onNewPeer(fn: ((route: Route) => void) | undefined) {
    this.#onNewPeer = fn;
    if (!this.#closed) this.#io.setGate(fn !== undefined);
  }

  /** The bound local address. */
  get localAddress(): SocketAddress {
    return this.#io.localAddress;
  }

  /** Datagrams and bytes the engine's socket moved. */
  get counters(): { datagramsSent: number; datagramsReceived: number; bytesSent: number; bytesReceived: number } {
    const s = this.#stats();
    return { datagramsSent: s.sendDatagrams, datagramsReceived: s.recvDatagrams, bytesSent: s.sendBytes, bytesReceived: s.recvBytes };
  }

  #stats(): NativeIoStats {
    return this.#finalStats ?? this.#io.stats();
  }

  /** The native path and its counters. */
  io(): IoSnapshot {
    return { path: "native", ...this.#stats() };
  }

  routeFor(address: SocketAddress): Route {
    const r = this.#io.route(address);
    if (!r) throw new QuicError("invalid_argument", `this socket cannot reach ${address.hostname} (another address family?)`);
    return r;
  }

  routeByHandle(handle: bigint): Route | undefined {
    return this.#closed ? undefined : this.#io.routeByHandle(handle);
  }

  admit(route: Route): void {
    this.run((now) => this.#io.admit(route.handle, now));
  }

  ignore(route: Route): void {
    if (!this.#closed) this.#io.ignore(route.handle);
  }

  run(call: (now: bigint) => QueryResult): QueryResult | undefined {
    if (this.#closed || this.endpoint.closed) return undefined;
    const result = call(this.clock.now());
    this.#apply(result);
    return result;
  }

  /** Receives, feeds, drains and sends; applies what is left for the application. */
  #pump(): void {
    if (this.#closed) return;
    this.#timer.disarm(); // the pump runs everything that is due
    this.run((now) => this.#io.pump(now));
    if (this.#onNewPeer && !this.#closed) {
      for (const handle of this.#io.takeNewPeers()) {
        const route = this.#io.routeByHandle(handle);
        if (route) this.#onNewPeer?.(route);
      }
    }
  }

  #apply(r: QueryResult): void {
    for (const info of r.closeInfos) this.connections.get(info.connection)?._closeInfo(info);
    for (const e of r.effects) {
      if (e.kind === "connection_lifecycle_event") {
        if (e.event === "accepted") this.onAccepted?.(e.connection, this.#io.connectionRoute(e.connection));
        else if (e.event === "closed") {
          this.connections.get(e.connection)?._dropped();
          this.connections.delete(e.connection);
        }
        continue;
      }
      // no send_datagram effects on this path: the engine sent them
      if (e.kind !== "unknown" && e.kind !== "send_datagram") this.connections.get(e.connection)?._effect(e);
    }
    if (!this.#closed) this.#schedule(r.sendContinuationPending ? this.clock.now() : r.nextWakeup);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Makes sure the engine runs again by `at`: the next wait's deadline, or a timer. */
  #schedule(at: bigint | undefined): void {
    if (!this.#waiting) return this.#wait(at);
    if (at !== undefined && (this.#waitDeadline === undefined || at < this.#waitDeadline)) this.#timer.arm(at);
  }

  #wait(deadline: bigint | undefined): void {
    this.#waiting = true;
    this.#waitDeadline = deadline;
    const now = this.clock.now();
    const timeout = deadline === undefined ? -1n : deadline > now ? deadline - now : 0n;
    this.#waiter.wait(timeout).then((why) => {
      this.#waiting = false;
      if (this.#closed || why === IoWait.CLOSED) return;
      try {
        this.#pump();
      } catch (e) {
        reportError(e); // a throwing handler must not end the loop
      }
      if (!this.#waiting && !this.#closed) this.#wait(this.endpoint.closed ? undefined : this.endpoint.nextWakeup());
    });
  }

  progress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops the timer and the wait (promptly: the wait is interrupted), closes socket and endpoint. */
  close(): void {
    if (this.#closed) return;
    this.#finalStats = this.#io.stats();
    this.#closed = true;
    this.#timer.disarm();
    for (const w of this.#waiters.splice(0)) w();
    this.#waiter.close(); // the socket is freed once no wait can touch it
    this.endpoint.close();
  }
}
