/**
 * `QuicDriver`: what the QUIC API above needs from whatever moves an endpoint's datagrams.
 * Two implementations: `Driver` (`driver.ts`, the runtime's UDP socket; datagrams cross
 * into JavaScript) and `NativeDriver` (`native_driver.ts`, the engine's own socket; only
 * application effects reach JavaScript). `createDriver` (`driver_factory.ts`) picks one.
 *
 * @module
 */
import type { Route } from "../runtimes/address.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import type { DriverConnection } from "./driver.ts";
import type { Endpoint } from "./endpoint.ts";
import type { IoSnapshot } from "./io_stats.ts";
import type { QueryResult } from "./result.ts";

/**
 * Drives one endpoint over one socket (implemented by the runtime and native drivers; not
 * for applications).
 *
 * @example
 * ```ts
 * import { createDriver } from "./driver_factory.ts";
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint;
 * const driver: QuicDriver = await createDriver(endpoint, { hostname: "127.0.0.1", port: 0 });
 * driver.run((now) => endpoint.timerExpired(now));
 * ```
 */
export interface QuicDriver {
  /** The endpoint it drives. */
  readonly endpoint: Endpoint;
  /** Connections by handle; effects for a handle go to its entry. */
  readonly connections: Map<bigint, DriverConnection>;
  /** Called for every ACCEPTED connection (servers); must register it in `connections`. */
  onAccepted?: (handle: bigint, route: bigint | undefined) => void;
  /**
   * Servers: when set, the first datagrams from a peer address never seen before are held
   * back from the engine (nothing is answered) until `admit(route)` or `ignore(route)`.
   */
  onNewPeer?: (route: Route) => void;
  /** The route used for datagrams without one (a client's server; runtime sockets only). */
  defaultRoute?: SocketAddress;
  /** Datagrams and bytes moved. */
  readonly counters: { datagramsSent: number; datagramsReceived: number; bytesSent: number; bytesReceived: number };
  /** The bound local address. */
  readonly localAddress: SocketAddress;
  /** The route of a peer address (created on first use). */
  routeFor(address: SocketAddress): Route;
  /** The route with a handle, if known. */
  routeByHandle(handle: bigint): Route | undefined;
  /** Lets a held peer through: its buffered datagrams reach the engine now, in order. */
  admit(route: Route): void;
  /** Drops a peer's datagrams, held and future, unanswered. */
  ignore(route: Route): void;
  /** Runs one engine call at the current time and applies its result. */
  run(call: (now: bigint) => QueryResult): QueryResult | undefined;
  /** Resolves after the next engine call was applied (writers waiting for acknowledgements). */
  progress(): Promise<void>;
  /** Whether close() ran. */
  readonly closed: boolean;
  /** Stops timers and waits, closes the socket and the endpoint. */
  close(): void;
  /** The socket path and, on the native path, its counters. */
  io(): IoSnapshot;
  /**
   * A client's migration: binds another local socket (on `hostname`, default the first
   * socket's address; a new port) and returns a route from it to `peer`'s address.
   */
  bindPath(peer: Route, hostname?: string): Promise<Route>;
  /** The local address a route sends from (undefined for an unknown route). */
  localAddressOf(route: bigint): SocketAddress | undefined;
  /**
   * Resolves when a datagram arrives on `route` (or the driver closes): a path's sign of life
   * where the engine does not report path validation. Undefined where the driver cannot tell.
   */
  heard?(route: bigint): Promise<void>;
}
