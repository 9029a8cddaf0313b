/**
 * The runtime driver: one engine endpoint bound to one UDP socket, a clock and a timer.
 * It feeds received datagrams to the engine, sends every SEND_DATAGRAM effect to its
 * route in order (one batch per call), re-arms the timer after every call, honours send
 * continuation on a fresh macrotask, and hands the other effects to connections.
 *
 * @module
 */
import { type Route, RouteTable } from "../runtimes/address.ts";
import { MonotonicClock, Rearmable } from "../runtimes/clock.ts";
import type { DatagramBatch, SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import type { Endpoint } from "./endpoint.ts";
import type { Effect } from "./effects.ts";
import type { CloseInfo, QueryResult } from "./result.ts";
import type { IoSnapshot } from "./io_stats.ts";
import type { QuicDriver } from "./quic_driver.ts";
import { RouteKeeper } from "./route_keeper.ts";
import { opensConnection } from "./initial_check.ts";
import { QuicError } from "./quic_error.ts";

/** What undecided peers may make the driver hold: datagrams and bytes per peer, peers, bytes in all. */
const HELD_PER_PEER = 32;
const HELD_BYTES_PER_PEER = 64 << 10;
const HELD_PEERS = 1024;
const HELD_BYTES = 4 << 20;

/**
 * What the driver tells a connection (implemented by `QuicConnection`; not for applications).
 *
 * @example
 * ```ts
 * const sink: DriverConnection = { _effect() {}, _closeInfo() {}, _dropped() {} };
 * ```
 */
export interface DriverConnection {
  /**
   * One effect of the connection.
   * @ignore
   */
  _effect(e: Effect): void;
  /**
   * Why the connection closed.
   * @ignore
   */
  _closeInfo(info: CloseInfo): void;
  /**
   * The engine dropped the connection.
   * @ignore
   */
  _dropped(): void;
}

/** Drives one endpoint over one runtime socket (the `QuicDriver` of the runtime path). */
export class Driver implements QuicDriver {
  readonly routes: RouteTable = new RouteTable();
  readonly clock: MonotonicClock = new MonotonicClock();
  readonly connections: Map<bigint, DriverConnection> = new Map();
  /** Called for every ACCEPTED connection (servers); must register it in `connections`. */
  onAccepted?: (handle: bigint, route: bigint | undefined) => void;
  /** Routes whose datagrams are dropped before the engine sees them (ignored peers). */
  readonly ignoredRoutes: Set<bigint> = new Set();
  /** The route used for datagrams without one (a client's server). */
  defaultRoute?: SocketAddress;
  /**
   * Servers: when set, the first datagrams from a peer address never seen before are held
   * back from the engine (nothing is answered) until `admit(route)` or `ignore(route)`.
   */
  onNewPeer?: (route: Route) => void;
  #admitted = new Set<bigint>();
  #held = new Map<bigint, { data: Uint8Array[]; bytes: number }>();
  #heldBytes = 0;
  #timer: Rearmable;
  #outData: Uint8Array[] = [];
  #outAddr: SocketAddress[] = [];
  /** Per queued datagram, its socket (0 the first); `#outMixed` once one is not the first. */
  #outSock: number[] = [];
  #outMixed = false;
  /** A migrating client's other sockets, by id (1, 2, …), and who waits to hear on a route. */
  #extra = new Map<number, UdpSocket>();
  #nextSocket = 1;
  #heard = new Map<bigint, (() => void)[]>();
  #waiters: (() => void)[] = [];
  #closed = false;
  #lastRoute: bigint | undefined;
  /** Which routes live connections use: the others are forgotten as the table grows. */
  readonly keeper: RouteKeeper = new RouteKeeper();
  /** Datagrams and bytes moved, for observe(). */
  readonly counters = { datagramsSent: 0, datagramsReceived: 0, bytesSent: 0, bytesReceived: 0 };

  constructor(readonly endpoint: Endpoint, readonly socket: UdpSocket) {
    this.#timer = new Rearmable(this.clock, () => this.run((now) => this.endpoint.timerExpired(now)));
    this.#listen(socket, 0);
  }

  #listen(socket: UdpSocket, id: number): void {
    if (this.endpoint.library.extensions.batchIo) socket.onDatagrams((batch) => this.#receiveBatch(batch, id));
    else socket.onDatagram((data, hostname, port) => this.#receive(data, hostname, port, id));
  }

  #receive(data: Uint8Array, hostname: string, port: number, socket = 0): void {
    // With manual admission, a datagram from a new address opens nothing unless it is an
    // Initial: garbage makes no route and no offer (the engine would drop it anyway).
    if (this.onNewPeer && !opensConnection(data) && !this.routes.lookup(hostname, port)) return;
    const route = this.routes.forPeer(hostname, port, socket);
    if (this.#heard.size > 0) this.#hear(route.handle);
    if (this.ignoredRoutes.has(route.handle)) return;
    if (this.onNewPeer && !this.#admitted.has(route.handle)) {
      const held = this.#held.get(route.handle);
      const fits = this.#heldBytes + data.length <= HELD_BYTES;
      if (held) {
        if (held.data.length < HELD_PER_PEER && held.bytes + data.length <= HELD_BYTES_PER_PEER && fits) {
          held.data.push(data.slice());
          held.bytes += data.length;
          this.#heldBytes += data.length;
        }
        return;
      }
      // Too many undecided peers, or too many bytes held: drop, they retransmit.
      if (!opensConnection(data) || this.#held.size >= HELD_PEERS || !fits) return;
      this.#held.set(route.handle, { data: [data.slice()], bytes: data.length });
      this.#heldBytes += data.length;
      this.onNewPeer(route);
      return;
    }
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += data.length;
    this.#lastRoute = route.handle;
    this.run((now) =>
      this.endpoint.receiveDatagram({
        bytes: data,
        routeHandle: route.handle,
        addressValidationIdentity: route.identity,
      }, now)
    );
  }

  #batchData: Uint8Array[] = [];
  #batchRoutes: bigint[] = [];
  #batchIdentities: Uint8Array[] = [];

  /**
   * A batch of datagrams: admitted peers go to the engine in one call, each with its
   * sender's address-validation identity, like the per-datagram path (a Retry token issued
   * on one path is checked on the other: a held peer's first Initial goes one by one).
   */
  #receiveBatch(batch: DatagramBatch, socket: number): void {
    let n = 0;
    for (let i = 0; i < batch.count; i++) {
      if (this.onNewPeer && !this.routes.lookup(batch.hostnames[i], batch.ports[i])) {
        this.#receive(batch.data[i], batch.hostnames[i], batch.ports[i]); // the gate decides
        continue;
      }
      const route = this.routes.forPeer(batch.hostnames[i], batch.ports[i], socket);
      if (this.#heard.size > 0) this.#hear(route.handle);
      if (this.ignoredRoutes.has(route.handle)) continue;
      if (this.onNewPeer && !this.#admitted.has(route.handle)) {
        this.#receive(batch.data[i], batch.hostnames[i], batch.ports[i]); // the gate holds it
        continue;
      }
      this.counters.datagramsReceived++;
      this.counters.bytesReceived += batch.data[i].length;
      this.#batchData[n] = batch.data[i];
      this.#batchRoutes[n] = route.handle;
      this.#batchIdentities[n] = route.identity;
      this.#lastRoute = route.handle;
      n++;
    }
    if (n === 0) return;
    this.run((now) =>
      this.endpoint.receiveDatagrams(this.#batchData, this.#batchRoutes, n, now, this.#batchIdentities)
    );
  }

  /** Lets a held peer through: its buffered datagrams reach the engine now, in order. */
  admit(route: Route): void {
    this.#admitted.add(route.handle);
    const held = this.#release(route.handle);
    for (const data of held) {
      this.#lastRoute = route.handle;
      this.run((now) =>
        this.endpoint.receiveDatagram({
          bytes: data,
          routeHandle: route.handle,
          addressValidationIdentity: route.identity,
        }, now)
      );
    }
  }

  /** Takes a peer's held datagrams out of the holding area (in arrival order). */
  #release(handle: bigint): Uint8Array[] {
    const held = this.#held.get(handle);
    if (!held) return [];
    this.#held.delete(handle);
    this.#heldBytes -= held.bytes;
    return held.data;
  }

  /** Drops a peer's datagrams, held and future, unanswered. */
  ignore(route: Route): void {
    this.#release(route.handle);
    this.ignoredRoutes.add(route.handle);
  }

  /** Runs one engine call at the current time and applies its result. */
  run(call: (now: bigint) => QueryResult): QueryResult | undefined {
    if (this.#closed || this.endpoint.closed) return undefined;
    const result = call(this.clock.now());
    this.#apply(result);
    return result;
  }

  #apply(r: QueryResult): void {
    for (const info of r.closeInfos) this.connections.get(info.connection)?._closeInfo(info);
    for (const e of r.effects) {
      if (e.kind === "send_datagram") {
        const route = e.routeHandle !== undefined ? this.routes.byHandle(e.routeHandle) : undefined;
        const addr = e.routeHandle !== undefined ? route?.address : this.defaultRoute;
        if (!addr) continue; // a route we never saw: nowhere to send
        if (e.routeHandle !== undefined) this.keeper.sent(e.connection, e.routeHandle);
        this.#outData.push(e.bytes);
        this.#outAddr.push(addr);
        const socket = route?.socket ?? 0;
        this.#outSock.push(socket);
        if (socket !== 0) this.#outMixed = true;
        continue;
      }
      if (e.kind === "connection_lifecycle_event") {
        if (e.event === "accepted") this.onAccepted?.(e.connection, this.#lastRoute);
        else if (e.event === "closed") {
          this.connections.get(e.connection)?._dropped();
          this.connections.delete(e.connection);
          this.keeper.closed(e.connection);
        }
        continue;
      }
      if (e.kind !== "unknown") this.connections.get(e.connection)?._effect(e);
    }
    this.#flush();
    if (this.keeper.due(this.routes.size)) this.#prune();
    // A pending continuation is a wakeup that is already due: the timer fires it on the next
    // macrotask, so socket input and other work interleave with a long send burst.
    this.#timer.arm(r.sendContinuationPending ? this.clock.now() : r.nextWakeup);
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Forgets the routes no live connection sends on and no held peer waits on, with their
   * admission and ignore state: a peer seen again later is new again (a fresh route, offered
   * again in manual admission).
   */
  #prune(): void {
    const keep = this.keeper.inUse();
    for (const handle of this.#held.keys()) keep.add(handle);
    if (this.defaultRoute) {
      const r = this.routes.lookup(this.defaultRoute.hostname, this.defaultRoute.port);
      if (r) keep.add(r.handle);
    }
    for (const handle of this.routes.handles()) {
      if (keep.has(handle)) continue;
      this.routes.remove(handle);
      this.#admitted.delete(handle);
      this.ignoredRoutes.delete(handle);
    }
    this.keeper.pruned(this.routes.size);
  }

  #flush(): void {
    if (this.#outData.length === 0) return;
    this.counters.datagramsSent += this.#outData.length;
    for (const d of this.#outData) this.counters.bytesSent += d.length;
    try {
      if (!this.#outMixed) this.socket.sendBatch(this.#outData, this.#outAddr);
      else this.#flushMixed();
    } finally {
      this.#outData = [];
      this.#outAddr = [];
      this.#outSock = [];
      this.#outMixed = false;
    }
  }

  /** Datagrams for more than one socket: each socket's share, in order (a closed one's dropped). */
  #flushMixed(): void {
    const bySocket = new Map<number, { data: Uint8Array[]; addr: SocketAddress[] }>();
    for (let i = 0; i < this.#outData.length; i++) {
      let group = bySocket.get(this.#outSock[i]);
      if (!group) bySocket.set(this.#outSock[i], group = { data: [], addr: [] });
      group.data.push(this.#outData[i]);
      group.addr.push(this.#outAddr[i]);
    }
    for (const [id, group] of bySocket) {
      const socket = id === 0 ? this.socket : this.#extra.get(id);
      socket?.sendBatch(group.data, group.addr);
    }
  }

  #hear(route: bigint): void {
    const waiters = this.#heard.get(route);
    if (!waiters) return;
    this.#heard.delete(route);
    for (const w of waiters) w();
  }

  /**
   * A client's migration: binds another socket (on `hostname`, default the first socket's
   * address, a new port) and returns a route from it to `peer`'s address. Sockets besides the
   * first that no live connection sends on any more are closed first, with their routes.
   */
  async bindPath(peer: Route, hostname?: string): Promise<Route> {
    const inUse = this.keeper.inUse();
    for (const [id, socket] of this.#extra) {
      const routes = this.routes.handles().filter((h) => this.routes.byHandle(h)?.socket === id);
      if (routes.some((h) => inUse.has(h))) continue;
      for (const h of routes) this.routes.remove(h);
      this.#extra.delete(id);
      socket.close();
    }
    const socket = await bindUdp({ hostname: hostname ?? this.socket.localAddress.hostname, port: 0 });
    if (this.#closed) {
      socket.close();
      throw new QuicError("closed", "the endpoint closed while binding");
    }
    const id = this.#nextSocket++;
    this.#extra.set(id, socket);
    this.#listen(socket, id);
    return this.routes.forPeer(peer.address.hostname, peer.address.port, id);
  }

  /** The local address a route sends from. */
  localAddressOf(route: bigint): SocketAddress | undefined {
    const r = this.routes.byHandle(route);
    if (!r) return undefined;
    return r.socket ? this.#extra.get(r.socket)?.localAddress : this.socket.localAddress;
  }

  /** Resolves when a datagram arrives on `route` (or the driver closes). */
  heard(route: bigint): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#heard.get(route) ?? [];
      waiters.push(resolve);
      this.#heard.set(route, waiters);
    });
  }

  /** Resolves after the next engine call was applied (writers waiting for acknowledgements). */
  progress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Whether close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The bound local address. */
  get localAddress(): SocketAddress {
    return this.socket.localAddress;
  }

  /** The route of a peer address (created on first use). */
  routeFor(address: SocketAddress): Route {
    return this.routes.forPeer(address.hostname, address.port);
  }

  /** The route with a handle, if known. */
  routeByHandle(handle: bigint): Route | undefined {
    return this.routes.byHandle(handle);
  }

  /** The runtime path. */
  io(): IoSnapshot {
    return { path: "runtime", peers: this.routes.size };
  }

  /** Stops the timer, closes the socket and the endpoint. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.disarm();
    for (const w of this.#waiters.splice(0)) w();
    for (const waiters of this.#heard.values()) for (const w of waiters) w();
    this.#heard.clear();
    this.socket.close();
    for (const s of this.#extra.values()) s.close();
    this.#extra.clear();
    this.endpoint.close();
  }
}
