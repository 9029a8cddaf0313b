/**
 * The native driver: the engine owns the endpoint's UDP socket (`NativeIo`), so datagrams
 * never enter JavaScript. The process-wide hub (`runtimes/io_waiter.ts`) waits for the socket
 * off the JavaScript thread and calls back on it; each wakeup is one pump (receive everything,
 * feed it as one batch, run timers, drain, send) whose result holds only application effects
 * and the next wakeup, which a JavaScript timer waits for. Application calls (`run`) send
 * their datagrams natively too.
 *
 * @module
 */
import type { Route } from "../runtimes/address.ts";
import { MonotonicClock, Rearmable } from "../runtimes/clock.ts";
import { type IoWatch, watchIo } from "../runtimes/io_waiter.ts";
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
  /**
   * Called with a route whose address answered an ICMP unreachable (the engine's socket has
   * IP_RECVERR), and the error code; checked after each pump only while set.
   */
  onUnreachable?: (route: Route, code: string) => void;
  /** Unused: every datagram carries its route on this path. */
  defaultRoute?: SocketAddress;
  #onNewPeer?: (route: Route) => void;
  #io: NativeIo;
  #watch: IoWatch | undefined;
  #timer: Rearmable;
  #waiters: (() => void)[] = [];
  #closed = false;
  #finalStats: NativeIoStats | undefined;

  private constructor(readonly endpoint: Endpoint, io: NativeIo) {
    this.#io = io;
    this.#timer = new Rearmable(this.clock, () => this.#pump());
  }

  /** Binds the engine's socket on `hostname:port` and starts watching it. */
  static async create(endpoint: Endpoint, hostname: string, port: number, flags = 0): Promise<NativeDriver> {
    const io = NativeIo.bind(endpoint, hostname, port, flags);
    const driver = new NativeDriver(endpoint, io);
    try {
      driver.#watch = await watchIo(endpoint.library.symbols, io.address, () => driver.#pump());
    } catch (e) {
      endpoint.library.symbols.coquic_x_io_destroy(io.address);
      throw new QuicError("unsupported", `native socket: ${(e as Error).message}`, undefined, { cause: e });
    }
    driver.#timer.arm(endpoint.nextWakeup());
    return driver;
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
    return {
      datagramsSent: s.sendDatagrams,
      datagramsReceived: s.recvDatagrams,
      bytesSent: s.sendBytes,
      bytesReceived: s.recvBytes,
    };
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
    if (!r) {
      throw new QuicError("invalid_argument", `this socket cannot reach ${address.hostname} (another address family?)`);
    }
    return r;
  }

  routeByHandle(handle: bigint): Route | undefined {
    return this.#closed ? undefined : this.#io.routeByHandle(handle);
  }

  bindPath(peer: Route, hostname?: string): Promise<Route> {
    if (this.#closed) return Promise.reject(new QuicError("closed", "the endpoint is closed"));
    if (!this.endpoint.library.extensions.nativeMigration) {
      return Promise.reject(
        new QuicError("unsupported", "this libcoquic's native socket cannot bind a second one (coquic_x_io_bind_path)"),
      );
    }
    try {
      return Promise.resolve(this.#io.bindPath(peer, hostname ?? this.#io.localAddress.hostname));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  localAddressOf(route: bigint): SocketAddress | undefined {
    if (this.#closed) return undefined;
    return this.endpoint.library.extensions.nativeMigration ? this.#io.routeLocalAddress(route) : this.localAddress;
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
    if (this.onUnreachable && !this.#closed) {
      for (const { route, code } of this.#io.takeUnreachable()) {
        const r = this.#io.routeByHandle(route);
        if (r) this.onUnreachable?.(r, code);
      }
    }
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
    // the next wakeup of the whole endpoint (results carry it); readiness comes from the hub
    if (!this.#closed) this.#timer.arm(r.sendContinuationPending ? this.clock.now() : r.nextWakeup);
    for (const w of this.#waiters.splice(0)) w();
  }

  progress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops the timer, leaves the hub (its wait is interrupted if this was its last socket),
   * closes the socket and the endpoint.
   */
  close(): void {
    if (this.#closed) return;
    this.#finalStats = this.#io.stats();
    this.#closed = true;
    this.#timer.disarm();
    for (const w of this.#waiters.splice(0)) w();
    this.#watch?.close(); // no callback after this; hub waits never dereference the io
    this.endpoint.library.symbols.coquic_x_io_destroy(this.#io.address); // last words go out first
    this.endpoint.close();
  }
}
